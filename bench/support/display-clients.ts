// Child process for bench/server-latency.bench.ts: display clients, so that receiving and decoding
// 128 displays' frames does not queue behind the feeder in one event loop (the load generator's
// own queueing is not the server's latency). Times are epoch-based (timeOrigin + now), comparable
// across the processes of one machine.
// Both servers' frames are read the same way (msgpack unpacked), so that the clients' own work is
// the same against the baseline as against twinguide: each socket's first guidance is also checked
// against the display schema. `validateAll` checks every frame, as a display does (the bench's
// definition before the ninth session: the clients then spent ~1.6× the CPU on twinguide's frames
// and their own queueing showed in the latency).
//   fork('display-clients.ts') ← {kind: 'open', urls: [[procedureIndex, url], …], relay, validateAll} → {kind: 'opened'}
//                              ← {kind: 'collect'} → {kind: 'received', times: [procedureIndex, seq, epochMs, …], guidance, cpuPercent}
import { unpack } from 'msgpackr';
import { WebSocket } from 'ws';
import { decodeDisplayFrame } from '../../protocol/index.ts';

export type ClientsRequest = { kind: 'open'; urls: [number, string][]; relay: boolean; validateAll?: boolean } | { kind: 'collect' } | { kind: 'close' };
export type ClientsReply = { kind: 'opened' } | { kind: 'received'; times: number[]; guidance: number; cpuPercent: number };

const now = (): number => performance.timeOrigin + performance.now();
const sockets: WebSocket[] = [];
const times: number[] = [];
let guidance = 0;
/** This process's CPU from the sockets' opening to the collection. */
let cpuMark = { cpu: process.cpuUsage(), wall: performance.now() };

process.on('message', async (m: ClientsRequest) => {
  if (m.kind === 'open') {
    await Promise.all(
      m.urls.map(([procedure, url]) => new Promise<void>((resolve, reject) => {
        const ws = new WebSocket(url);
        ws.binaryType = 'nodebuffer';
        let checked = false;
        ws.on('message', (data: Buffer) => {
          const at = now();
          // The relay forwards raw feed samples; twinguide sends display messages.
          const message = unpack(data) as { type: string; seq: number };
          if (!m.relay && message.type !== 'guidance') return;
          if (!m.relay && (m.validateAll || !checked)) {
            decodeDisplayFrame(data); // throws on a frame that is not a valid display message
            checked = true;
          }
          guidance++;
          times.push(procedure, (message as { seq: number }).seq, at);
        });
        ws.once('open', () => resolve());
        ws.once('error', reject);
        sockets.push(ws);
      })),
    );
    cpuMark = { cpu: process.cpuUsage(), wall: performance.now() };
    process.send!({ kind: 'opened' } satisfies ClientsReply);
  } else if (m.kind === 'collect') {
    const cpu = process.cpuUsage(cpuMark.cpu);
    process.send!({ kind: 'received', times, guidance, cpuPercent: (cpu.user + cpu.system) / 10 / (performance.now() - cpuMark.wall) } satisfies ClientsReply);
  } else {
    for (const ws of sockets) ws.close();
    process.exit(0);
  }
});

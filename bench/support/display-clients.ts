// Child process for bench/server-latency.bench.ts: display clients, so that receiving and decoding
// 128 displays' frames does not queue behind the feeder in one event loop (the load generator's
// own queueing is not the server's latency). Times are epoch-based (timeOrigin + now), comparable
// across the processes of one machine.
//   fork('display-clients.ts') ← {kind: 'open', urls: [[procedureIndex, url], …]} → {kind: 'opened'}
//                              ← {kind: 'collect'} → {kind: 'received', times: [procedureIndex, seq, epochMs, …], guidance}
import { unpack } from 'msgpackr';
import { WebSocket } from 'ws';
import { decodeDisplayFrame } from '../../protocol/index.ts';

export type ClientsRequest = { kind: 'open'; urls: [number, string][]; relay: boolean } | { kind: 'collect' } | { kind: 'close' };
export type ClientsReply = { kind: 'opened' } | { kind: 'received'; times: number[]; guidance: number };

const now = (): number => performance.timeOrigin + performance.now();
const sockets: WebSocket[] = [];
const times: number[] = [];
let guidance = 0;

process.on('message', async (m: ClientsRequest) => {
  if (m.kind === 'open') {
    await Promise.all(
      m.urls.map(([procedure, url]) => new Promise<void>((resolve, reject) => {
        const ws = new WebSocket(url);
        ws.binaryType = 'nodebuffer';
        ws.on('message', (data: Buffer) => {
          const at = now();
          // The relay forwards raw feed samples; twinguide sends display messages (decoded and validated, as a display does).
          const message = m.relay ? (unpack(data) as { type: string; seq: number }) : decodeDisplayFrame(data);
          if (!m.relay && message.type !== 'guidance') return;
          guidance++;
          times.push(procedure, (message as { seq: number }).seq, at);
        });
        ws.once('open', () => resolve());
        ws.once('error', reject);
        sockets.push(ws);
      })),
    );
    process.send!({ kind: 'opened' } satisfies ClientsReply);
  } else if (m.kind === 'collect') {
    process.send!({ kind: 'received', times, guidance } satisfies ClientsReply);
  } else {
    for (const ws of sockets) ws.close();
    process.exit(0);
  }
});

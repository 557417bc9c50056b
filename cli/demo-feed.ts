// The demo, as a client of the server like any lab system: over REST it creates the procedure
// `demo` on the demo twin (or finds it, when the server brought it back after a crash) and
// registers it from four touched landmarks; over the feed WebSocket the device simulator's endless
// `loop` scenario feeds it at 100 Hz. Nothing here reaches into the server's process.

import { WebSocket } from 'ws';
import { encodeMessage, type TwinBundle } from '../protocol/index.ts';
import { buildTwin } from '../server/twin/load-twin.ts';
import { applyMatrix, defaultDeviceOptions, simulateDevice } from '../simulators/device/device-simulator.ts';
import { scenarioPlan } from '../simulators/device/scenarios.ts';
import { Random } from '../simulators/twin/random.ts';

export const DEMO_PROCEDURE = 'demo';

export interface DemoTokens {
  feed?: string | undefined;
  operator?: string | undefined;
}

export async function startDemo(base: string, log: (m: string) => void, tokens: DemoTokens = {}): Promise<() => void> {
  const call = async (path: string, method = 'GET', body?: unknown): Promise<{ status: number; json: any }> => {
    const headers: Record<string, string> = {};
    if (tokens.operator) headers['authorization'] = `Bearer ${tokens.operator}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(base + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: r.status, json: await r.json() };
  };
  const listed = await call('/api/twins');
  const list = (Array.isArray(listed.json) ? listed.json : listed.json.twins ?? []) as { id: string; targetZones?: unknown[]; zones?: number }[];
  const id = list.find((t) => t.id === 'demo')?.id ?? list[0]?.id;
  if (!id) throw new Error('no twin to run the demo on (expected data/twins/demo.twin.json)');
  const bundleResponse = await fetch(`${base}/api/twins/${id}/bundle`, { headers: tokens.operator ? { authorization: `Bearer ${tokens.operator}` } : {} });
  const twin = await buildTwin((await bundleResponse.json()) as TwinBundle, { loadModel: false });
  const device = defaultDeviceOptions('eam');

  const existing = await call(`/api/procedures/${DEMO_PROCEDURE}`);
  if (existing.status === 200) {
    log(`demo: procedure '${DEMO_PROCEDURE}' is back (the server resumed it); feeding it again`);
  } else {
    const created = await call('/api/procedures', 'POST', { id: DEMO_PROCEDURE, twinId: id, source: 'eam' });
    if (created.status !== 201) throw new Error(`cannot create the demo procedure: ${JSON.stringify(created.json)}`);
    // A technician touches four landmarks with the mapping catheter (≈ 1 mm error each).
    const random = new Random(1 ^ 0x5eed);
    const gauss = (): number => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
    const pairs = twin.landmarks.slice(0, 4).map((l) => ({ name: l.name, source: applyMatrix(device.twinToSource, l.positionMm).map((v) => v + 0.58 * gauss()) }));
    const registered = await call(`/api/procedures/${DEMO_PROCEDURE}/registration`, 'POST', { method: 'landmarks', pairs });
    if (registered.status !== 200) throw new Error(`cannot register the demo procedure: ${JSON.stringify(registered.json)}`);
  }
  const samples = simulateDevice(twin, scenarioPlan(twin, 'loop'), device);
  const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/ws/feed?procedure=${DEMO_PROCEDURE}${tokens.feed ? `&token=${encodeURIComponent(tokens.feed)}` : ''}`);
  await new Promise<void>((resolve, reject) => { socket.once('open', () => resolve()); socket.once('error', reject); });
  const started = performance.now();
  let next = samples.next();
  // Send each sample when its arrival time comes (checked every 5 ms).
  const timer = setInterval(() => {
    const elapsed = (performance.now() - started) / 1000;
    while (!next.done && next.value.arrivalS <= elapsed) {
      if (socket.readyState === socket.OPEN) socket.send(encodeMessage(next.value.sample));
      next = samples.next();
    }
  }, 5);
  log(`demo: procedure '${DEMO_PROCEDURE}' on twin '${id}', fed by the simulator's loop scenario at 100 Hz`);
  return () => {
    clearInterval(timer);
    socket.close();
    void twin.close();
  };
}

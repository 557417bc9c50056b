// The demo: a procedure on the demo twin, registered as a technician would from four touched
// landmarks, fed at real-time pace by the device simulator's endless `loop` scenario over the
// real feed WebSocket (so the demo exercises what a device would).

import { WebSocket } from 'ws';
import { encodeMessage } from '../protocol/index.ts';
import { defaultDeviceOptions, simulateDevice } from '../simulators/device/device-simulator.ts';
import { simulateLandmarkRegistration } from '../simulators/device/run-scenario.ts';
import { scenarioPlan } from '../simulators/device/scenarios.ts';
import type { TwinguideServer } from './app.ts';

export const DEMO_PROCEDURE = 'demo';

export async function startDemo(server: TwinguideServer, url: string, log: (m: string) => void, feedToken?: string): Promise<() => void> {
  const twin = server.twins.list().find((t) => t.meta.id === 'demo' && t.zones.length > 0) ?? server.twins.list().find((t) => t.zones.length > 0);
  if (!twin) throw new Error('no twin with a target zone to run the demo on (expected data/twins/demo.twin.json)');
  const procedure = server.procedures.create({ twinId: twin.meta.id, source: 'eam' }, DEMO_PROCEDURE);
  const device = defaultDeviceOptions('eam');
  procedure.setRegistration(simulateLandmarkRegistration(twin, device.twinToSource, 0.58, 1));
  const samples = simulateDevice(twin, scenarioPlan(twin, 'loop'), device);
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/ws/feed?procedure=${DEMO_PROCEDURE}${feedToken ? `&token=${encodeURIComponent(feedToken)}` : ''}`);
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
  log(`demo: procedure '${DEMO_PROCEDURE}' on twin '${twin.meta.id}', fed by the simulator's loop scenario at 100 Hz`);
  return () => {
    clearInterval(timer);
    socket.close();
  };
}

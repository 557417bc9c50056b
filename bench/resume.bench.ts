// npm run bench:resume: how long a procedure takes to come back after a crash, against its length.
// A recording of the loop scenario (100 Hz EAM, demo twin) is written as the server writes it, then
// the registry resumes it (read every segment, run every input through a fresh pipeline, open the
// next segment). Baseline in the same run: reading the recording alone. The target is
// ≤ 2 s for a 60-minute procedure; resume by replay grows with the length (figures below), which
// is why checkpoints are the next step.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { from, lastValueFrom, toArray } from 'rxjs';
import { DEFAULT_LIMITS } from '../protocol/index.ts';
import { InProcessBroadcaster } from '../server/broadcast.ts';
import { guidancePipeline } from '../server/pipeline/procedure-pipeline.ts';
import { ProcedureRegistry } from '../server/procedures/procedure-registry.ts';
import { TwinStore } from '../server/procedures/twin-store.ts';
import { ProcedureRecorder, loadRecording } from '../server/recording/procedure-recording.ts';
import { defaultDeviceOptions, simulateDevice } from '../simulators/device/device-simulator.ts';
import { inputsFromSamples, simulateLandmarkRegistration } from '../simulators/device/run-scenario.ts';
import { scenarioPlan } from '../simulators/device/scenarios.ts';
import { printJson } from './harness.ts';

const minutes = (process.env['RESUME_MINUTES'] ?? '1,5,15').split(',').map(Number);
const twins = await TwinStore.load(fileURLToPath(new URL('../data/twins', import.meta.url)), () => undefined);
const twin = twins.get('demo');
const dir = mkdtempSync(join(tmpdir(), 'twinguide-resume-bench-'));
const rows: { minutes: number; inputs: number; readS: number; resumeS: number }[] = [];
try {
  for (const m of minutes) {
    const durationS = m * 60;
    const device = defaultDeviceOptions('eam', { durationS });
    const registration = simulateLandmarkRegistration(twin, device.twinToSource, 0.58, 1);
    const { inputs } = inputsFromSamples(simulateDevice(twin, scenarioPlan(twin, 'loop'), device), registration);
    const outputs = await lastValueFrom(from(inputs).pipe(guidancePipeline(twin, { procedureId: `bench${m}` }), toArray()));
    const path = join(dir, `bench${m}.mcap`);
    const recorder = new ProcedureRecorder(path, { procedureId: `bench${m}`, twinId: 'demo', source: 'eam', startedAt: new Date(0).toISOString(), twinguideVersion: 'bench', segment: 1 }, { flushEveryMs: 0, maxBytes: 8 * 1024 ** 3 });
    inputs.forEach((input, k) => recorder.input(input, BigInt(k) * 10_000_000n));
    outputs.forEach((o, k) => recorder.output(o, BigInt(k) * 10_000_000n));
    recorder.flush(); // not closed: as a crashed server leaves it

    const t0 = performance.now();
    await loadRecording(path);
    const readS = (performance.now() - t0) / 1000;
    const registry = new ProcedureRegistry(twins, new InProcessBroadcaster(() => undefined), DEFAULT_LIMITS, dir, 'bench');
    const t1 = performance.now();
    await registry.resume({ path, meta: { procedureId: `bench${m}`, twinId: 'demo', source: 'eam', startedAt: new Date(0).toISOString(), twinguideVersion: 'bench' }, modifiedMs: Date.now() });
    const resumeS = (performance.now() - t1) / 1000;
    registry.endAll();
    rows.push({ minutes: m, inputs: inputs.length, readS, resumeS });
    console.log(`${String(m).padStart(3)} min (${inputs.length} inputs): read ${readS.toFixed(2)} s, resume ${resumeS.toFixed(2)} s (${(resumeS / readS).toFixed(1)}× the read)`);
  }
  const last = rows[rows.length - 1]!;
  const perMinute = last.resumeS / last.minutes;
  console.log(`resume grows ${perMinute.toFixed(2)} s per procedure minute: a 60-minute procedure ≈ ${(perMinute * 60).toFixed(1)} s (target ≤ 2 s: needs checkpoints)`);
  printJson('resume', { ...Object.fromEntries(rows.map((r) => [`resumeS_${r.minutes}min`, +r.resumeS.toFixed(2)])), ...Object.fromEntries(rows.map((r) => [`readS_${r.minutes}min`, +r.readS.toFixed(2)])), estimated60minS: +(perMinute * 60).toFixed(1) });
} finally {
  rmSync(dir, { recursive: true, force: true });
  await twins.close();
}

// npm run bench:replay: a 10-minute 100 Hz EAM procedure (the loop scenario on the demo twin):
// recording overhead per sample, and replay through a fresh pipeline as fast as possible
// (target ≥ 200× real time), with the bare pipeline on the same inputs as the baseline.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { from, lastValueFrom, toArray } from 'rxjs';
import { guidancePipeline } from '../server/pipeline/procedure-pipeline.ts';
import { ProcedureRecorder, loadRecording } from '../server/recording/procedure-recording.ts';
import { replayRecording } from '../server/recording/replay.ts';
import { loadTwinFile } from '../server/twin/load-twin.ts';
import { defaultDeviceOptions, simulateDevice } from '../simulators/device/device-simulator.ts';
import { inputsFromSamples, simulateLandmarkRegistration } from '../simulators/device/run-scenario.ts';
import { scenarioPlan } from '../simulators/device/scenarios.ts';
import { printJson } from './harness.ts';

const twin = await loadTwinFile(fileURLToPath(new URL('../data/twins/demo.twin.json', import.meta.url)));
const dir = mkdtempSync(join(tmpdir(), 'twinguide-replay-bench-'));
try {
  const durationS = 600;
  const device = defaultDeviceOptions('eam', { durationS });
  const registration = simulateLandmarkRegistration(twin, device.twinToSource, 0.58, 1);
  const { inputs } = inputsFromSamples(simulateDevice(twin, scenarioPlan(twin, 'loop'), device), registration);
  const samples = inputs.filter((i) => i.kind === 'sample').length;

  const t0 = performance.now();
  const live = await lastValueFrom(from(inputs).pipe(guidancePipeline(twin, { procedureId: 'bench' }), toArray()));
  const pipelineS = (performance.now() - t0) / 1000;

  const path = join(dir, 'procedure.mcap');
  const recorder = new ProcedureRecorder(path, { procedureId: 'bench', twinId: twin.meta.id, source: 'eam', startedAt: new Date(0).toISOString(), twinguideVersion: 'bench' }, { flushEveryMs: 0, maxBytes: 4 * 1024 ** 3 });
  const t1 = performance.now();
  let flushAt = 0;
  inputs.forEach((input, k) => {
    recorder.input(input, BigInt(k) * 10_000_000n);
    // Flush every 100 ms of procedure time, as the server's timer would.
    if (input.kind === 'sample' && input.sample.t >= flushAt) { recorder.flush(); flushAt = input.sample.t + 0.1; }
  });
  live.forEach((m, k) => recorder.output(m, BigInt(k) * 10_000_000n));
  recorder.close();
  const recordS = (performance.now() - t1) / 1000;

  const recording = await loadRecording(path);
  const t2 = performance.now();
  const result = await replayRecording(twin, recording);
  const replayS = (performance.now() - t2) / 1000;

  console.log(`10-minute procedure: ${samples} samples (100 Hz EAM), ${live.length} display messages, recording ${(recorder.bytes / 1e6).toFixed(1)} MB`);
  console.log(`  recording overhead: ${((recordS * 1e6) / samples).toFixed(1)} µs per sample (input + its guidance), ${(recorder.bytes / samples).toFixed(0)} bytes per sample`);
  console.log(`  pipeline alone (baseline): ${pipelineS.toFixed(2)} s = ${(durationS / pipelineS).toFixed(0)}× real time`);
  console.log(`  replay (read + fresh pipeline + byte comparison): ${replayS.toFixed(2)} s = ${(durationS / replayS).toFixed(0)}× real time (target ≥ 200×); identical: ${result.identical}`);
  printJson('replay', { samples, recordingMB: +(recorder.bytes / 1e6).toFixed(1), recordUsPerSample: +((recordS * 1e6) / samples).toFixed(1), bytesPerSample: Math.round(recorder.bytes / samples), replaySpeedup: Math.round(durationS / replayS), pipelineSpeedup: Math.round(durationS / pipelineS), identical: result.identical ? 1 : 0 });
} finally {
  rmSync(dir, { recursive: true, force: true });
  await twin.close();
}

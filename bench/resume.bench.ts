// npm run bench:resume: how long a procedure takes to come back after a crash, against its length.
// A recording of the loop scenario (100 Hz EAM, demo twin) is written as the server writes it, then
// the registry resumes it (read every segment, run every input through a fresh pipeline, open the
// next segment). Baseline in the same run: reading the recording alone. The target is
// ≤ 2 s for a 60-minute procedure; resume by full replay grows with the length, which
// is why a recorded procedure writes checkpoints (server/recording/checkpoints.ts): the same
// recording with them resumes from the newest and the inputs after it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Subject } from 'rxjs';
import { DEFAULT_LIMITS } from '../protocol/index.ts';
import { InProcessBroadcaster } from '../server/broadcast.ts';
import type { Guidance } from '../protocol/index.ts';
import { CHECKPOINT_CLASSES } from '../server/pipeline/checkpoint-classes.ts';
import { PipelineCounters, PipelineState, type PipelineInput } from '../server/pipeline/flow.ts';
import { guidancePipeline } from '../server/pipeline/procedure-pipeline.ts';
import { captureState, sharedObjects } from '../server/pipeline/state-capture.ts';
import { TipTrail } from '../server/pipeline/tip-trail.ts';
import { writeCheckpoint } from '../server/recording/checkpoints.ts';
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
const rows: { minutes: number; inputs: number; readS: number; resumeS: number; checkpointS: number }[] = [];
try {
  for (const m of minutes) {
    const durationS = m * 60;
    const device = defaultDeviceOptions('eam', { durationS });
    const registration = simulateLandmarkRegistration(twin, device.twinToSource, 0.58, 1);
    const { inputs } = inputsFromSamples(simulateDevice(twin, scenarioPlan(twin, 'loop'), device), registration);
    // Recorded as a procedure records: each input, then the messages it produced, a flush every
    // 100 ms of procedure time, a checkpoint every checkpointEveryInputs (or none, for the baseline).
    const write = (path: string, checkpoints: boolean): void => {
      const recorder = new ProcedureRecorder(path, { procedureId: `bench${m}`, twinId: 'demo', source: 'eam', startedAt: new Date(0).toISOString(), twinguideVersion: 'bench', segment: 1 }, { flushEveryMs: 0, maxBytes: 8 * 1024 ** 3 });
      const state = new PipelineState();
      const counters = state.keep('counters', new PipelineCounters());
      const trail = state.keep('trail', new TipTrail());
      const subject = new Subject<PipelineInput>();
      let lastGuidance: Guidance | null = null;
      let lastT = -Infinity, lastSeq = -1;
      subject.pipe(guidancePipeline(twin, { procedureId: `bench${m}`, state, counters, trail })).subscribe((o) => { if (o.type === 'guidance') lastGuidance = o; recorder.output(o, 0n); });
      let flushAt = 0;
      inputs.forEach((input, k) => {
        recorder.input(input, BigInt(k) * 10_000_000n);
        if (input.kind === 'sample') { lastT = Math.max(lastT, input.sample.t); lastSeq = Math.max(lastSeq, input.sample.seq); }
        subject.next(input);
        if (input.kind === 'sample' && input.sample.t >= flushAt) { recorder.flush(); flushAt = input.sample.t + 0.1; }
        if (checkpoints && (k + 1) % DEFAULT_LIMITS.checkpointEveryInputs === 0) {
          recorder.flush();
          writeCheckpoint(path, { version: 1, procedureId: `bench${m}`, segmentInputs: recorder.inputCount, segmentOutputs: recorder.outputCount, segmentBytes: recorder.bytes, headBytes: recorder.headBytes, registration, lastGuidance, feed: { state: 'live', rateHz: 100 }, lastT, lastSeq, state: captureState(state.roots, sharedObjects({ twin }), CHECKPOINT_CLASSES) });
        }
      });
      recorder.flush(); // not closed: as a crashed server leaves it
    };
    const path = join(dir, `bench${m}.mcap`);
    write(path, false);
    const checkpointed = join(dir, `bench${m}-ckpt.mcap`);
    write(checkpointed, true);

    const t0 = performance.now();
    await loadRecording(path);
    const readS = (performance.now() - t0) / 1000;
    const resume = async (file: string, id: string): Promise<number> => {
      const registry = new ProcedureRegistry(twins, new InProcessBroadcaster(() => undefined), DEFAULT_LIMITS, dir, 'bench');
      const t1 = performance.now();
      const p = await registry.resume({ path: file, meta: { procedureId: id, twinId: 'demo', source: 'eam', startedAt: new Date(0).toISOString(), twinguideVersion: 'bench', segment: 1 }, modifiedMs: Date.now() });
      const s = (performance.now() - t1) / 1000;
      if (file === checkpointed && !p.resumed?.fromCheckpoint) throw new Error('the checkpoint was not used');
      registry.endAll();
      return s;
    };
    const resumeS = await resume(path, `bench${m}`);
    const checkpointS = await resume(checkpointed, `bench${m}c`);
    rows.push({ minutes: m, inputs: inputs.length, readS, resumeS, checkpointS });
    console.log(`${String(m).padStart(3)} min (${inputs.length} inputs): read ${readS.toFixed(2)} s; resume by full replay ${resumeS.toFixed(2)} s, from the newest checkpoint ${checkpointS.toFixed(2)} s`);
  }
  console.log(`checkpoints every ${DEFAULT_LIMITS.checkpointEveryInputs} inputs: resume replays at most that many, whatever the length (target ≤ 2 s for 60 min)`);
  printJson('resume', {
    ...Object.fromEntries(rows.map((r) => [`fullReplayS_${r.minutes}min`, +r.resumeS.toFixed(2)])),
    ...Object.fromEntries(rows.map((r) => [`checkpointS_${r.minutes}min`, +r.checkpointS.toFixed(2)])),
    ...Object.fromEntries(rows.map((r) => [`readS_${r.minutes}min`, +r.readS.toFixed(2)])),
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
  await twins.close();
}

// `twinguide simulate`: drive a simulated lead through a scenario on a twin. This version writes to
// a recording (*.mcap): the device's samples as they would arrive, the pipeline's guidance, and the
// ground truth beside it (--truth, JSON lines). Network targets come with the server.

import { createWriteStream, readFileSync } from 'node:fs';
import { from, lastValueFrom, tap, toArray } from 'rxjs';
import { TwinguideError } from '../protocol/index.ts';
import { guidancePipeline } from '../server/pipeline/procedure-pipeline.ts';
import { ProcedureRecorder } from '../server/recording/procedure-recording.ts';
import { loadTwinFile } from '../server/twin/load-twin.ts';
import { defaultDeviceOptions, invertRigid, rigidMatrix, simulateDevice, type FeedKind } from '../simulators/device/device-simulator.ts';
import { inputsFromSamples, simulateLandmarkRegistration } from '../simulators/device/run-scenario.ts';
import { SCENARIO_NAMES, scenarioPlan, type ScenarioName } from '../simulators/device/scenarios.ts';
import { EXIT_OK, parseCommandArgs, type Command } from './command.ts';

export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export const simulate: Command = {
  name: 'simulate',
  summary: 'run a simulated implant scenario on a twin and record it (samples, guidance, ground truth)',
  help: `Usage: twinguide simulate --twin FILE --scenario NAME --to OUT.mcap [options]

Simulates a lead following a scripted scenario on the twin, seen by an EAM system or by
fluoroscopy, with cardiac and respiratory motion, noise, dropouts, jitter and reordering; runs the
samples through a fresh guidance pipeline as the server would, and records the samples (with their
arrival times) and the guidance to an MCAP file that 'twinguide replay' reproduces exactly.

Scenarios: ${SCENARIO_NAMES.join(', ')}

Options:
  --twin FILE        the twin (*.twin.json)
  --scenario NAME    one of the scenarios above
  --to OUT.mcap      the recording to write (must not exist). In this version only *.mcap targets;
                     ws:// and igtl:// feeds come with the server.
  --feed KIND        eam | fluoro-single | fluoro-biplane (default: the scenario's)
  --rate HZ          samples per second (default 100 for EAM, 15 for fluoro; 7.5–100)
  --seed N           seed for noise, dropouts and heart/breathing rates (default 1)
  --duration S       stop after S seconds (required for the endless 'loop' scenario)
  --truth FILE       also write the ground truth of every sample, one JSON object per line
  -h, --help         this help`,
  async run(args, io) {
    const { help, values } = parseCommandArgs(
      this,
      args,
      { twin: { type: 'string' }, scenario: { type: 'string' }, to: { type: 'string' }, feed: { type: 'string' }, rate: { type: 'string' }, seed: { type: 'string' }, duration: { type: 'string' }, truth: { type: 'string' } },
      { min: 0, max: 0 },
    );
    if (help) { io.out(this.help); return EXIT_OK; }
    const need = (v: string | undefined, name: string): string => {
      if (!v) throw new TwinguideError('TG_ERR_USAGE', `${name} is required\nSee: twinguide simulate --help`);
      return v;
    };
    const to = need(values.to, '--to');
    if (/^(ws|wss|igtl):\/\//.test(to)) throw new TwinguideError('TG_ERR_USAGE', `network targets (${to.split(':')[0]}://) come with the server; this version writes recordings (*.mcap)`);
    if (!to.endsWith('.mcap')) throw new TwinguideError('TG_ERR_USAGE', '--to must name a *.mcap file');
    const scenario = need(values.scenario, '--scenario') as ScenarioName;
    if (!SCENARIO_NAMES.includes(scenario)) throw new TwinguideError('TG_ERR_USAGE', `unknown scenario '${scenario}'; one of: ${SCENARIO_NAMES.join(', ')}`);
    const feed = (values.feed ?? undefined) as FeedKind | undefined;
    if (feed && !['eam', 'fluoro-single', 'fluoro-biplane'].includes(feed)) throw new TwinguideError('TG_ERR_USAGE', '--feed is eam, fluoro-single or fluoro-biplane');
    const number = (v: string | undefined, name: string, lo: number, hi: number): number | undefined => {
      if (v === undefined) return undefined;
      const x = Number(v);
      if (!Number.isFinite(x) || x < lo || x > hi) throw new TwinguideError('TG_ERR_USAGE', `${name} must be a number from ${lo} to ${hi}`);
      return x;
    };
    const rate = number(values.rate, '--rate', 7.5, 100);
    const seed = number(values.seed, '--seed', 0, 2 ** 31) ?? 1;
    const duration = number(values.duration, '--duration', 0.1, 24 * 3600);
    const twin = await loadTwinFile(need(values.twin, '--twin'));
    try {
      const plan = scenarioPlan(twin, scenario);
      if (plan.loop && duration === undefined) throw new TwinguideError('TG_ERR_USAGE', `scenario '${scenario}' runs forever: give --duration`);
      const kind = feed ?? plan.feed;
      const device = defaultDeviceOptions(kind, { seed, ...(rate !== undefined ? { rateHz: rate } : {}), ...(duration !== undefined ? { durationS: duration } : {}) });
      if (kind !== 'eam') {
        const v = twin.veins;
        const c = [0, 0, 0];
        for (let i = 0; i < v.nodeCount; i++) for (let k = 0; k < 3; k++) c[k]! += v.positionsMm[3 * i + k]! / v.nodeCount;
        device.twinToSource = rigidMatrix([0, 0, 1], 0, [-c[0]!, -c[1]!, -c[2]!]);
      }
      const registration = kind === 'eam' ? simulateLandmarkRegistration(twin, device.twinToSource, 0.58, seed) : { state: 'landmarks' as const, matrix: invertRigid(device.twinToSource), rmsMm: 0 };
      const arrivals: number[] = [];
      const samples = [...simulateDevice(twin, plan, device)];
      const { inputs, truths } = inputsFromSamples(samples, registration);
      for (const s of samples) arrivals[s.sample.seq] = s.arrivalS;
      const procedureId = `sim-${scenario}-${seed}`;
      const recorder = new ProcedureRecorder(to, { procedureId, twinId: twin.meta.id, source: kind === 'eam' ? 'eam' : 'fluoro', startedAt: new Date(0).toISOString(), twinguideVersion: packageVersion() }, { flushEveryMs: 0, maxBytes: 2 * 1024 ** 3 });
      let lastArrival = 0;
      for (const input of inputs) {
        if (input.kind === 'sample') lastArrival = arrivals[input.sample.seq] ?? lastArrival;
        else if (input.kind === 'tick' || input.kind === 'closed') lastArrival = input.t;
        recorder.input(input, BigInt(Math.round(lastArrival * 1e9)));
      }
      const messages = await lastValueFrom(
        from(inputs).pipe(
          guidancePipeline(twin, { procedureId }),
          tap((m) => recorder.output(m, BigInt(Math.round(('t' in m && typeof m.t === 'number' ? m.t : lastArrival) * 1e9)))),
          toArray(),
        ),
      );
      recorder.close();
      if (values.truth) {
        const out = createWriteStream(values.truth);
        for (const truth of truths.values()) out.write(`${JSON.stringify(truth)}\n`);
        await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
      }
      const guidance = messages.filter((m) => m.type === 'guidance').length;
      io.out(`wrote ${to}: ${scenario} on ${twin.meta.id} (${kind}), ${samples.length} samples over ${(samples[samples.length - 1]?.sample.t ?? 0).toFixed(1)} s, ${guidance} guidance messages, ${(recorder.bytes / 1024).toFixed(0)} KiB`);
      return EXIT_OK;
    } finally {
      await twin.close();
    }
  },
};

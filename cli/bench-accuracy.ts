// `twinguide bench accuracy`: the guidance pipeline scored against simulated ground truth.

import { fileURLToPath } from 'node:url';
import { loadTwinFile } from '../server/twin/load-twin.ts';
import { TwinguideError } from '../protocol/index.ts';
import { accuracyReport, formatAccuracy, type SeedSet } from '../simulators/device/accuracy.ts';
import { CONDITION_NAMES, HELD_OUT_SEEDS, TRAINING_SEEDS, VALIDATION_SEEDS, type ConditionName } from '../simulators/device/conditions.ts';
import { loadRecording } from '../server/recording/procedure-recording.ts';
import { scoreRecording } from '../simulators/device/score-recording.ts';
import type { AccuracyFigures } from '../simulators/device/score.ts';
import { EXIT_OK, parseCommandArgs, type Command } from './command.ts';

function formatFigures(file: string, f: AccuracyFigures): string {
  const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;
  return [
    `${file}: ${f.samples} samples scored against the simulator's ground truth`,
    `  branch ${f.branchAccuracy.toFixed(3)} (strict ${f.branchAccuracyStrict.toFixed(3)})`,
    `  tip error median ${f.tipErrorMedianMm.toFixed(2)} mm, p95 ${f.tipErrorP95Mm.toFixed(2)} mm`,
    `  zone ${f.zoneAgreement.toFixed(3)} (strict ${f.zoneAgreementStrict.toFixed(3)}), instruction ${f.instructionAgreement.toFixed(3)}`,
    `  confidently wrong ${pct(f.confidentlyWrongRate)}`,
  ].join('\n');
}

/** At most this many seeds one by one (each runs every scenario under every condition for every feed). */
const MAX_SEEDS = 32;
const SEED_SET_NAMES: readonly SeedSet[] = ['held-out', 'training', 'validation'];

/** --seeds: a set's name, or seeds one by one. */
export function parseSeeds(value: string | undefined): SeedSet | number[] | undefined {
  if (value === undefined) return undefined;
  if ((SEED_SET_NAMES as readonly string[]).includes(value)) return value as SeedSet;
  const usage = (why: string): TwinguideError => new TwinguideError('TG_ERR_USAGE', `--seeds ${why}: it takes ${SEED_SET_NAMES.join(', ')} or seeds one by one (N,N,…)`);
  if (!/^\d{1,10}(,\d{1,10})*$/.test(value)) throw usage(`'${value.slice(0, 40)}' is neither a set nor a list of seeds`);
  const seeds = value.split(',').map(Number);
  if (seeds.length > MAX_SEEDS) throw usage(`lists ${seeds.length} seeds, at most ${MAX_SEEDS}`);
  for (const n of seeds) if (n > 2 ** 31 - 1) throw usage(`seed ${n} is over 2^31 − 1`);
  if (new Set(seeds).size !== seeds.length) throw usage('names a seed twice');
  return seeds;
}

export const benchAccuracy: Command = {
  name: 'bench accuracy',
  summary: 'score the guidance pipeline against simulated ground truth under every condition (EAM, biplane, single-plane fluoro)',
  help: `Usage: twinguide bench accuracy [--json] [--twin FILE] [--seeds SET|N,N,…] [--conditions A,B,…]

Runs the standard scenarios (reach-lateral-zone, wrong-branch-then-correct, tour) on a twin through a
fresh pipeline for each feed kind under each condition: ${CONDITION_NAMES.join(', ')}
(simulators/device/conditions.ts: from no motion and no noise to a physiological heart with ectopic
beats, varying breathing, a hand that pushes and pauses, excursions into the wrong vein and sensor
spikes). Scored against the simulator's ground truth: branch identified, tip error (median, p95),
zone-state and instruction agreement, and the confidently-wrong rate (confidence ≥ 0.8 but > 5 mm
off or on the wrong branch away from a junction), with the calibration of the confidence. By default
on held-out seeds ${HELD_OUT_SEEDS.join(', ')}, never used in tuning (--seeds training: ${TRAINING_SEEDS.join(', ')}, the
seeds the parameters were tuned on; --seeds validation: ${VALIDATION_SEEDS.join(', ')}, never tuned on, for judging a
change before the held-out seeds are run: a comparison on the training seeds favours the code as it is).

Options:
  --json            one JSON object: {eam, fluoroBiplane, fluoroSingle (all conditions pooled),
                    conditions: {NAME: {eam, fluoroBiplane, fluoroSingle}}, registration, twin, seeds, …}
  --twin FILE       a twin with at least one target zone (default data/twins/demo.twin.json)
  --seeds SET       held-out (default), training or validation; or seeds one by one (N,N,…: at most
                    ${MAX_SEEDS}, each 0 to 2^31 − 1)
  --conditions LIST only these conditions (comma-separated)
  --recording FILE  instead: score one recording made by 'twinguide simulate --to FILE.mcap' (its
                    guidance against the ground truth it carries); --json gives the figures alone
  -h, --help        this help`,
  async run(args, io) {
    const { help, values } = parseCommandArgs(this, args, { json: { type: 'boolean' }, twin: { type: 'string' }, seeds: { type: 'string' }, conditions: { type: 'string' }, recording: { type: 'string' } }, { min: 0, max: 0 });
    if (help) { io.out(this.help); return EXIT_OK; }
    if (values.recording !== undefined) {
      const figures = scoreRecording(await loadRecording(values.recording));
      if (!figures) throw new TwinguideError('TG_ERR_RECORDING', `'${values.recording}' carries no ground truth (only recordings made by 'twinguide simulate --to FILE.mcap' do)`);
      io.out(values.json ? JSON.stringify(figures, null, 2) : formatFigures(values.recording, figures));
      return EXIT_OK;
    }
    const seeds = parseSeeds(values.seeds);
    const conditions = values.conditions?.split(',').map((c) => c.trim());
    for (const c of conditions ?? []) if (!(CONDITION_NAMES as readonly string[]).includes(c)) throw new TwinguideError('TG_ERR_USAGE', `unknown condition '${c}'; there are ${CONDITION_NAMES.join(', ')}`);
    const file = values.twin ?? fileURLToPath(new URL('../data/twins/demo.twin.json', import.meta.url));
    const twin = await loadTwinFile(file);
    try {
      const report = await accuracyReport(twin, {
        ...(typeof seeds === 'string' ? { seeds } : seeds ? { seedList: seeds } : {}),
        ...(conditions ? { conditions: conditions as ConditionName[] } : {}),
        ...(values.json ? {} : { progress: (line: string) => io.err(line) }),
      });
      io.out(values.json ? JSON.stringify(report, null, 2) : formatAccuracy(report));
    } finally {
      await twin.close();
    }
    return EXIT_OK;
  },
};

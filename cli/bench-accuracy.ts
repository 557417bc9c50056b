// `twinguide bench accuracy`: the guidance pipeline scored against simulated ground truth.

import { fileURLToPath } from 'node:url';
import { loadTwinFile } from '../server/twin/load-twin.ts';
import { TwinguideError } from '../protocol/index.ts';
import { accuracyReport, formatAccuracy } from '../simulators/device/accuracy.ts';
import { CONDITION_NAMES, HELD_OUT_SEEDS, TRAINING_SEEDS, type ConditionName } from '../simulators/device/conditions.ts';
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

export const benchAccuracy: Command = {
  name: 'bench accuracy',
  summary: 'score the guidance pipeline against simulated ground truth under every condition (EAM, biplane, single-plane fluoro)',
  help: `Usage: twinguide bench accuracy [--json] [--twin FILE] [--seeds held-out|training] [--conditions A,B,…]

Runs the standard scenarios (reach-lateral-zone, wrong-branch-then-correct, tour) on a twin through a
fresh pipeline for each feed kind under each condition: ${CONDITION_NAMES.join(', ')}
(simulators/device/conditions.ts: from no motion and no noise to a physiological heart with ectopic
beats, varying breathing, a hand that pushes and pauses, excursions into the wrong vein and sensor
spikes). Scored against the simulator's ground truth: branch identified, tip error (median, p95),
zone-state and instruction agreement, and the confidently-wrong rate (confidence ≥ 0.8 but > 5 mm
off or on the wrong branch away from a junction), with the calibration of the confidence. By default
on held-out seeds ${HELD_OUT_SEEDS.join(', ')}, never used in tuning (--seeds training: ${TRAINING_SEEDS.join(', ')}).

Options:
  --json            one JSON object: {eam, fluoroBiplane, fluoroSingle (all conditions pooled),
                    conditions: {NAME: {eam, fluoroBiplane, fluoroSingle}}, registration, twin, seeds, …}
  --twin FILE       a twin with at least one target zone (default data/twins/demo.twin.json)
  --seeds SET       held-out (default) or training
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
    if (values.seeds !== undefined && values.seeds !== 'held-out' && values.seeds !== 'training') throw new TwinguideError('TG_ERR_USAGE', '--seeds takes held-out or training');
    const conditions = values.conditions?.split(',').map((c) => c.trim());
    for (const c of conditions ?? []) if (!(CONDITION_NAMES as readonly string[]).includes(c)) throw new TwinguideError('TG_ERR_USAGE', `unknown condition '${c}'; there are ${CONDITION_NAMES.join(', ')}`);
    const file = values.twin ?? fileURLToPath(new URL('../data/twins/demo.twin.json', import.meta.url));
    const twin = await loadTwinFile(file);
    try {
      const report = await accuracyReport(twin, {
        ...(values.seeds ? { seeds: values.seeds as 'held-out' | 'training' } : {}),
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

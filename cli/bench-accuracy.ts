// `twinguide bench accuracy`: the guidance pipeline scored against simulated ground truth.

import { fileURLToPath } from 'node:url';
import { loadTwinFile } from '../server/twin/load-twin.ts';
import { TwinguideError } from '../protocol/index.ts';
import { accuracyReport, formatAccuracy } from '../simulators/device/accuracy.ts';
import { CONDITION_NAMES, HELD_OUT_SEEDS, TRAINING_SEEDS, type ConditionName } from '../simulators/device/conditions.ts';
import { EXIT_OK, parseCommandArgs, type Command } from './command.ts';

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
  -h, --help        this help`,
  async run(args, io) {
    const { help, values } = parseCommandArgs(this, args, { json: { type: 'boolean' }, twin: { type: 'string' }, seeds: { type: 'string' }, conditions: { type: 'string' } }, { min: 0, max: 0 });
    if (help) { io.out(this.help); return EXIT_OK; }
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

// `twinguide bench accuracy`: the guidance pipeline scored against simulated ground truth.

import { fileURLToPath } from 'node:url';
import { loadTwinFile } from '../server/twin/load-twin.ts';
import { accuracyReport, formatAccuracy } from '../simulators/device/accuracy.ts';
import { EXIT_OK, parseCommandArgs, type Command } from './command.ts';

export const benchAccuracy: Command = {
  name: 'bench accuracy',
  summary: 'score the guidance pipeline against simulated ground truth (EAM, biplane, single-plane fluoro)',
  help: `Usage: twinguide bench accuracy [--json] [--twin FILE]

Runs the standard scenarios (reach-lateral-zone, wrong-branch-then-correct, tour; three seeds) on
the demo twin through a fresh pipeline for each feed kind, with cardiac and respiratory motion,
~1 mm noise, 2 % dropouts and a 500 ms gap, and scores the guidance against the simulator's ground
truth: branch identified, tip error (median, p95), zone-state and instruction agreement. Also the
landmark registration's target error from 4 landmarks with 1 mm noise.

Options:
  --json        one JSON object: {eam, fluoroBiplane, fluoroSingle, registration, conditions}
  --twin FILE   a twin with at least one target zone (default data/twins/demo.twin.json)
  -h, --help    this help`,
  async run(args, io) {
    const { help, values } = parseCommandArgs(this, args, { json: { type: 'boolean' }, twin: { type: 'string' } }, { min: 0, max: 0 });
    if (help) { io.out(this.help); return EXIT_OK; }
    const file = values.twin ?? fileURLToPath(new URL('../data/twins/demo.twin.json', import.meta.url));
    const twin = await loadTwinFile(file);
    try {
      const report = await accuracyReport(twin, values.json ? undefined : (line) => io.err(line));
      io.out(values.json ? JSON.stringify(report, null, 2) : formatAccuracy(report));
    } finally {
      await twin.close();
    }
    return EXIT_OK;
  },
};

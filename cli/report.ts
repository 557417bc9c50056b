// `twinguide report FILE.mcap --out REPORT.pdf|REPORT.html`: the procedure report from a recording
// (with the accuracy against the simulator's ground truth when the device simulator recorded it).

import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TwinguideError } from '../protocol/index.ts';
import { loadRecording } from '../server/recording/procedure-recording.ts';
import { clock } from '../server/report/report-html.ts';
import { writeReport } from '../server/report/procedure-report.ts';
import { loadTwinFile } from '../server/twin/load-twin.ts';
import { scoreRecording } from '../simulators/device/score-recording.ts';
import { EXIT_OK, parseCommandArgs, type Command } from './command.ts';

export const report: Command = {
  name: 'report',
  summary: 'write the procedure report (PDF or HTML) from a recording',
  help: `Usage: twinguide report FILE.mcap --out REPORT.pdf|REPORT.html [--twin FILE]

Writes the procedure report: the twin and the lead, the timeline (first sample, coronary sinus
entry, first target-zone entry, time in zone, measurements, end), where each electrode ended with
its p and zone, every measurement beside the twin's prediction there, pictures of the tip's path on
the twin from the standard C-arm views (AP, LAO 30, RAO 30, LAO 40 CAUD 20), and, first, the finding
when the twin has no accessible responder site. A recording made by 'twinguide simulate' adds the
accuracy against the simulator's ground truth (as 'twinguide bench accuracy --recording' scores it).
A resumed procedure's later segment reads its earlier ones (same directory).

Options:
  --out FILE    REPORT.pdf (printed by headless Chromium: /usr/lib/chromium/chromium, or
                TWINGUIDE_CHROMIUM) or REPORT.html (prints cleanly from any browser)
  --twin FILE   the twin the procedure ran on (default: data/twins/<twin id>.twin.json)
  -h, --help    this help`,
  async run(args, io) {
    const { help, values, positionals } = parseCommandArgs(this, args, { out: { type: 'string' }, twin: { type: 'string' } }, { min: 1, max: 1 });
    if (help) { io.out(this.help); return EXIT_OK; }
    const out = values.out;
    if (!out || !/\.(pdf|html?)$/i.test(out)) throw new TwinguideError('TG_ERR_USAGE', '--out REPORT.pdf or REPORT.html is required\nSee: twinguide report --help');
    const recording = await loadRecording(positionals[0]!);
    const twinFile = values.twin ?? fileURLToPath(new URL(`../data/twins/${recording.meta.twinId}.twin.json`, import.meta.url));
    if (!existsSync(twinFile)) throw new TwinguideError('TG_ERR_TWIN_READ', `the recording ran on twin '${recording.meta.twinId}'; pass it with --twin`);
    const twin = await loadTwinFile(twinFile, { loadModel: false });
    try {
      const { model, body } = await writeReport(recording, twin, /\.pdf$/i.test(out) ? 'pdf' : 'html', scoreRecording(recording));
      writeFileSync(out, body);
      const zone = model.timeline.find((e) => e.what === 'first target-zone entry');
      io.out(`wrote ${out}: procedure ${model.procedureId}, ${clock(model.durationS)}, first zone entry ${clock(zone?.atS ?? null)}, ${model.timeInZoneS.toFixed(1)} s in zone, ${model.measurements.length} measurements${model.accuracy ? `, accuracy over ${model.accuracy.samples} samples` : ''}${model.finding ? `; ${model.finding.split(':')[0]}` : ''}`);
    } finally {
      await twin.close();
    }
    return EXIT_OK;
  },
};

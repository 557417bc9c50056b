// `twinguide replay FILE`: feed a recording through a fresh pipeline and say whether the guidance
// comes out exactly as recorded.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TwinguideError, encodeMessage } from '../protocol/index.ts';
import { ProcedureRecorder, loadRecording } from '../server/recording/procedure-recording.ts';
import { replayRecording } from '../server/recording/replay.ts';
import { loadTwinFile } from '../server/twin/load-twin.ts';
import { EXIT_FAILED, EXIT_OK, parseCommandArgs, type Command } from './command.ts';

export const replay: Command = {
  name: 'replay',
  summary: 'replay a recording through a fresh pipeline and check the guidance is reproduced exactly',
  help: `Usage: twinguide replay FILE.mcap [--twin FILE] [--speed X | --max] [--from S] [--out FILE.mcap] [--json]

Reads a recording (complete, or what a crash left of it), feeds its inputs through a fresh guidance
pipeline, and compares every guidance and status message with the recorded one, byte for byte.

Options:
  --twin FILE   the twin the procedure ran on (default: data/twins/<twin id>.twin.json)
  --max         as fast as possible (default)
  --speed X     X times the recorded pace (1 = real time)
  --from S      seek: deliver from S seconds into the recording (what comes before still runs
                through the pipeline, as fast as possible, so its state is exact)
  --out FILE    record the replay to a new recording (inputs and the replayed messages)
  --json        {"identical", "compared", "messages", "inputs", "indexed", "seconds", "speedup", "firstDifference"?}
  -h, --help    this help

Exit status: 0 reproduced exactly, 1 it differs (or the files cannot be read), 2 usage.`,
  async run(args, io) {
    const { help, values, positionals } = parseCommandArgs(this, args, { twin: { type: 'string' }, speed: { type: 'string' }, max: { type: 'boolean' }, json: { type: 'boolean' }, from: { type: 'string' }, out: { type: 'string' } }, { min: 1, max: 1 });
    if (help) { io.out(this.help); return EXIT_OK; }
    const speed = values.speed !== undefined ? Number(values.speed) : 'max';
    if (speed !== 'max' && !(speed > 0)) throw new TwinguideError('TG_ERR_USAGE', '--speed takes a positive number');
    const seekS = values.from !== undefined ? Number(values.from) : 0;
    if (!(seekS >= 0)) throw new TwinguideError('TG_ERR_USAGE', '--from takes seconds ≥ 0');
    const recording = await loadRecording(positionals[0]!);
    const twinFile = values.twin ?? fileURLToPath(new URL(`../data/twins/${recording.meta.twinId}.twin.json`, import.meta.url));
    if (!existsSync(twinFile)) throw new TwinguideError('TG_ERR_TWIN_READ', `the recording ran on twin '${recording.meta.twinId}'; pass it with --twin`);
    const twin = await loadTwinFile(twinFile);
    try {
      if (twin.meta.id !== recording.meta.twinId) io.err(`warning: the recording ran on twin '${recording.meta.twinId}', replaying on '${twin.meta.id}'`);
      const t0 = performance.now();
      const out = values.out ? new ProcedureRecorder(values.out, { ...recording.meta, procedureId: `${recording.meta.procedureId}-replay` }, { flushEveryMs: 0, maxBytes: 4 * 1024 ** 3 }) : null;
      recording.inputs.forEach((input, k) => out?.input(input, recording.inputTimesNs[k]!));
      let n = 0n;
      const result = await replayRecording(twin, recording, { speed, seekS, ...(out ? { onMessage: (m) => out.output(m, n++) } : {}) });
      out?.close();
      const seconds = (performance.now() - t0) / 1000;
      const ns = recording.inputTimesNs;
      const span = ns.length > 1 ? Number(ns[ns.length - 1]! - ns[0]!) / 1e9 : 0;
      const report = {
        identical: result.identical,
        compared: result.compared,
        messages: result.messages.length,
        inputs: recording.inputs.length,
        indexed: recording.indexed,
        seconds: Number(seconds.toFixed(3)),
        speedup: seconds > 0 ? Number((span / seconds).toFixed(1)) : null,
        ...(result.firstDifference ? { firstDifference: { index: result.firstDifference.index, expected: result.firstDifference.expected, actual: result.firstDifference.actual } } : {}),
      };
      if (values.json) io.out(JSON.stringify(report));
      else {
        io.out(
          result.identical
            ? `reproduced exactly: ${result.compared} messages from ${recording.inputs.length} inputs (${span.toFixed(1)} s recorded, replayed in ${seconds.toFixed(2)} s, ${report.speedup}× real time)${recording.indexed ? '' : '; the recording had no index (read as a crash left it)'}`
            : `DIFFERS at message ${result.firstDifference?.index}: recorded ${result.firstDifference?.expected ? Buffer.from(encodeMessage(result.firstDifference.expected)).length : 0} bytes vs replayed ${result.firstDifference?.actual ? Buffer.from(encodeMessage(result.firstDifference.actual)).length : 0} bytes\n  recorded: ${JSON.stringify(result.firstDifference?.expected)}\n  replayed: ${JSON.stringify(result.firstDifference?.actual)}`,
        );
      }
      return result.identical ? EXIT_OK : EXIT_FAILED;
    } finally {
      await twin.close();
    }
  },
};

// `twinguide twin validate FILE…`: the full load-time check, as a gate for offline pipelines.

import { loadTwinFile } from '../server/twin/load-twin.ts';
import { EXIT_FAILED, EXIT_OK, parseCommandArgs, type Command } from './command.ts';
import { isTwinguideError } from '../protocol/index.ts';

export const twinValidate: Command = {
  name: 'twin validate',
  summary: 'check a twin bundle fully (schema, tree, sites, landmarks, ONNX model vs p)',
  help: `Usage: twinguide twin validate FILE… [--json]

Runs every check the server runs when it loads a twin: size limit, JSON, format version, the JSON
Schema (protocol/schema/twin.schema.json), index ranges, the vein tree, branches, sites on the
centrelines, feature vector lengths, landmarks, and the ONNX model reproducing p at every site.
Several files are checked one after the other; the exit status is 1 if any is invalid.

Options:
  --json        print {"valid": true, ...} or {"valid": false, "code", "message", "path"} (a line per file)
  -h, --help    this help

Exit status: 0 all valid, 1 one invalid (the error names its stable code and the JSON path), 2 usage.`,
  async run(args, io) {
    const { help, values, positionals } = parseCommandArgs(this, args, { json: { type: 'boolean' } }, { min: 1, max: 1000 });
    if (help) { io.out(this.help); return EXIT_OK; }
    let status = EXIT_OK;
    for (const file of positionals) {
      try {
        const twin = await loadTwinFile(file);
        await twin.close();
        const detail = `${twin.veins.branches.length} branches, ${twin.sites.count} sites, ${twin.zones.length} target zone(s)${twin.model ? ', model checked' : ''}`;
        io.out(values.json ? JSON.stringify({ valid: true, file, id: twin.meta.id, detail }) : `valid: ${file} (twin ${twin.meta.id}: ${detail})`);
      } catch (e) {
        if (!isTwinguideError(e)) throw e;
        // One file's failure does not hide the others' results.
        if (positionals.length === 1 && !values.json) throw e;
        io.out(values.json ? JSON.stringify({ valid: false, file, ...e.toJSON() }) : `INVALID: ${file}: ${e.code}: ${e.message}`);
        status = EXIT_FAILED;
      }
    }
    return status;
  },
};

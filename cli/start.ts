// `twinguide start` (what `npm start` runs). Until the server lands it says so plainly and shows
// what this checkout can already do, rather than pretending to serve.

import { EXIT_OK, parseCommandArgs, type Command } from './command.ts';

export const start: Command = {
  name: 'start',
  summary: 'the server with the demo twin and the device simulator (not built yet)',
  help: `Usage: twinguide start

Will start the server with the demo twin and the device simulator, display at http://127.0.0.1:8080.
The server is not part of this version yet; the twin tools are (see twinguide --help).`,
  async run(args, io) {
    const { help } = parseCommandArgs(this, args, {}, { min: 0, max: 0 });
    if (help) { io.out(this.help); return EXIT_OK; }
    io.out(
      [
        'twinguide: the guidance server is not built yet in this version, so there is nothing to serve at http://127.0.0.1:8080.',
        'What works now:',
        '  npx twinguide twin info data/twins/demo.twin.json                       what a twin holds',
        '  npx twinguide twin validate data/twins/demo.twin.json                   the full load-time check',
        '  npx twinguide twin build --surfaces data/anatomy/bivme-patient1 --seed 7 --out my.twin.json',
        '  npx twinguide bench accuracy                                            the guidance pipeline against simulated truth',
        '  npm test                                                                the test suite',
      ].join('\n'),
    );
    return EXIT_OK;
  },
};

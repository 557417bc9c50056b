// Entry of the `twinguide` command line: finds the command and runs it.

import { readFileSync } from 'node:fs';
import { TwinguideError } from '../protocol/index.ts';
import { EXIT_OK, EXIT_USAGE, processIo, reportError, type Command, type Io } from './command.ts';
import { benchAccuracy } from './bench-accuracy.ts';
import { replay } from './replay.ts';
import { report } from './report.ts';
import { simulate } from './simulate.ts';
import { serve, start } from './serve.ts';
import { twinBuild } from './twin-build.ts';
import { twinInfo } from './twin-info.ts';
import { twinValidate } from './twin-validate.ts';

export const COMMANDS: readonly Command[] = [serve, start, twinInfo, twinValidate, twinBuild, simulate, replay, report, benchAccuracy];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: twinguide <command> [options]',
    '',
    'Real-time guidance for CRT lead implantation on a patient\'s digital twin.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command has --help. Exit status: 0 success, 1 failure, 2 usage error.',
    `twinguide ${version()}`,
  ].join('\n');
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      io.out(mainHelp());
      return argv.length === 0 ? EXIT_USAGE : EXIT_OK;
    }
    if (argv[0] === '--version') { io.out(version()); return EXIT_OK; }
    // Longest match first: "twin info" before a hypothetical "twin".
    const command = [...COMMANDS]
      .sort((a, b) => b.name.split(' ').length - a.name.split(' ').length)
      .find((c) => c.name.split(' ').every((word, i) => argv[i] === word));
    if (!command) {
      const group = COMMANDS.filter((c) => c.name.split(' ')[0] === argv[0]);
      if (group.length > 0 && (argv.length === 1 || argv[1] === '--help' || argv[1] === '-h')) {
        io.out([`Usage: twinguide ${argv[0]} <command>`, '', ...group.map((c) => `  ${c.name.padEnd(16)} ${c.summary}`)].join('\n'));
        return argv.length === 1 ? EXIT_USAGE : EXIT_OK;
      }
      throw new TwinguideError('TG_ERR_USAGE', `unknown command '${argv.slice(0, 2).join(' ')}'\nSee: twinguide --help`);
    }
    return await command.run(argv.slice(command.name.split(' ').length), io);
  } catch (e) {
    return reportError(e, io);
  }
}

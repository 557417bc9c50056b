// What every CLI command shares: argument parsing with --help, usage errors with a stable code,
// and printing a TwinguideError as one clear line.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { TwinguideError, isTwinguideError } from '../protocol/index.ts';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

export interface Command {
  /** e.g. "twin info" */
  name: string;
  summary: string;
  help: string;
  run(args: string[], io: Io): Promise<number>;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with --help built in; unknown options and wrong counts become TG_ERR_USAGE. */
export function parseCommandArgs<O extends Options>(command: Command, args: string[], options: O, positionals: { min: number; max: number }) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (cause) {
    throw new TwinguideError('TG_ERR_USAGE', `${(cause as Error).message}\nSee: twinguide ${command.name} --help`);
  }
  const values = parsed.values as Record<string, unknown>;
  if (values['help'] === true) return { help: true as const, values: parsed.values, positionals: parsed.positionals };
  const count = parsed.positionals.length;
  if (count < positionals.min || count > positionals.max) {
    const want = positionals.min === positionals.max ? `${positionals.min}` : `${positionals.min} to ${positionals.max}`;
    throw new TwinguideError('TG_ERR_USAGE', `twinguide ${command.name} takes ${want} argument(s), got ${count}\nSee: twinguide ${command.name} --help`);
  }
  return { help: false as const, values: parsed.values, positionals: parsed.positionals };
}

/** Print an error and give the exit code: usage errors 2, everything else 1. */
export function reportError(e: unknown, io: Io): number {
  if (isTwinguideError(e)) {
    io.err(`twinguide: ${e.code}: ${e.message}${e.path && !e.message.includes(e.path) ? ` (at ${e.path})` : ''}`);
    return e.code === 'TG_ERR_USAGE' ? EXIT_USAGE : EXIT_FAILED;
  }
  io.err(`twinguide: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return EXIT_FAILED;
}

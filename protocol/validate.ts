// Runtime validation of wire messages and documents against the protocol's JSON Schemas (ajv,
// compiled once). Errors name the JSON path and the problem, so a sender can fix what it sends.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import { TwinguideError, type ErrorCode } from './errors.ts';
import { DISPLAY_MESSAGES, FEED_MESSAGES } from './messages.ts';

/** Shared options: NaN/Infinity are never valid numbers, unknown keywords are a schema bug. */
function newAjv(allErrors: boolean): Ajv {
  return new Ajv({ strict: true, strictNumbers: true, allErrors, allowUnionTypes: true, validateFormats: false });
}

const wireAjv = newAjv(false);
const documentAjv = newAjv(true);

export function compileWire<T>(schema: TSchema): ValidateFunction<T> {
  return wireAjv.compile<T>(schema);
}

export function compileDocument<T>(schema: TSchema): ValidateFunction<T> {
  return documentAjv.compile<T>(schema);
}

/** One line per problem: `/views/0/geometry/sid: must be > 0`. At most `max` lines. */
export function describeErrors(errors: readonly ErrorObject[] | null | undefined, max = 5): string[] {
  if (!errors || errors.length === 0) return ['invalid'];
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    let line = `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`;
    if (e.keyword === 'additionalProperties') line += ` ('${String(e.params['additionalProperty'])}')`;
    else if (e.keyword === 'const') line += ` (${JSON.stringify(e.params['allowedValue'])})`;
    else if (e.keyword === 'enum') line += ` (${JSON.stringify(e.params['allowedValues'])})`;
    if (seen.has(line)) continue;
    seen.add(line);
    lines.push(line);
    if (lines.length >= max) break;
  }
  const extra = errors.length - lines.length;
  if (extra > 0 && lines.length >= max) lines.push(`… and more`);
  return lines;
}

/** The first failing JSON path, for TwinguideError.path. */
export function firstErrorPath(errors: readonly ErrorObject[] | null | undefined): string {
  return errors?.[0]?.instancePath || '/';
}

export function assertValid<T>(validate: ValidateFunction<T>, value: unknown, code: ErrorCode, what: string): T {
  if (validate(value)) return value;
  const lines = describeErrors(validate.errors);
  throw new TwinguideError(code, `${what}: ${lines.join('; ')}`, { path: firstErrorPath(validate.errors) });
}

type ValidatorMap = ReadonlyMap<string, ValidateFunction>;

function validatorsFor(messages: Record<string, TSchema>): ValidatorMap {
  return new Map(Object.entries(messages).map(([type, schema]) => [type, compileWire(schema)]));
}

export const feedValidators: ValidatorMap = validatorsFor(FEED_MESSAGES);
export const displayValidators: ValidatorMap = validatorsFor(DISPLAY_MESSAGES);

/**
 * Check a decoded value against the schema chosen by its `type`. Throws TG_ERR_UNKNOWN_TYPE when
 * `type` is missing or not accepted on this channel, TG_ERR_BAD_MESSAGE when the fields are wrong.
 */
export function validateMessage<T>(value: unknown, validators: ValidatorMap): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TwinguideError('TG_ERR_UNKNOWN_TYPE', 'message is not an object with a `type`');
  }
  const type = (value as { type?: unknown }).type;
  const validate = typeof type === 'string' ? validators.get(type) : undefined;
  if (!validate) {
    const accepted = [...validators.keys()].join(', ');
    const shown = typeof type === 'string' ? `'${type.slice(0, 32)}'` : String(typeof type);
    throw new TwinguideError('TG_ERR_UNKNOWN_TYPE', `unknown message type ${shown}; this channel accepts: ${accepted}`);
  }
  return assertValid(validate, value, 'TG_ERR_BAD_MESSAGE', `bad '${type as string}' message`) as T;
}

// The one registry of every error twinguide can report, each with a stable code and a one-line
// meaning. Codes never change once released; the README's error table is checked against this list.

export const ERRORS = {
  // Wire frames and messages
  TG_ERR_FRAME_TOO_LARGE: 'A frame is larger than the configured limit; it was rejected before decoding.',
  TG_ERR_BAD_FRAME: 'A frame is not one well-formed msgpack value (truncated, garbage or trailing bytes).',
  TG_ERR_UNKNOWN_TYPE: 'A message has a missing or unknown `type`, or a type not accepted on this channel.',
  TG_ERR_BAD_MESSAGE: 'A message has missing fields, wrong types, or numbers outside what a real device produces (non-finite, a position beyond ±5 m, a time beyond ±2^32 s, a C-arm geometry no C-arm has); the path says where.',
  TG_ERR_CLOCK_JUMP: "A sample's time or seq moved implausibly from the feed's newest (forward by more than maxFeedClockJumpS, back by more than maxFeedClockStepBackS, or more samples than the rate allows); refused and counted. A feed whose clock restarted sends a `reset`.",

  // OpenIGTLink
  TG_ERR_IGTL_CRC: 'An OpenIGTLink message\'s body does not match its CRC-64; the message is dropped, the connection kept.',
  TG_ERR_IGTL_TOO_LARGE: 'An OpenIGTLink BODY_SIZE exceeds the limit; rejected on the header alone and the connection closed.',
  TG_ERR_IGTL_UNKNOWN_TYPE: 'An OpenIGTLink message type twinguide does not handle; its body is skipped, the connection kept.',
  TG_ERR_IGTL_BAD_CONTENT: 'An OpenIGTLink content or metadata size does not fit its type or body; the message is dropped.',
  TG_ERR_IGTL_VERSION: 'An OpenIGTLink header version other than 1 or 2; the message is skipped.',

  // Twin bundles
  TG_ERR_TWIN_READ: 'The twin file cannot be read (missing, not a file, permissions).',
  TG_ERR_TWIN_TOO_LARGE: 'The twin file is larger than the configured size limit.',
  TG_ERR_TWIN_JSON: 'The twin file is not valid JSON (NaN and Infinity literals are not JSON).',
  TG_ERR_TWIN_FORMAT: 'The twin file is not a `twinguide.twin/1` bundle.',
  TG_ERR_TWIN_SCHEMA: 'The twin bundle does not match the JSON Schema (missing fields, wrong types, out-of-range or non-finite numbers).',
  TG_ERR_TWIN_GEOMETRY: 'A surface is malformed: coordinates not in triples, or a per-vertex field of the wrong length.',
  TG_ERR_TWIN_INDEX: 'A triangle, edge, branch or root index points outside the vertex or node list.',
  TG_ERR_TWIN_TREE: 'The vein graph is not one tree rooted at `root` (cycle, second parent, unreachable node).',
  TG_ERR_TWIN_BRANCH: 'The vein branches are inconsistent (not a path in the tree, an edge in no or two branches, duplicate id).',
  TG_ERR_TWIN_SITE: 'A pacing site is inconsistent: unknown branch, off the vein centreline, wrong arc length, or inaccessible without a reason.',
  TG_ERR_TWIN_FEATURES: 'A feature vector has the wrong length, or the model and the bundle name different features.',
  TG_ERR_TWIN_LANDMARKS: 'The registration landmarks are too few, duplicated or coplanar.',
  TG_ERR_TWIN_LIMIT: 'The twin exceeds a configured count limit (vertices, vein nodes, sites, features).',
  TG_ERR_TWIN_MODEL_LOAD: 'The twin\'s ONNX model cannot be loaded or does not have one float input [N, features] and one output.',
  TG_ERR_TWIN_MODEL_MISMATCH: 'The twin\'s ONNX model does not reproduce the stored `p` at every site within 1e-4.',

  // Server
  TG_ERR_NOT_FOUND: 'No twin, procedure or recording has that id.',
  TG_ERR_BAD_REQUEST: 'A request body or parameter does not match its schema (the message names the field).',
  TG_ERR_LIMIT: 'A configured limit was reached (procedures, displays, frame rate); nothing was changed.',
  TG_ERR_AUTH: 'A role token is required and was missing or not recognised (Authorization: Bearer, or ?token=).',
  TG_ERR_FORBIDDEN: 'The token\'s role may not do this (e.g. a display token cannot send samples).',
  TG_ERR_CONFIG: 'The server configuration is invalid or unsafe (e.g. listening beyond loopback without tokens).',
  TG_ERR_CLUSTER: 'One of several instances could not reach the instance owning a procedure (Redis away, or it did not answer in time); try again.',
  TG_ERR_INTERNAL: 'An unexpected server error; it is logged, and the request had no effect beyond what it reports.',

  // Procedures and the pipeline
  TG_ERR_PROCEDURE_FAULT: "A procedure's own code failed (logged, counted in /metrics, said on its displays and in its recording); that procedure alone is affected, the server and every other procedure carry on.",
  TG_ERR_LEAD: "A lead is not known to the catalogue, or a custom lead's electrode offsets are missing, not increasing, or given for a catalogue model.",
  TG_ERR_MEASUREMENT: 'A measurement value is outside what a lab measures (QLV 0–300 ms, 0–10 V, pulse width 0.05–2 ms, 100–4000 Ω), or names an electrode the lead does not have; refused and counted, nothing recorded.',
  TG_ERR_REGISTRATION: 'A registration cannot be computed: too few, duplicate or collinear landmarks, unknown landmark name, landmarks from a frame of the other handedness (a mirror image of the twin fits them far better: flip that axis of the source) or in other units (metres or centimetres against the twin in millimetres, without scaling), or no trail to refine with.',

  // Recordings
  TG_ERR_RECORDING: 'A recording cannot be read (not MCAP, not a twinguide recording, or unreadable).',

  TG_ERR_REPORT: 'A procedure report cannot be written: a PDF needs Chromium (the HTML report does not), or the procedure has no recording.',

  // Twin builder
  TG_ERR_SURFACE: 'A surface file cannot be read: unknown format, malformed, non-finite or out-of-range data.',
  TG_ERR_ANATOMY: 'The surfaces cannot be oriented as a heart (no long axis, base, apex or septum found).',

  // Command line
  TG_ERR_CONNECT: 'A command cannot connect to its target (nothing listening, refused, or closed at once).',
  TG_ERR_USAGE: 'The command line is wrong (unknown command or option, missing argument).',
} as const;

export type ErrorCode = keyof typeof ERRORS;

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value);
}

/** An error with a stable code. `path` is a JSON pointer into the offending document when known. */
export class TwinguideError extends Error {
  readonly code: ErrorCode;
  readonly path: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { path?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TwinguideError';
    this.code = code;
    this.path = options?.path;
  }

  toJSON(): { code: ErrorCode; message: string; path?: string } {
    return this.path === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, path: this.path };
  }
}

export function isTwinguideError(e: unknown): e is TwinguideError {
  return e instanceof TwinguideError;
}

/** The README's error table, generated from the registry (see test/protocol/errors-readme.test.ts). */
export function errorTableMarkdown(): string {
  const rows = ERROR_CODES.map((code) => `| \`${code}\` | ${ERRORS[code]} |`);
  return ['| code | meaning |', '|---|---|', ...rows].join('\n');
}

// A small benchmark harness: runs a function in timed rounds and reports the median cost per
// operation. Figures are printed, never asserted; compare ratios measured in the same run.

export interface Figure {
  name: string;
  /** Median nanoseconds per operation over the rounds. */
  nsPerOp: number;
  p90NsPerOp: number;
  ops: number;
}

/** Runs `fn(i)` `batch` times per round until `minMs` have passed (at least `minRounds` rounds). */
export function measure(name: string, fn: (i: number) => unknown, options: { batch?: number; minMs?: number; minRounds?: number } = {}): Figure {
  const batch = options.batch ?? 1000;
  const minMs = options.minMs ?? 500;
  const minRounds = options.minRounds ?? 10;
  let sink: unknown;
  for (let i = 0; i < batch; i++) sink = fn(i); // warm-up: let the JIT settle
  const rounds: number[] = [];
  const start = performance.now();
  let i = 0;
  while (rounds.length < minRounds || performance.now() - start < minMs) {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < batch; k++) sink = fn(i++);
    rounds.push(Number(process.hrtime.bigint() - t0) / batch);
    if (rounds.length > 100_000) break;
  }
  keep(sink);
  rounds.sort((a, b) => a - b);
  return { name, nsPerOp: rounds[rounds.length >> 1]!, p90NsPerOp: rounds[Math.floor(rounds.length * 0.9)]!, ops: i };
}

/** Async variant for operations that return promises (one op per round). */
export async function measureAsync(name: string, fn: () => Promise<unknown>, options: { rounds?: number; warmup?: number } = {}): Promise<Figure> {
  const rounds = options.rounds ?? 10;
  for (let i = 0; i < (options.warmup ?? 2); i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0));
  }
  times.sort((a, b) => a - b);
  return { name, nsPerOp: times[times.length >> 1]!, p90NsPerOp: times[Math.floor(times.length * 0.9)]!, ops: rounds };
}

let sinkHole: unknown;
function keep(value: unknown): void {
  sinkHole = value;
}
export function sink(): unknown {
  return sinkHole;
}

export function formatNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(0)} ns`;
}

export function printTable(title: string, rows: readonly Figure[], baseline?: Figure): void {
  console.log(`\n${title}`);
  for (const r of rows) {
    const ratio = baseline && r !== baseline ? `  ×${(r.nsPerOp / baseline.nsPerOp).toFixed(2)} of ${baseline.name}` : '';
    console.log(`  ${r.name.padEnd(52)} median ${formatNs(r.nsPerOp).padStart(10)}  p90 ${formatNs(r.p90NsPerOp).padStart(10)}${ratio}`);
  }
}

/** Machine line for the closing note and for tools: one JSON object per bench. */
export function printJson(bench: string, figures: Record<string, number | string>): void {
  console.log(`${JSON.stringify({ bench, node: process.version, ...figures })}`);
}

// The response map over the whole epicardium, interpolated from the sites: a Gaussian-weighted
// mean of the sites' p (Nadaraya–Watson) within a reach; vertices with no site within reach get
// NO_VALUE and are drawn neutral, so the map never claims a response where the twin has no site.
// Two implementations of the same sum: plain TypeScript, and a gpu.js kernel (bench/ compares them).

export const NO_VALUE = -1;

export interface FieldInput {
  /** Surface vertices x, y, z. */
  vertices: Float32Array;
  /** Site positions x, y, z. */
  sites: Float32Array;
  /** p at each site. */
  p: Float32Array;
  /** Kernel width, mm. */
  sigmaMm: number;
  /** Sites further than this do not count, mm. */
  reachMm: number;
}

export const FIELD_DEFAULTS = { sigmaMm: 8, reachMm: 25 } as const;

export function responseFieldTs(input: FieldInput, out = new Float32Array(input.vertices.length / 3)): Float32Array {
  const { vertices, sites, p } = input;
  const m = p.length;
  const inv2s2 = 1 / (2 * input.sigmaMm * input.sigmaMm);
  const reach2 = input.reachMm * input.reachMm;
  for (let i = 0, n = out.length; i < n; i++) {
    const x = vertices[i * 3]!;
    const y = vertices[i * 3 + 1]!;
    const z = vertices[i * 3 + 2]!;
    let sw = 0;
    let swp = 0;
    for (let j = 0; j < m; j++) {
      const dx = sites[j * 3]! - x;
      const dy = sites[j * 3 + 1]! - y;
      const dz = sites[j * 3 + 2]! - z;
      const d2 = dx * dx + dy * dy + dz * dz;
      if (d2 > reach2) continue;
      const w = Math.exp(-d2 * inv2s2);
      sw += w;
      swp += w * p[j]!;
    }
    out[i] = sw > 1e-12 ? swp / sw : NO_VALUE;
  }
  return out;
}

/** The part of gpu.js's API the kernel needs (node's `gpu.js` or the browser build's `GPU`). */
export interface GpuLike {
  createKernel(source: never, settings?: Record<string, unknown>): GpuKernel;
}
interface GpuKernel {
  (...args: unknown[]): unknown;
  setOutput(output: number[]): GpuKernel;
  setConstants(constants: Record<string, number>): GpuKernel;
  setLoopMaxIterations(n: number): GpuKernel;
  destroy?(): void;
}

// gpu.js translates a kernel's JavaScript source to GLSL (or runs it as JS in CPU mode). Kept as
// source text so that neither TypeScript nor the bundler's minifier rewrites it.
const FIELD_KERNEL_SOURCE = `function (vertices, sites, p) {
  const i = this.thread.x;
  const x = vertices[i * 3];
  const y = vertices[i * 3 + 1];
  const z = vertices[i * 3 + 2];
  let sw = 0;
  let swp = 0;
  for (let j = 0; j < this.constants.m; j++) {
    const dx = sites[j * 3] - x;
    const dy = sites[j * 3 + 1] - y;
    const dz = sites[j * 3 + 2] - z;
    const d2 = dx * dx + dy * dy + dz * dz;
    if (d2 <= this.constants.reach2) {
      const w = Math.exp(-d2 * this.constants.inv2s2);
      sw += w;
      swp += w * p[j];
    }
  }
  let value = -1;
  if (sw > 1e-12) {
    value = swp / sw;
  }
  return value;
}`;

/** The same sum as a gpu.js kernel, one thread per vertex. Built per input size (gpu.js compiles it). */
export function responseFieldGpu(gpu: GpuLike, input: FieldInput): Float32Array {
  const n = input.vertices.length / 3;
  const m = input.p.length;
  const kernel = gpu.createKernel(FIELD_KERNEL_SOURCE as never, { tactic: 'precision' })
    .setOutput([n])
    .setConstants({ m, inv2s2: 1 / (2 * input.sigmaMm * input.sigmaMm), reach2: input.reachMm * input.reachMm })
    .setLoopMaxIterations(Math.max(1, m));
  const result = kernel(input.vertices, input.sites, input.p) as Float32Array | number[];
  kernel.destroy?.();
  return result instanceof Float32Array ? result : Float32Array.from(result);
}

/** The inputs for a twin: its epicardium and all its sites. */
export function fieldInputFor(vertices: Float32Array, sites: readonly { position: readonly number[]; p: number }[], options: Partial<Pick<FieldInput, 'sigmaMm' | 'reachMm'>> = {}): FieldInput {
  const positions = new Float32Array(sites.length * 3);
  sites.forEach((s, j) => positions.set([s.position[0]!, s.position[1]!, s.position[2]!], j * 3));
  return { vertices, sites: positions, p: Float32Array.from(sites, (s) => s.p), ...FIELD_DEFAULTS, ...options };
}

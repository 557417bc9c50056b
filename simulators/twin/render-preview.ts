// A headless picture of a twin for documentation: a small software rasteriser (orthographic,
// z-buffered, Lambert-shaded epicardium; vein tubes coloured by responder probability with a
// colour-blind-safe map; target zones haloed; inaccessible stretches grey) seen from C-arm angles.

import type { Twin } from '../../server/twin/twin.ts';
import { interpolateP } from '../../server/twin/target-zones.ts';
import { encodePng } from './png.ts';

export interface PreviewView {
  label: string;
  /** Primary angle, degrees, +LAO. */
  alpha: number;
  /** Secondary angle, degrees, +CRAN. */
  beta: number;
}

/** Views that show the CS tree: LAO 30 (the implanter's view), left lateral, and posterior. */
export const DEFAULT_VIEWS: PreviewView[] = [
  { label: 'LAO 30', alpha: 30, beta: 0 },
  { label: 'left lateral', alpha: 90, beta: 0 },
  { label: 'posterior', alpha: 180, beta: 0 },
];

type Rgb = [number, number, number];

/** Cividis-like map (perceptually uniform, readable with colour-vision deficiency). */
const CIVIDIS: Rgb[] = [[0, 32, 77], [65, 77, 107], [124, 123, 120], [189, 175, 111], [255, 234, 70]];
export function responseColour(p: number): Rgb {
  const x = Math.min(1, Math.max(0, p)) * (CIVIDIS.length - 1);
  const i = Math.min(CIVIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = CIVIDIS[i]!, b = CIVIDIS[i + 1]!;
  return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])];
}

const BACKGROUND: Rgb = [18, 20, 26];
const EPI: Rgb = [196, 150, 140];
const INACCESSIBLE: Rgb = [95, 95, 100];
const ZONE_HALO: Rgb = [255, 255, 255];

class Canvas {
  readonly rgba: Uint8Array;
  readonly depth: Float64Array;
  constructor(readonly width: number, readonly height: number) {
    this.rgba = new Uint8Array(width * height * 4);
    this.depth = new Float64Array(width * height).fill(Infinity);
    for (let i = 0; i < width * height; i++) this.rgba.set([...BACKGROUND, 255], 4 * i);
  }
  plot(x: number, y: number, z: number, c: Rgb, alpha = 1): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = y * this.width + x;
    if (z > this.depth[i]!) return;
    this.depth[i] = z;
    for (let k = 0; k < 3; k++) this.rgba[4 * i + k] = Math.round(alpha * c[k]! + (1 - alpha) * this.rgba[4 * i + k]!);
  }
}

interface Camera {
  right: [number, number, number];
  up: [number, number, number];
  forward: [number, number, number];
}

function camera(view: PreviewView): Camera {
  const a = (view.alpha * Math.PI) / 180, b = (view.beta * Math.PI) / 180;
  // DESIGN.md: viewing direction d = (sin α cos β, −cos α cos β, sin β), from the patient to the viewer.
  const d: [number, number, number] = [Math.sin(a) * Math.cos(b), -Math.cos(a) * Math.cos(b), Math.sin(b)];
  const forward: [number, number, number] = [-d[0], -d[1], -d[2]];
  const sup: [number, number, number] = [0, 0, 1];
  const k = sup[0] * d[0] + sup[1] * d[1] + sup[2] * d[2];
  let up: [number, number, number] = [sup[0] - k * d[0], sup[1] - k * d[1], sup[2] - k * d[2]];
  const n = Math.hypot(...up);
  up = [up[0] / n, up[1] / n, up[2] / n];
  const right: [number, number, number] = [forward[1] * up[2] - forward[2] * up[1], forward[2] * up[0] - forward[0] * up[2], forward[0] * up[1] - forward[1] * up[0]];
  return { right, up, forward };
}

function renderView(twin: Twin, view: PreviewView, size: number): Canvas {
  const canvas = new Canvas(size, size);
  const cam = camera(view);
  const epi = twin.surfaces.epi;
  const pos = epi.positionsMm;
  const project = (x: number, y: number, z: number): [number, number, number] => [
    x * cam.right[0] + y * cam.right[1] + z * cam.right[2],
    x * cam.up[0] + y * cam.up[1] + z * cam.up[2],
    x * cam.forward[0] + y * cam.forward[1] + z * cam.forward[2],
  ];
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < epi.vertexCount; i++) {
    const [sx, sy] = project(pos[3 * i]!, pos[3 * i + 1]!, pos[3 * i + 2]!);
    minX = Math.min(minX, sx); maxX = Math.max(maxX, sx); minY = Math.min(minY, sy); maxY = Math.max(maxY, sy);
  }
  const scale = (0.9 * size) / Math.max(maxX - minX, maxY - minY);
  const cx = (minX + maxX) / 2, cy = (minY + maxY) / 2;
  const toScreen = (x: number, y: number, z: number): [number, number, number] => {
    const [sx, sy, sz] = project(x, y, z);
    return [size / 2 + (sx - cx) * scale, size / 2 - (sy - cy) * scale, sz];
  };

  // Epicardium: Gouraud-shaded triangles (area-weighted vertex normals), light from the viewer.
  const t = epi.triangles;
  const normals = new Float64Array(3 * epi.vertexCount);
  for (let f = 0; f < epi.triangleCount; f++) {
    const ia = t[3 * f]!, ib = t[3 * f + 1]!, ic = t[3 * f + 2]!;
    const ux = pos[3 * ib]! - pos[3 * ia]!, uy = pos[3 * ib + 1]! - pos[3 * ia + 1]!, uz = pos[3 * ib + 2]! - pos[3 * ia + 2]!;
    const vx = pos[3 * ic]! - pos[3 * ia]!, vy = pos[3 * ic + 1]! - pos[3 * ia + 1]!, vz = pos[3 * ic + 2]! - pos[3 * ia + 2]!;
    const n = [uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx];
    for (const v of [ia, ib, ic]) for (let k = 0; k < 3; k++) normals[3 * v + k]! += n[k]!;
  }
  const shadeOf = (v: number): number => {
    const nx = normals[3 * v]!, ny = normals[3 * v + 1]!, nz = normals[3 * v + 2]!;
    const light = Math.abs((nx * cam.forward[0] + ny * cam.forward[1] + nz * cam.forward[2]) / (Math.hypot(nx, ny, nz) || 1));
    return 0.22 + 0.78 * light;
  };
  for (let f = 0; f < epi.triangleCount; f++) {
    const ia = t[3 * f]!, ib = t[3 * f + 1]!, ic = t[3 * f + 2]!;
    const a = toScreen(pos[3 * ia]!, pos[3 * ia + 1]!, pos[3 * ia + 2]!);
    const b = toScreen(pos[3 * ib]!, pos[3 * ib + 1]!, pos[3 * ib + 2]!);
    const c = toScreen(pos[3 * ic]!, pos[3 * ic + 1]!, pos[3 * ic + 2]!);
    fillTriangle(canvas, a, b, c, [shadeOf(ia), shadeOf(ib), shadeOf(ic)]);
  }

  // Veins: discs stamped along each segment, in front of the surface they lie on.
  const veins = twin.veins;
  const vp = veins.positionsMm;
  const sites = twin.sites;
  const nodeStyle = (node: number): { colour: Rgb; zone: boolean; accessible: boolean } => {
    const branch = veins.segmentBranch[node]! >= 0 ? veins.segmentBranch[node]! : 0;
    const arc = veins.arcLengthMm[node]!;
    const list = sites.byBranch[branch]!;
    let p = interpolateP(sites, branch, arc);
    let nearest = -1;
    for (const s of list) if (nearest < 0 || Math.abs(sites.arcLengthMm[s]! - arc) < Math.abs(sites.arcLengthMm[nearest]! - arc)) nearest = s;
    if (Number.isNaN(p)) p = nearest >= 0 ? sites.p[nearest]! : 0;
    const accessible = nearest < 0 || sites.accessible[nearest] === 1;
    const zone = twin.zones.some((z) => z.branch === branch && arc >= z.startArcMm - 1 && arc <= z.endArcMm + 1);
    return { colour: accessible ? responseColour(p) : INACCESSIBLE, zone, accessible };
  };
  for (const pass of ['halo', 'tube'] as const) {
    for (let c = 0; c < veins.nodeCount; c++) {
      const parent = veins.parent[c]!;
      if (parent < 0) continue;
      const style = nodeStyle(c);
      if (pass === 'halo' && !style.zone) continue;
      const a = toScreen(vp[3 * parent]!, vp[3 * parent + 1]!, vp[3 * parent + 2]!);
      const b = toScreen(vp[3 * c]!, vp[3 * c + 1]!, vp[3 * c + 2]!);
      const radiusPx = Math.max(1.2, veins.radiiMm[c]! * scale * (style.accessible ? 1 : 0.7)) + (pass === 'halo' ? 2.5 : 0);
      const steps = Math.max(1, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1]) / 0.7));
      for (let k = 0; k <= steps; k++) {
        const f = k / steps;
        disc(canvas, a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2]) - (pass === 'halo' ? 1.5 : 3), radiusPx, pass === 'halo' ? ZONE_HALO : style.colour);
      }
    }
  }
  // The CS ostium: a white ring.
  const o = toScreen(vp[3 * veins.root]!, vp[3 * veins.root + 1]!, vp[3 * veins.root + 2]!);
  ring(canvas, o[0], o[1], 6, ZONE_HALO);
  return canvas;
}

function fillTriangle(canvas: Canvas, a: number[], b: number[], c: number[], shade: [number, number, number]): void {
  const minX = Math.max(0, Math.floor(Math.min(a[0]!, b[0]!, c[0]!))), maxX = Math.min(canvas.width - 1, Math.ceil(Math.max(a[0]!, b[0]!, c[0]!)));
  const minY = Math.max(0, Math.floor(Math.min(a[1]!, b[1]!, c[1]!))), maxY = Math.min(canvas.height - 1, Math.ceil(Math.max(a[1]!, b[1]!, c[1]!)));
  const area = (b[0]! - a[0]!) * (c[1]! - a[1]!) - (b[1]! - a[1]!) * (c[0]! - a[0]!);
  if (Math.abs(area) < 1e-9) return;
  for (let y = minY; y <= maxY; y++) {
    for (let x = minX; x <= maxX; x++) {
      const px = x + 0.5, py = y + 0.5;
      const w0 = ((b[0]! - px) * (c[1]! - py) - (b[1]! - py) * (c[0]! - px)) / area;
      const w1 = ((c[0]! - px) * (a[1]! - py) - (c[1]! - py) * (a[0]! - px)) / area;
      const w2 = 1 - w0 - w1;
      if (w0 < 0 || w1 < 0 || w2 < 0) continue;
      const k = w0 * shade[0] + w1 * shade[1] + w2 * shade[2];
      canvas.plot(x, y, w0 * a[2]! + w1 * b[2]! + w2 * c[2]!, [EPI[0] * k, EPI[1] * k, EPI[2] * k]);
    }
  }
}

function disc(canvas: Canvas, cx: number, cy: number, z: number, r: number, colour: Rgb): void {
  for (let y = Math.floor(cy - r); y <= Math.ceil(cy + r); y++) {
    for (let x = Math.floor(cx - r); x <= Math.ceil(cx + r); x++) {
      const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
      if (d <= r) canvas.plot(x, y, z + 0.2 * d, colour, Math.min(1, r - d + 0.5));
    }
  }
}

function ring(canvas: Canvas, cx: number, cy: number, r: number, colour: Rgb): void {
  for (let a = 0; a < 360; a += 2) {
    const x = Math.round(cx + r * Math.cos((a * Math.PI) / 180)), y = Math.round(cy + r * Math.sin((a * Math.PI) / 180));
    canvas.plot(x, y, -Infinity, colour);
    canvas.plot(x + 1, y, -Infinity, colour);
  }
}

/** Views side by side, with a p colour bar (0 left → 1 right) along the bottom. */
export function renderTwinPreview(twin: Twin, views: PreviewView[] = DEFAULT_VIEWS, size = 520): Buffer {
  const bar = 18;
  const width = size * views.length;
  const height = size + bar + 8;
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) rgba.set([...BACKGROUND, 255], 4 * i);
  views.forEach((view, k) => {
    const canvas = renderView(twin, view, size);
    for (let y = 0; y < size; y++) rgba.set(canvas.rgba.subarray(y * size * 4, (y + 1) * size * 4), (y * width + k * size) * 4);
  });
  for (let x = 0; x < width; x++) {
    const c = responseColour(x / (width - 1));
    for (let y = size + 4; y < size + 4 + bar; y++) rgba.set([Math.round(c[0]), Math.round(c[1]), Math.round(c[2]), 255], (y * width + x) * 4);
  }
  return encodePng(width, height, rgba);
}

// The report's pictures: the twin as the C-arm shows it from the standard views (orthographic,
// the same poses as the display's camera presets), drawn as SVG: the epicardium's silhouette, the
// veins, the target zones (orange) and ruled-out stretches (vermillion), the path the tip took
// (sky blue), where measurements were taken, and the electrodes where they ended (numbered).
// Chromium prints them into the PDF as vectors.

import { carmPose, PRESETS, type CarmAngles } from '../pipeline/carm-views.ts';
import type { Twin } from '../twin/twin.ts';
import type { ReportModel } from './report-model.ts';

export const PICTURE_COLOURS = { path: '#56b4e9', zone: '#e69f00', excluded: '#d55e00', electrode: '#cc79a7', vein: '#8a8f99', measurement: '#009e73', epi: '#c9ccd2' } as const;

const WIDTH = 420, HEIGHT = 380, MARGIN = 16;

type V3 = readonly [number, number, number] | readonly number[];
const dot = (a: V3, b: V3): number => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
const cross = (a: V3, b: V3): [number, number, number] => [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];
const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export interface ReportPicture {
  name: string;
  label: string;
  svg: string;
}

/** One picture per standard view. `rotation`: C-arm → twin (the registration's, for a fluoro procedure), else none. */
export function reportPictures(model: ReportModel, twin: Twin, rotation: readonly number[] | null = null): ReportPicture[] {
  return PRESETS.map((p) => ({ name: p.name, label: p.label, svg: viewSvg(model, twin, p.angles, p.label, rotation) }));
}

function viewSvg(model: ReportModel, twin: Twin, angles: CarmAngles, label: string, rotation: readonly number[] | null): string {
  const pose = carmPose(angles, rotation);
  const up = pose.up, toward = pose.towardCamera, right = cross(up, toward);
  const epi = twin.surfaces.epi;
  const pos = epi.positionsMm;
  // Fit the epicardium into the picture.
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < pos.length; i += 3) {
    const p = [pos[i]!, pos[i + 1]!, pos[i + 2]!];
    const x = dot(p, right), y = dot(p, up);
    minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y);
  }
  const scale = Math.min((WIDTH - 2 * MARGIN) / (maxX - minX), (HEIGHT - 2 * MARGIN - 20) / (maxY - minY));
  const cx = (minX + maxX) / 2, cy = (minY + maxY) / 2;
  const sx = (p: V3): number => WIDTH / 2 + (dot(p, right) - cx) * scale;
  const sy = (p: V3): number => HEIGHT / 2 + 10 - (dot(p, up) - cy) * scale;
  const xy = (p: V3): string => `${sx(p).toFixed(1)} ${sy(p).toFixed(1)}`;
  const parts: string[] = [];
  // The epicardium: its triangles that face the viewer, as one filled path.
  const tri = epi.triangles;
  const d: string[] = [];
  for (let k = 0; k < tri.length; k += 3) {
    const a = tri[k]! * 3, b = tri[k + 1]! * 3, c = tri[k + 2]! * 3;
    const pa = [pos[a]!, pos[a + 1]!, pos[a + 2]!], pb = [pos[b]!, pos[b + 1]!, pos[b + 2]!], pc = [pos[c]!, pos[c + 1]!, pos[c + 2]!];
    const n = cross([pb[0]! - pa[0]!, pb[1]! - pa[1]!, pb[2]! - pa[2]!], [pc[0]! - pa[0]!, pc[1]! - pa[1]!, pc[2]! - pa[2]!]);
    if (dot(n, toward) <= 0) continue;
    d.push(`M${xy(pa)}L${xy(pb)}L${xy(pc)}Z`);
  }
  parts.push(`<path d="${d.join('')}" fill="${PICTURE_COLOURS.epi}" fill-opacity="0.22" stroke="none"/>`);
  // Veins, branch by branch, as wide as they are.
  const v = twin.veins;
  const node = (i: number): [number, number, number] => [v.positionsMm[3 * i]!, v.positionsMm[3 * i + 1]!, v.positionsMm[3 * i + 2]!];
  const stretch = (branchId: string, from: number, to: number): string => {
    const b = v.branches[v.branchById.get(branchId) ?? -1];
    if (!b) return '';
    const pts = Array.from(b.nodes).filter((i) => v.arcLengthMm[i]! >= from - 0.5 && v.arcLengthMm[i]! <= to + 0.5).map((i) => xy(node(i)));
    return pts.length > 1 ? `M${pts.join('L')}` : '';
  };
  for (const b of v.branches) {
    const pts = Array.from(b.nodes, (i) => xy(node(i)));
    parts.push(`<path d="M${pts.join('L')}" fill="none" stroke="${PICTURE_COLOURS.vein}" stroke-width="${Math.max(1.2, 2 * b.minRadiusMm * scale * 0.8).toFixed(1)}" stroke-linecap="round" stroke-linejoin="round"/>`);
  }
  for (const z of model.zones) parts.push(`<path d="${stretch(z.branch, z.startArcMm, z.endArcMm)}" fill="none" stroke="${PICTURE_COLOURS.zone}" stroke-width="6" stroke-linecap="round"/>`);
  for (const x of model.exclusions) parts.push(`<path d="${stretch(x.branch, x.startArcMm, x.endArcMm)}" fill="none" stroke="${PICTURE_COLOURS.excluded}" stroke-width="8" stroke-linecap="butt"/>`);
  // The tip's path.
  if (model.path.length > 1) parts.push(`<path class="tip-path" d="M${model.path.map(xy).join('L')}" fill="none" stroke="${PICTURE_COLOURS.path}" stroke-width="2" stroke-linejoin="round"/>`);
  for (const r of model.measurements) {
    if (!r.at) continue;
    const x = sx(r.at.p), y = sy(r.at.p);
    const colour = r.measurement.kind === 'phrenic' && r.measurement.captured ? PICTURE_COLOURS.excluded : PICTURE_COLOURS.measurement;
    parts.push(`<path d="M${x.toFixed(1)} ${(y - 6).toFixed(1)}l5 6l-5 6l-5 -6Z" fill="${colour}" stroke="#111" stroke-width="0.6"/>`);
  }
  // The electrodes where they ended, numbered; the tip ringed.
  const final = model.final;
  if (final) {
    const electrodes = final.lead?.electrodes ?? [];
    if (electrodes.length > 1) parts.push(`<path d="M${electrodes.map((e) => xy(e.p)).join('L')}" fill="none" stroke="${PICTURE_COLOURS.electrode}" stroke-width="1.5"/>`);
    parts.push(`<circle cx="${sx(final.tip.p).toFixed(1)}" cy="${sy(final.tip.p).toFixed(1)}" r="6" fill="none" stroke="#e69f00" stroke-width="2"/>`);
    for (const e of electrodes) {
      const x = sx(e.p), y = sy(e.p);
      parts.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3.6" fill="${e.zone === 'in' ? PICTURE_COLOURS.zone : PICTURE_COLOURS.electrode}" stroke="#111" stroke-width="0.6"/>`);
      parts.push(`<text x="${(x + 5).toFixed(1)}" y="${(y - 4).toFixed(1)}" font-size="10" font-weight="700" fill="#111">${e.n}</text>`);
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${esc(label)} view"><rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/><text x="${MARGIN}" y="${MARGIN + 4}" font-size="13" font-weight="700" fill="#222">${esc(label)}</text>${parts.join('')}</svg>`;
}

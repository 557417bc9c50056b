// Landmarks the pipeline knows better than the builder: the CS ostium, the LV apex, a point on the
// septum (or in the RV). From a JSON file ({"landmarks": [{"name", "position"}]}, or
// {"cs-ostium": [x, y, z], …}) or a 3D Slicer markups point list (.mrk.json: control points
// labelled with those names, in the file's coordinateSystem).

import { readFileSync, statSync } from 'node:fs';
import { TwinguideError } from '../../protocol/index.ts';
import type { PatientFrame, Units } from './surface-files.ts';
import type { Vec } from './triangle-mesh.ts';

export interface BuilderLandmarks {
  csOstium?: Vec;
  lvApex?: Vec;
  septum?: Vec;
}

const NAMES: Record<string, keyof BuilderLandmarks> = {
  'cs-ostium': 'csOstium', 'coronary-sinus-ostium': 'csOstium', ostium: 'csOstium',
  'lv-apex': 'lvApex', apex: 'lvApex',
  septum: 'septum', 'rv': 'septum', 'rv-centre': 'septum', 'rv-center': 'septum', 'septal': 'septum',
};

export function readLandmarkFile(file: string, options: { units?: Units; frame?: PatientFrame } = {}): { landmarks: BuilderLandmarks; ignored: string[] } {
  let json: unknown;
  try {
    if (statSync(file).size > 4 * 1024 * 1024) throw new Error('larger than 4 MB');
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new TwinguideError('TG_ERR_USAGE', `--landmarks ${file}: ${(cause as Error).message}`, { cause });
  }
  const entries: { name: string; position: unknown; frame: PatientFrame }[] = [];
  const root = json as Record<string, unknown>;
  const fileFrame: PatientFrame = root['coordinateSystem'] === 'RAS' || root['frame'] === 'RAS' ? 'RAS' : root['coordinateSystem'] === 'LPS' || root['frame'] === 'LPS' ? 'LPS' : options.frame ?? 'LPS';
  if (Array.isArray(root['markups'])) {
    for (const m of root['markups'] as Record<string, unknown>[]) {
      const frame: PatientFrame = m['coordinateSystem'] === 'RAS' ? 'RAS' : m['coordinateSystem'] === 'LPS' ? 'LPS' : options.frame ?? 'LPS';
      for (const p of (Array.isArray(m['controlPoints']) ? m['controlPoints'] : []) as Record<string, unknown>[]) entries.push({ name: String(p['label'] ?? ''), position: p['position'], frame });
    }
  } else if (Array.isArray(root['landmarks'])) {
    for (const l of root['landmarks'] as Record<string, unknown>[]) entries.push({ name: String(l['name'] ?? ''), position: l['position'], frame: fileFrame });
  } else if (root && typeof root === 'object') {
    for (const [name, position] of Object.entries(root)) if (Array.isArray(position)) entries.push({ name, position, frame: fileFrame });
  }
  const scale = options.units === 'm' ? 1000 : 1;
  const landmarks: BuilderLandmarks = {};
  const ignored: string[] = [];
  for (const e of entries) {
    const key = NAMES[e.name.trim().toLowerCase().replace(/[\s_]+/g, '-')];
    if (!key) { ignored.push(e.name); continue; }
    const v = e.position;
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && Math.abs(x) * scale <= 5000)) {
      throw new TwinguideError('TG_ERR_USAGE', `--landmarks ${file}: '${e.name}' needs a position [x, y, z] in mm (|x| ≤ 5000)`);
    }
    const flip = e.frame === 'RAS' ? -1 : 1;
    landmarks[key] = [v[0] * scale * flip, v[1] * scale * flip, v[2] * scale];
  }
  if (Object.keys(landmarks).length === 0) throw new TwinguideError('TG_ERR_USAGE', `--landmarks ${file}: none of cs-ostium, lv-apex, septum found${ignored.length ? ` (found ${ignored.join(', ')})` : ''}`);
  return { landmarks, ignored };
}

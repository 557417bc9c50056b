// Twins from the files real pipelines write (issue 14): VTK XML in every encoding, OBJ, PLY, an
// LV-only pair (and a moved copy), VMTK and 3D Slicer centrelines, per-vertex response and
// activation fields, a second openly licensed heart (the Cardiac Atlas Project mean LV). The
// fixtures are real files written by VTK (test/fixtures/real-files/make_fixtures.py).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { TwinguideError, type TwinBundle } from '../../protocol/index.ts';
import { buildTwin } from '../../server/twin/load-twin.ts';
import { summariseTwin } from '../../server/twin/twin-summary.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { runScenario } from '../../simulators/device/run-scenario.ts';
import { buildTwinFromSurfaces, findSurfaceFiles, readHeart, type BuildOptions } from '../../simulators/twin/build-twin.ts';
import { readCentrelines } from '../../simulators/twin/centreline-files.ts';
import { readLandmarkFile } from '../../simulators/twin/landmark-file.ts';
import { readSurface, type SurfaceReadOptions } from '../../simulators/twin/surface-files.ts';
import { ACTIVATION_LIMITS, readVertexField, RESPONSE_LIMITS, sampleField } from '../../simulators/twin/vertex-fields.ts';

const FIX = fileURLToPath(new URL('../fixtures/real-files/', import.meta.url));
const BIVME = fileURLToPath(new URL('../../data/anatomy/bivme-patient1/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'tg-real-files-'));

interface Built { bundle: TwinBundle; twin: Twin }
const opened: Twin[] = [];
afterAll(async () => { for (const t of opened) await t.close(); });

/** Build from a directory (and options) the way `twin build` does, then load it as the server would. */
async function build(dir: string, extra: Pick<Partial<BuildOptions>, 'septum' | 'landmarks'> & { read?: SurfaceReadOptions; response?: string; activation?: string; veins?: string } = {}): Promise<Built> {
  const files = findSurfaceFiles(dir);
  const heart = readHeart(files, extra.read ?? {});
  const veins = extra.veins ? readCentrelines(extra.veins) : undefined;
  const { bundle } = buildTwinFromSurfaces(heart.surfaces, {
    seed: 7,
    id: 'fixture',
    ...(extra.septum ? { septum: extra.septum } : {}),
    ...(extra.landmarks ? { landmarks: extra.landmarks } : {}),
    ...(veins ? { veins: { file: veins.tree, source: 'v', format: veins.format, sameFrame: veins.sameFrame } } : {}),
    ...(extra.response ? { response: readVertexField(extra.response, heart.epiFile, files.epi, RESPONSE_LIMITS) } : {}),
    ...(extra.activation ? { activation: readVertexField(extra.activation, heart.epiFile, files.epi, ACTIVATION_LIMITS) } : {}),
  });
  const twin = await buildTwin(JSON.parse(JSON.stringify(bundle)));
  opened.push(twin);
  return { bundle, twin };
}

/** Largest difference between two bundles' numbers, meta aside (same structure required). */
function maxDifference(a: unknown, b: unknown, path = ''): number {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b);
  if (Array.isArray(a) && Array.isArray(b)) {
    expect(b.length, path).toBe(a.length);
    return a.reduce((m: number, x, i) => Math.max(m, maxDifference(x, b[i], `${path}/${i}`)), 0);
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = Object.keys(a).filter((k) => k !== 'meta');
    expect(Object.keys(b).filter((k) => k !== 'meta').sort(), path).toEqual(keys.sort());
    return keys.reduce((m, k) => Math.max(m, maxDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}/${k}`)), 0);
  }
  expect(b, path).toEqual(a);
  return 0;
}

const deg = (a: readonly number[], b: readonly number[]): number => (Math.acos(Math.min(1, Math.abs(a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!))) * 180) / Math.PI;

describe('surface files in the formats of the field', () => {
  const json = readSurface(join(BIVME, 'epi.json')).mesh;
  it('reads VTK XML PolyData in every encoding VTK writes, exactly', () => {
    for (const enc of ['ascii', 'binary', 'binary-zlib', 'appended-raw', 'appended-base64-zlib-uint64']) {
      const mesh = readSurface(join(FIX, 'vtp-encodings', `epi-${enc}.vtp`)).mesh;
      expect(mesh.vertexCount, enc).toBe(json.vertexCount);
      expect(Array.from(mesh.triangles), enc).toEqual(Array.from(json.triangles));
      expect(maxDifference(Array.from(mesh.positions), Array.from(json.positions)), enc).toBeLessThan(1e-9);
    }
  });

  it('reads OBJ and double-precision PLY exactly, float32 PLY (as VTK writes it) to its precision', () => {
    const obj = readSurface(join(FIX, 'demo-obj', 'epi.obj')).mesh;
    expect(maxDifference(Array.from(obj.positions), Array.from(json.positions))).toBeLessThan(1e-9);
    const ply = readSurface(join(FIX, 'demo-ply', 'epi.ply')).mesh;
    expect(maxDifference(Array.from(ply.positions), Array.from(json.positions))).toBeLessThan(1e-9);
    expect(Array.from(ply.triangles)).toEqual(Array.from(json.triangles));
    const float32 = readSurface(join(FIX, 'demo-ply-float32', 'epi.ply'));
    expect(float32.frame).toBe('LPS');
    expect(float32.frameFrom).toBe('file'); // the SPACE=LPS comment
    expect(maxDifference(Array.from(float32.mesh.positions), Array.from(json.positions))).toBeLessThan(1e-4);
    expect(Array.from(float32.mesh.triangles)).toEqual(Array.from(json.triangles));
  });

  it('keeps point data: the response and activation arrays of a .vtp epicardium', () => {
    const epi = readSurface(join(FIX, 'lv-only-vtp', 'epi.vtp'));
    expect(epi.pointData.get('CRTResponse')!.values.length).toBe(epi.mesh.vertexCount);
    expect(epi.pointData.get('ActivationTime')!.values.length).toBe(epi.mesh.vertexCount);
  });

  it('turns RAS into LPS when the file says SPACE=RAS, or when --frame says so', () => {
    const text = readFileSync(join(FIX, 'demo-obj', 'epi.obj'), 'utf8').replace(/^v (\S+) (\S+) (\S+)$/gm, (_m, x: string, y: string, z: string) => `v ${-Number(x)} ${-Number(y)} ${z}`);
    writeFileSync(join(tmp, 'ras.obj'), `# SPACE=RAS\n${text}`);
    writeFileSync(join(tmp, 'ras-unsaid.obj'), text);
    expect(maxDifference(Array.from(readSurface(join(tmp, 'ras.obj')).mesh.positions), Array.from(json.positions))).toBeLessThan(1e-9);
    expect(maxDifference(Array.from(readSurface(join(tmp, 'ras-unsaid.obj'), { frame: 'RAS' }).mesh.positions), Array.from(json.positions))).toBeLessThan(1e-9);
  });

  it("reads 3D Slicer's SPACE=RAS field data (legacy VTK with VTK 9 METADATA blocks, and VTK XML) into LPS", () => {
    for (const file of ['epi.vtk', 'epi-field-data.vtp']) {
      const surface = readSurface(join(FIX, 'slicer-ras-vtk', file));
      expect(surface.frame, file).toBe('RAS');
      expect(surface.frameFrom, file).toBe('file');
      expect(maxDifference(Array.from(surface.mesh.positions), Array.from(json.positions)), file).toBeLessThan(1e-9);
    }
  });

  it('refuses what it cannot use, naming the file and the reason', () => {
    const bad = (name: string, content: string | Buffer, pattern: RegExp, options: SurfaceReadOptions = {}): void => {
      const file = join(tmp, name);
      writeFileSync(file, content);
      let error: unknown;
      try { const s = readSurface(file, options); readHeart({ epi: file }, options); void s; } catch (e) { error = e; }
      expect(error, name).toBeInstanceOf(TwinguideError);
      expect((error as TwinguideError).code).toBe('TG_ERR_SURFACE');
      expect((error as Error).message, name).toContain(file);
      expect((error as Error).message, name).toMatch(pattern);
    };
    const jsonText = readFileSync(join(BIVME, 'epi.json'), 'utf8');
    const surface = JSON.parse(jsonText) as { vertices: number[]; triangles: number[] };
    bad('empty.obj', '# nothing\n', /empty/);
    bad('nan.json', JSON.stringify({ vertices: [0, 0, 0, 1, 0, 0, Number.NaN, 1, 0], triangles: [0, 1, 2] }).replace('null', '"x"'), /numbers|non-finite/);
    bad('nonmanifold.json', JSON.stringify({ vertices: [0, 0, 0, 10, 0, 0, 0, 10, 0, 0, 0, 10, 0, -10, 0], triangles: [0, 1, 2, 1, 0, 3, 0, 1, 4] }), /manifold/);
    bad('metres.json', JSON.stringify({ vertices: surface.vertices.map((v) => v / 1000), triangles: surface.triangles }), /metres\? pass --units m/);
    bad('mm-as-m.obj', readFileSync(join(FIX, 'demo-obj', 'epi.obj')), /millimetres\? drop --units m/, { units: 'm' });
    bad('epi.stp', 'x', /unknown surface format/);
    const vtp = readFileSync(join(FIX, 'vtp-encodings', 'epi-appended-raw.vtp'));
    bad('truncated.vtp', vtp.subarray(0, vtp.length - 5000), /past the end|shorter|DataArray/);
    const zlib = readFileSync(join(FIX, 'demo-vtp-zlib', 'epi.vtp'));
    bad('corrupt-zlib.vtp', Buffer.concat([zlib.subarray(0, zlib.length - 3000), Buffer.alloc(2000, 7), zlib.subarray(zlib.length - 1000)]), /incorrect|invalid|shorter|inflate|header|check|end of file/i);
    // Metres are fine when said.
    writeFileSync(join(tmp, 'metres-ok.json'), JSON.stringify({ vertices: surface.vertices.map((v) => v / 1000), triangles: surface.triangles }));
    expect(maxDifference(Array.from(readSurface(join(tmp, 'metres-ok.json'), { units: 'm' }).mesh.positions), Array.from(json.positions))).toBeLessThan(1e-9);
  });
});

describe('twins from those files', () => {
  let reference: Built;
  it('the demo heart as OBJ, PLY and compressed VTP gives the JSON twin within 1e-6 mm; float32 PLY within its precision', async () => {
    reference = await build(BIVME);
    for (const dir of ['demo-obj', 'demo-ply', 'demo-vtp-zlib', 'slicer-ras-vtk']) {
      const other = await build(join(FIX, dir));
      expect(maxDifference(reference.bundle, other.bundle), dir).toBeLessThanOrEqual(1e-6);
    }
    const ply = await build(join(FIX, 'demo-ply-float32'));
    // float32 moves a point by ≤ 4e-6 mm; the bundle's 0.001 mm rounding may then flip a last digit.
    expect(maxDifference(reference.bundle.veins, ply.bundle.veins)).toBeLessThanOrEqual(0.0011);
    expect(ply.twin.zones.map((z) => z.id)).toEqual(reference.twin.zones.map((z) => z.id));
  });

  it('an LV-only pair (JSON and VTP, or with a hole in its wall), or its epicardium alone, builds, oriented from its valve rims as the full heart is from its RV', async () => {
    const full = buildTwinFromSurfaces(readHeart(findSurfaceFiles(BIVME)).surfaces, { seed: 7 }).frame;
    for (const dir of ['lv-only-json', 'lv-only-vtp', 'lv-only-holed', 'lv-only-json/epi.json']) {
      // lv-only-holed: a small hole in the endocardial wall (not a valve); the last: the LV epicardium alone.
      const files = dir.endsWith('.json') ? { epi: join(FIX, dir) } : findSurfaceFiles(join(FIX, dir));
      const { frame, bundle } = buildTwinFromSurfaces(readHeart(files).surfaces, { seed: 7 });
      expect(frame.orientation, dir).toBe('geometry');
      expect(frame.method, dir).toMatch(/valve rims/);
      expect(deg(frame.septal, full.septal), dir).toBeLessThan(20);
      // The epicardium alone has no cavity to take the principal axis of: base → farthest point instead.
      expect(deg(frame.longAxis, full.longAxis), dir).toBeLessThan(dir.endsWith('.json') ? 10 : 5);
      expect((bundle.meta as unknown as { builder: { orientation: { from: string } } }).builder.orientation.from).toBe('geometry');
      const twin = await buildTwin(JSON.parse(JSON.stringify(bundle)));
      opened.push(twin);
      expect(twin.zones.length, dir).toBeGreaterThan(0);
    }
  });

  it('a triangle soup (every triangle with vertices of its own) is welded: the same LV-only twin, its field carried along', async () => {
    const soup = readSurface(join(FIX, 'lv-only-soup', 'epi.vtp'));
    const shared = readSurface(join(FIX, 'lv-only-vtp', 'epi.vtp'));
    expect(soup.mesh.vertexCount).toBe(shared.mesh.vertexCount);
    expect(soup.pointData.get('CRTResponse')!.values.length).toBe(soup.mesh.vertexCount);
    const a = await build(join(FIX, 'lv-only-vtp'), { response: 'CRTResponse' });
    const b = await build(join(FIX, 'lv-only-soup'), { response: 'CRTResponse' });
    expect((b.bundle.meta as unknown as { builder: { orientation: { method: string } } }).builder.orientation.method).toMatch(/valve rims/);
    expect(b.bundle.sites.length).toBe(a.bundle.sites.length);
    expect(maxDifference(b.bundle.sites.map((x) => x.p), a.bundle.sites.map((x) => x.p))).toBeLessThan(1e-3);
    expect(b.twin.zones.map((z) => z.id)).toEqual(a.twin.zones.map((z) => z.id));
  });

  it('a rotated and shifted copy of the LV-only pair gives the same twin, rotated and shifted', async () => {
    const a = await build(join(FIX, 'lv-only-json'));
    const b = await build(join(FIX, 'lv-only-moved'));
    const { R, T } = JSON.parse(readFileSync(join(FIX, 'lv-only-moved', 'transform.json'), 'utf8')) as { R: number[][]; T: number[] };
    const move = (p: readonly number[]): number[] => [0, 1, 2].map((r) => R[r]![0]! * p[0]! + R[r]![1]! * p[1]! + R[r]![2]! * p[2]! + T[r]!);
    expect(b.bundle.veins.nodes.length).toBe(a.bundle.veins.nodes.length);
    let worst = 0;
    a.bundle.veins.nodes.forEach((n, i) => { const m = move(n); worst = Math.max(worst, ...[0, 1, 2].map((k) => Math.abs(m[k]! - b.bundle.veins.nodes[i]![k]!))); });
    expect(worst).toBeLessThan(0.01);
    // The moved files carry 0.1 µm rounding of their own: p agrees to its third decimal.
    expect(maxDifference(b.bundle.sites.map((s) => s.p), a.bundle.sites.map((s) => s.p))).toBeLessThan(1e-3);
    expect(b.twin.zones.map((z) => z.id)).toEqual(a.twin.zones.map((z) => z.id));
    expect(maxDifference(b.twin.zones.map((z) => [z.startArcMm, z.endArcMm]), a.twin.zones.map((z) => [z.startArcMm, z.endArcMm]))).toBeLessThan(0.05);
  });

  it('VMTK centrelines: the repeated proximal stretch merged into one tree, kept where it lies on this heart', async () => {
    const input = readCentrelines(join(FIX, 'veins', 'vmtk-centerlines.vtp'));
    expect(input.format).toBe('vmtk-polylines');
    expect(input.lines).toBe(8);
    const source = JSON.parse(readFileSync(fileURLToPath(new URL('../../data/bench-twins/second-heart.twin.json', import.meta.url)), 'utf8')) as TwinBundle;
    const leaves = (edges: readonly (readonly number[])[], count: number): number => count - new Set(edges.map(([a]) => a)).size;
    expect(leaves(input.tree.edges, input.tree.nodes.length)).toBe(leaves(source.veins.edges, source.veins.nodes.length));
    expect(input.tree.branches.length).toBe(source.veins.branches.length);
    const length = (t: { nodes: readonly (readonly number[])[]; edges: readonly (readonly number[])[] }): number => t.edges.reduce((s, [a, b]) => s + Math.hypot(...[0, 1, 2].map((k) => t.nodes[a!]![k]! - t.nodes[b!]![k]!)), 0);
    expect(Math.abs(length(input.tree) / length(source.veins) - 1)).toBeLessThan(0.03);
    const built = await build(BIVME, { veins: join(FIX, 'veins', 'vmtk-centerlines.vtp') });
    const veins = (built.bundle.meta as unknown as { builder: { veins: { placement: string } } }).builder.veins;
    expect(veins.placement).toBe('as-given');
    // Every node of the twin within a couple of mm of the source tree (set onto the surface, not refitted).
    for (const n of built.bundle.veins.nodes) {
      const d = Math.min(...source.veins.nodes.map((s) => Math.hypot(s[0]! - n[0]!, s[1]! - n[1]!, s[2]! - n[2]!)));
      expect(d).toBeLessThan(2.5);
    }
    expect(built.twin.veins.branches.length).toBe(9);
  });

  it('3D Slicer centreline curves (RAS, split at the bifurcations) make the same tree', async () => {
    const slicer = readCentrelines(join(FIX, 'veins', 'slicer-centerlines.mrk.json'));
    expect(slicer.format).toBe('slicer-markups');
    const vmtk = readCentrelines(join(FIX, 'veins', 'vmtk-centerlines.vtp'));
    expect(slicer.tree.branches.length).toBe(vmtk.tree.branches.length);
    expect(Math.hypot(...[0, 1, 2].map((k) => slicer.tree.nodes[0]![k]! - vmtk.tree.nodes[0]![k]!))).toBeLessThan(0.2); // same ostium, so RAS was turned into LPS
    const built = await build(BIVME, { veins: join(FIX, 'veins', 'slicer-centerlines.mrk.json') });
    expect(built.twin.veins.branches.length).toBe(9);
  });

  it('3D Slicer curves in any order and direction make the same tree, rooted at the widest free end or the cs-ostium landmark', () => {
    const file = join(FIX, 'veins', 'slicer-centerlines.mrk.json');
    type Curve = { controlPoints: unknown[]; measurements: { controlPointValues: number[] }[] };
    const json = JSON.parse(readFileSync(file, 'utf8')) as { markups: Curve[] };
    const turned = (m: Curve): Curve => ({ ...m, controlPoints: [...m.controlPoints].reverse(), measurements: m.measurements.map((x) => ({ ...x, controlPointValues: [...x.controlPointValues].reverse() })) });
    const edges = (t: { nodes: readonly (readonly number[])[]; edges: readonly (readonly number[])[] }): string[] =>
      t.edges.map((e) => e.map((n) => t.nodes[n]!.slice(0, 3).map((x) => x.toFixed(3)).join(',')).join(' > ')).sort();
    const write = (name: string, markups: Curve[]): string => {
      const path = join(tmp, `slicer-${name.replace(/\W+/g, '-')}.mrk.json`);
      writeFileSync(path, JSON.stringify({ ...json, markups }));
      return path;
    };
    const original = readCentrelines(file);
    expect(original.ostium).toBe('widest free end');
    const variants: Record<string, Curve[]> = {
      'every curve reversed': json.markups.map(turned),
      'every other curve reversed': json.markups.map((m, i) => (i % 2 ? turned(m) : m)),
      'the trunk reversed': json.markups.map((m, i) => (i === 0 ? turned(m) : m)),
      'in reverse order': [...json.markups].reverse(),
      'reversed, in reverse order': [...json.markups].reverse().map(turned),
      'rotated order': [...json.markups.slice(6), ...json.markups.slice(0, 6)],
    };
    for (const [name, markups] of Object.entries(variants)) {
      const read = readCentrelines(write(name, markups));
      expect(edges(read.tree), name).toEqual(edges(original.tree));
    }
    // A tributary's end made the widest: the radii alone would root the tree there; the landmark says where the ostium is.
    const widened = json.markups.map((m, i) => (i === 12 ? { ...m, measurements: m.measurements.map((x) => ({ ...x, controlPointValues: x.controlPointValues.map(() => 6) })) } : m));
    const misled = readCentrelines(write('widened leaf', widened));
    expect(edges(misled.tree)).not.toEqual(edges(original.tree));
    const { landmarks } = readLandmarkFile(join(FIX, 'veins', 'landmarks.mrk.json'));
    const told = readCentrelines(write('widened leaf, turned', widened.map(turned)), { ostiumLandmark: landmarks.csOstium! });
    expect(told.ostium).toBe('free end nearest the cs-ostium landmark');
    expect(told.tree.nodes[0]!.slice(0, 3).map((x, k) => Math.abs(x - landmarks.csOstium![k]!)).every((d) => d < 0.01)).toBe(true);
    // (Its wider radius lets that curve follow the tree further before it branches off: compare with the same curves as written.)
    expect(edges(told.tree)).toEqual(edges(readCentrelines(write('widened leaf', widened), { ostiumLandmark: landmarks.csOstium! }).tree));
  });

  it('VMTK-like lines seeded at a distal vein (every line from a narrow end) are rooted at the ostium, the widest end', () => {
    type P = [number, number, number];
    // Polylines through waypoints, a point every mm, radius interpolated between the waypoints'.
    const through = (way: P[], r: number[]): { points: P[]; radii: number[] } => {
      const points: P[] = [], radii: number[] = [];
      for (let i = 1; i < way.length; i++) {
        const a = way[i - 1]!, b = way[i]!;
        const n = Math.max(1, Math.round(Math.hypot(b[0] - a[0], b[1] - a[1], b[2] - a[2])));
        for (let k = i === 1 ? 0 : 1; k <= n; k++) {
          const t = k / n;
          points.push([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]), a[2] + t * (b[2] - a[2])]);
          radii.push(r[i - 1]! + t * (r[i]! - r[i - 1]!));
        }
      }
      return { points, radii };
    };
    const seed: P = [25, 25, 0], middle: P = [20, 0, 0], ostium: P = [0, 0, 0], junction: P = [40, 0, 0];
    const lines = [through([seed, middle, ostium], [0.6, 3, 4]), through([seed, middle, junction, [60, 15, 0]], [0.6, 3, 2, 0.8]), through([seed, middle, junction, [70, -5, 0]], [0.6, 3, 2, 1])];
    const path = join(tmp, 'distal-seed.mrk.json');
    writeFileSync(path, JSON.stringify({ markups: lines.map((l, i) => ({ type: 'Curve', coordinateSystem: 'LPS', name: `line ${i}`, controlPoints: l.points.map((position) => ({ position })), measurements: [{ name: 'Radius', controlPointValues: l.radii }] })) }));
    const { tree, ostium: how } = readCentrelines(path);
    expect(how).toBe('widest free end');
    expect(tree.nodes[tree.root]!.slice(0, 3)).toEqual(ostium);
    expect(tree.nodes.length - new Set(tree.edges.map(([a]) => a)).size).toBe(3); // the seed's vein and the two beyond the junction
    const length = tree.edges.reduce((sum, [a, b]) => sum + Math.hypot(...[0, 1, 2].map((k) => tree.nodes[a!]![k]! - tree.nodes[b!]![k]!)), 0);
    expect(length).toBeCloseTo(20 + Math.hypot(5, 25) + 20 + Math.hypot(20, 15) + Math.hypot(30, 5), -1);
  });

  it('names from a sidecar file, else from where each branch runs', () => {
    const named = readCentrelines(join(FIX, 'veins', 'vmtk-centerlines.vtp'), { namesFile: join(FIX, 'veins', 'vmtk-names.json') });
    expect(named.tree.branches.slice(1).every((b) => /^vein to leaf \d$/.test(b.name))).toBe(true);
  });

  it('a per-vertex response field gives p at each site; the twin carries it and no model', async () => {
    const built = await build(join(FIX, 'lv-only-vtp'), { response: 'CRTResponse', activation: 'ActivationTime' });
    const epi = readSurface(join(FIX, 'lv-only-vtp', 'epi.vtp'));
    const field = epi.pointData.get('CRTResponse')!.values;
    expect(built.bundle.model).toBeUndefined();
    expect(built.bundle.surfaces.epi.response!.length).toBe(epi.mesh.vertexCount);
    for (const site of built.bundle.sites) expect(site.p).toBeCloseTo(sampleField(epi.mesh, field, site.position), 4); // the site's position is rounded to 1 µm
    expect(built.bundle.surfaces.epi.activationMs![10]).toBeCloseTo(epi.pointData.get('ActivationTime')!.values[10]!, 2);
    const summary = summariseTwin(built.twin);
    expect(summary.provenance.response).toMatch(/CRTResponse/);
    expect(summary.provenance.activation).toMatch(/ActivationTime/);
    // The same fields as separate files beside a JSON heart.
    const fromFiles = await build(join(FIX, 'lv-only-json'), { response: join(FIX, 'lv-only-json', 'response.txt'), activation: join(FIX, 'lv-only-json', 'activation.json') });
    expect(fromFiles.bundle.sites.length).toBeGreaterThan(50);
    expect(summariseTwin(fromFiles.twin).provenance.response).toMatch(/response\.txt/);
  });

  it('refuses a field of the wrong length or out of range, with the vertex', () => {
    const files = findSurfaceFiles(join(FIX, 'lv-only-json'));
    const heart = readHeart(files);
    writeFileSync(join(tmp, 'short.json'), JSON.stringify([0.5, 0.5]));
    writeFileSync(join(tmp, 'high.json'), JSON.stringify(Array.from({ length: heart.surfaces.epi.vertexCount }, (_, i) => (i === 3 ? 1.5 : 0.5))));
    expect(() => readVertexField(join(tmp, 'short.json'), heart.epiFile, files.epi, RESPONSE_LIMITS)).toThrow(/2 values for \d+ epicardial vertices/);
    expect(() => readVertexField(join(tmp, 'high.json'), heart.epiFile, files.epi, RESPONSE_LIMITS)).toThrow(/vertex 3 has 1.5/);
    expect(() => readVertexField('NoSuchArray', heart.epiFile, files.epi, RESPONSE_LIMITS)).toThrow(/neither a point-data array/);
  });

  it('a second heart (Cardiac Atlas Project mean LV, PLY, no aortic rim) falls back to the patient frame, or takes --septum in its model frame', async () => {
    const lps = await build(join(FIX, 'cap-mean-lv', 'lps'));
    expect((lps.bundle.meta as unknown as { builder: { orientation: { from: string } } }).builder.orientation.from).toBe('patient-frame');
    expect(summariseTwin(lps.twin).provenance.orientation).toMatch(/PATIENT FRAME/);
    const model = await build(join(FIX, 'cap-mean-lv', 'model-frame'), { septum: [0, 40, 0] });
    expect((model.bundle.meta as unknown as { builder: { orientation: { from: string } } }).builder.orientation.from).toBe('user');
    // Posed in the scanner frame with the RV about where the patient frame expects it: the same tree and sites.
    expect(model.bundle.sites.length).toBe(lps.bundle.sites.length);
    expect(model.twin.zones.length).toBe(lps.twin.zones.length);
    expect(lps.twin.zones.length).toBeGreaterThan(0);
  });

  it('a landmarks file moves the CS ostium to where the pipeline says, and says how near it came', async () => {
    const { landmarks } = readLandmarkFile(join(FIX, 'veins', 'landmarks.mrk.json'));
    const given = landmarks.csOstium!;
    const distance = (b: TwinBundle): number => { const r = b.veins.nodes[b.veins.root]!; return Math.hypot(r[0]! - given[0], r[1]! - given[1], r[2]! - given[2]); };
    const without = await build(BIVME);
    const withLandmark = await build(BIVME, { landmarks });
    const meta = (withLandmark.bundle.meta as unknown as { builder: { landmarks?: string[]; ostiumOffsetMm: number } }).builder;
    expect(meta.landmarks).toEqual(['csOstium']);
    expect(meta.ostiumOffsetMm).toBeCloseTo(distance(withLandmark.bundle), 1);
    expect(distance(withLandmark.bundle)).toBeLessThan(distance(without.bundle) / 2);
  });
});

describe('guidance on the twins built from real files', () => {
  const cases: [string, () => Promise<Built>][] = [
    ['LV-only JSON', () => build(join(FIX, 'lv-only-json'))],
    ['LV-only VTP with a response field', () => build(join(FIX, 'lv-only-vtp'), { response: 'CRTResponse', activation: 'ActivationTime' })],
    ['moved LV-only pair', () => build(join(FIX, 'lv-only-moved'))],
    ['VMTK centrelines', () => build(BIVME, { veins: join(FIX, 'veins', 'vmtk-centerlines.vtp') })],
    ['Cardiac Atlas Project heart', () => build(join(FIX, 'cap-mean-lv', 'lps'))],
  ];
  for (const [name, make] of cases) {
    it(`${name}: the simulated lead reaches the target zone and holds`, async () => {
      const { twin } = await make();
      if (twin.zones.length === 0) {
        const run = await runScenario(twin, 'no-accessible-site');
        expect(run.guidance.at(-1)!.zone.state).toBe('none');
        return;
      }
      const run = await runScenario(twin, 'reach-lateral-zone');
      const final = run.guidance.at(-1)!;
      expect(final.zone.state, name).toBe('in');
      expect(final.zone.instruction, name).toBe('hold');
    }, 60_000);
  }
});

// Every kind of bad twin the loader must refuse, each with its stable code and a clear message,
// without crashing the process.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TwinBundle } from '../../protocol/index.ts';
import { buildTwin, loadTwinFile, parseTwin } from '../../server/twin/load-twin.ts';
import { buildLogisticOnnx } from '../../simulators/twin/onnx-logistic.ts';
import { MINI_MODEL, miniTwinText } from '../fixtures/make-mini-twin.ts';
import { codeOfBundle, mini, rejection } from '../helpers/twins.ts';

const dir = mkdtempSync(join(tmpdir(), 'twinguide-rejections-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('files and JSON', () => {
  it('refuses a missing file and a directory (TG_ERR_TWIN_READ)', async () => {
    expect((await rejection(loadTwinFile(join(dir, 'nope.twin.json')))).code).toBe('TG_ERR_TWIN_READ');
    mkdirSync(join(dir, 'a-dir'));
    expect((await rejection(loadTwinFile(join(dir, 'a-dir')))).code).toBe('TG_ERR_TWIN_READ');
  });

  it('refuses a file over the configured size limit before reading it (TG_ERR_TWIN_TOO_LARGE)', async () => {
    const path = file('big.twin.json', miniTwinText());
    const e = await rejection(loadTwinFile(path, { limits: { maxTwinFileBytes: 1000 } }));
    expect(e.code).toBe('TG_ERR_TWIN_TOO_LARGE');
    expect(e.message).toContain('1000');
  });

  it('refuses invalid JSON (TG_ERR_TWIN_JSON)', async () => {
    const e = await rejection(parseTwin(miniTwinText().slice(0, 500)));
    expect(e.code).toBe('TG_ERR_TWIN_JSON');
    expect(e.message).toMatch(/not valid JSON/);
  });

  it('refuses NaN (not JSON) and numbers that overflow to Infinity', async () => {
    const text = miniTwinText();
    const withNaN = text.replace('"vertices": [\n', '"vertices": [\n  NaN,\n');
    expect((await rejection(parseTwin(withNaN))).code).toBe('TG_ERR_TWIN_JSON');
    const withInf = text.replace('"arcLengthMm": 10,', '"arcLengthMm": 1e999,');
    expect(withInf).not.toBe(text);
    const e = await rejection(parseTwin(withInf));
    expect(e.code).toBe('TG_ERR_TWIN_SCHEMA');
    expect(e.path).toMatch(/^\/sites\/\d+\/arcLengthMm$/);
    expect(await codeOfBundle(mini((b) => { b.veins.nodes[2]![0] = Number.NaN; }))).toBe('TG_ERR_TWIN_SCHEMA');
  });

  it('refuses a wrong or missing format version (TG_ERR_TWIN_FORMAT)', async () => {
    const e = await rejection(buildTwin({ ...mini(), format: 'twinguide.twin/2' }));
    expect(e.code).toBe('TG_ERR_TWIN_FORMAT');
    expect(e.message).toContain('twinguide.twin/2');
    expect(await codeOfBundle({ ...mini(), format: undefined })).toBe('TG_ERR_TWIN_FORMAT');
    expect(await codeOfBundle([1, 2, 3])).toBe('TG_ERR_TWIN_FORMAT');
    expect(await codeOfBundle(null)).toBe('TG_ERR_TWIN_FORMAT');
  });
});

describe('schema', () => {
  it('refuses missing fields and names them', async () => {
    const bundle = mini() as Partial<TwinBundle>;
    delete bundle.veins;
    const e = await rejection(buildTwin(bundle));
    expect(e.code).toBe('TG_ERR_TWIN_SCHEMA');
    expect(e.message).toContain("must have required property 'veins'");
    const noP = mini() as unknown as { sites: Record<string, unknown>[] };
    delete noP.sites[3]!['p'];
    const e2 = await rejection(buildTwin(noP));
    expect(e2.message).toContain('/sites/3');
    expect(e2.message).toContain("'p'");
  });

  it('refuses wrong types with the JSON path', async () => {
    const e = await rejection(buildTwin(mini((b) => { (b.veins.edges[4] as unknown[])[1] = 'five'; })));
    expect(e.code).toBe('TG_ERR_TWIN_SCHEMA');
    expect(e.path).toBe('/veins/edges/4/1');
    expect(e.message).toContain('/veins/edges/4/1: must be integer');
  });

  it('refuses a vein radius ≤ 0', async () => {
    for (const r of [0, -1]) {
      const e = await rejection(buildTwin(mini((b) => { b.veins.nodes[5]![3] = r; })));
      expect(e.code).toBe('TG_ERR_TWIN_SCHEMA');
      expect(e.path).toBe('/veins/nodes/5/3');
    }
  });

  it('refuses p outside [0, 1]', async () => {
    for (const p of [-0.01, 1.01]) {
      const e = await rejection(buildTwin(mini((b) => { b.sites[7]!.p = p; })));
      expect(e.code).toBe('TG_ERR_TWIN_SCHEMA');
      expect(e.path).toBe('/sites/7/p');
    }
  });

  it('refuses unknown fields (typos are not silently ignored)', async () => {
    const e = await rejection(buildTwin(mini((b) => { (b.guidance as Record<string, unknown>)['responseTreshold'] = 0.4; })));
    expect(e.code).toBe('TG_ERR_TWIN_SCHEMA');
    expect(e.message).toContain("'responseTreshold'");
  });
});

describe('geometry and indices', () => {
  it('refuses triangle indices out of range (TG_ERR_TWIN_INDEX)', async () => {
    const e = await rejection(buildTwin(mini((b) => { b.surfaces.lvEndo.triangles[10] = 42; })));
    expect(e.code).toBe('TG_ERR_TWIN_INDEX');
    expect(e.path).toBe('/surfaces/lvEndo/triangles/10');
    expect(e.message).toContain('vertex 42');
  });

  it('refuses edge, branch and root indices out of range', async () => {
    expect((await rejection(buildTwin(mini((b) => { b.veins.edges[3]![1] = 24; })))).path).toBe('/veins/edges/3/1');
    expect(await codeOfBundle(mini((b) => { b.veins.edges[3]![0] = 99; }))).toBe('TG_ERR_TWIN_INDEX');
    expect(await codeOfBundle(mini((b) => { b.veins.root = 24; }))).toBe('TG_ERR_TWIN_INDEX');
    expect(await codeOfBundle(mini((b) => { b.veins.branches[1]!.nodes.push(77); }))).toBe('TG_ERR_TWIN_INDEX');
  });

  it('refuses coordinates that are not triples and per-vertex fields of the wrong length (TG_ERR_TWIN_GEOMETRY)', async () => {
    expect(await codeOfBundle(mini((b) => { b.surfaces.epi.vertices.pop(); }))).toBe('TG_ERR_TWIN_GEOMETRY');
    expect(await codeOfBundle(mini((b) => { b.surfaces.rvEndo.triangles.pop(); }))).toBe('TG_ERR_TWIN_GEOMETRY');
    const e = await rejection(buildTwin(mini((b) => { b.surfaces.epi.activationMs!.pop(); })));
    expect(e.code).toBe('TG_ERR_TWIN_GEOMETRY');
    expect(e.message).toContain('activationMs has 85 values for 86 vertices');
  });
});

describe('the vein graph must be a tree rooted at root (TG_ERR_TWIN_TREE)', () => {
  it('refuses a node with two parents', async () => {
    const e = await rejection(buildTwin(mini((b) => { b.veins.edges.push([4, 10]); })));
    expect(e.code).toBe('TG_ERR_TWIN_TREE');
    expect(e.message).toContain('two parents');
  });

  it('refuses a cycle (nodes cut off from the root)', async () => {
    // 1 → 2 becomes 2 → 1 while 1 → ... → 2 stays: 1 and 2 are each other's ancestors.
    const e = await rejection(buildTwin(mini((b) => { b.veins.edges[0] = [2, 1]; })));
    expect(e.code).toBe('TG_ERR_TWIN_TREE');
    expect(e.message).toMatch(/cannot be reached from the root|cycle/);
  });

  it('refuses an edge into the root, a self-loop, and a missing edge', async () => {
    expect((await rejection(buildTwin(mini((b) => { b.veins.edges[0] = [5, 0]; })))).message).toContain('root');
    expect(await codeOfBundle(mini((b) => { b.veins.edges[2] = [3, 3]; }))).toBe('TG_ERR_TWIN_TREE');
    expect(await codeOfBundle(mini((b) => { b.veins.edges.pop(); }))).toBe('TG_ERR_TWIN_TREE');
  });

  it('refuses a root that is not the tree root', async () => {
    expect(await codeOfBundle(mini((b) => { b.veins.root = 5; }))).toBe('TG_ERR_TWIN_TREE');
  });
});

describe('branches (TG_ERR_TWIN_BRANCH)', () => {
  it('refuses a branch that is not a path parent → child', async () => {
    const e = await rejection(buildTwin(mini((b) => { b.veins.branches[3]!.nodes.reverse(); })));
    expect(e.code).toBe('TG_ERR_TWIN_BRANCH');
    expect(e.message).toContain("branch 'lat'");
  });

  it('refuses an edge in two branches, an edge in none, and a duplicate id', async () => {
    expect(await codeOfBundle(mini((b) => { b.veins.branches.push({ id: 'dup', name: 'x', kind: 'other', nodes: [6, 18, 19] }); }))).toBe('TG_ERR_TWIN_BRANCH');
    expect(await codeOfBundle(mini((b) => { b.veins.branches[2]!.nodes.pop(); b.sites = b.sites.filter((s) => s.id !== 'pl-06'); }))).toBe('TG_ERR_TWIN_BRANCH');
    expect(await codeOfBundle(mini((b) => { b.veins.branches[2]!.id = 'lat'; }))).toBe('TG_ERR_TWIN_BRANCH');
  });
});

describe('sites', () => {
  it('refuses a site more than 1 mm from its branch centreline', async () => {
    const e = await rejection(buildTwin(mini((b) => { b.sites[20]!.position[1] += 1.5; })));
    expect(e.code).toBe('TG_ERR_TWIN_SITE');
    expect(e.message).toContain('1.50 mm from the centreline');
    expect(e.path).toBe('/sites/20/position');
    // 0.9 mm off is still on the vein.
    const near = await buildTwin(mini((b) => { b.sites[20]!.position[1] += 0.9; }), { loadModel: false });
    expect(near.sites.offCentrelineMm[20]).toBeCloseTo(0.9, 9);
    await near.close();
  });

  it('refuses a site placed on another branch than it names', async () => {
    expect(await codeOfBundle(mini((b) => { b.sites[20]!.branch = 'pl'; }))).toBe('TG_ERR_TWIN_SITE');
  });

  it('refuses a stated arc length that disagrees with the position, and an unknown branch', async () => {
    expect((await rejection(buildTwin(mini((b) => { b.sites[20]!.arcLengthMm += 5; })))).path).toBe('/sites/20/arcLengthMm');
    expect(await codeOfBundle(mini((b) => { b.sites[0]!.branch = 'nowhere'; }))).toBe('TG_ERR_TWIN_SITE');
  });

  it('refuses an inaccessible site without a reason, and duplicate site ids', async () => {
    expect(await codeOfBundle(mini((b) => { b.sites[0]!.accessible = false; }))).toBe('TG_ERR_TWIN_SITE');
    expect(await codeOfBundle(mini((b) => { b.sites[1]!.id = b.sites[0]!.id; }))).toBe('TG_ERR_TWIN_SITE');
  });

  it('refuses feature vectors of the wrong length (TG_ERR_TWIN_FEATURES)', async () => {
    const e = await rejection(buildTwin(mini((b) => { b.sites[4]!.features.pop(); })));
    expect(e.code).toBe('TG_ERR_TWIN_FEATURES');
    expect(e.message).toContain('2 features');
    expect(await codeOfBundle(mini((b) => { b.sites[4]!.features.push(1); }))).toBe('TG_ERR_TWIN_FEATURES');
  });
});

describe('landmarks (TG_ERR_TWIN_LANDMARKS)', () => {
  it('refuses coplanar landmarks', async () => {
    const e = await rejection(buildTwin(mini((b) => { for (const l of b.landmarks) l.position[2] = 0.3 * l.position[0]; })));
    expect(e.code).toBe('TG_ERR_TWIN_LANDMARKS');
    expect(e.message).toContain('coplanar');
  });

  it('refuses duplicate names and coincident points; the schema asks for at least four', async () => {
    expect(await codeOfBundle(mini((b) => { b.landmarks[1]!.name = b.landmarks[0]!.name; }))).toBe('TG_ERR_TWIN_LANDMARKS');
    expect(await codeOfBundle(mini((b) => { b.landmarks[1]!.position = [0.2, 30, 0.2]; }))).toBe('TG_ERR_TWIN_LANDMARKS');
    expect(await codeOfBundle(mini((b) => { b.landmarks.splice(3); }))).toBe('TG_ERR_TWIN_SCHEMA');
  });
});

describe('the ONNX model', () => {
  it('refuses a model that does not load (TG_ERR_TWIN_MODEL_LOAD)', async () => {
    const garbage = Buffer.from('this is not an onnx model at all').toString('base64');
    const e = await rejection(buildTwin(mini((b) => { b.model!.onnxBase64 = garbage; })));
    expect(e.code).toBe('TG_ERR_TWIN_MODEL_LOAD');
    expect(await codeOfBundle(mini((b) => { b.model!.onnxBase64 = '!!!not base64!!!'; }))).toBe('TG_ERR_TWIN_MODEL_LOAD');
    expect(await codeOfBundle(mini((b) => { b.model!.inputName = 'x'; }))).toBe('TG_ERR_TWIN_MODEL_LOAD');
  });

  it('refuses a model that takes a different number of features', async () => {
    const twoFeatures = { ...MINI_MODEL, featureNames: ['a', 'b'], mean: [0, 0], scale: [1, 1], weights: [1, 1] };
    const onnx = Buffer.from(buildLogisticOnnx(twoFeatures)).toString('base64');
    expect(await codeOfBundle(mini((b) => { b.model!.onnxBase64 = onnx; }))).toBe('TG_ERR_TWIN_MODEL_LOAD');
  });

  it('refuses a model that disagrees with p at a site (TG_ERR_TWIN_MODEL_MISMATCH)', async () => {
    const e = await rejection(buildTwin(mini((b) => { b.sites[11]!.p += 0.001; })));
    expect(e.code).toBe('TG_ERR_TWIN_MODEL_MISMATCH');
    expect(e.message).toContain(`site 'mcv-03'`);
    expect(e.path).toBe('/sites/11/p');
    // A difference below 1e-4 is within tolerance.
    const close = await buildTwin(mini((b) => { b.sites[11]!.p += 5e-5; }));
    expect(close.modelCheck!.maxAbsError).toBeGreaterThan(4e-5);
    expect(close.modelCheck!.maxAbsError).toBeLessThan(1e-4);
    await close.close();
  });

  it('refuses a model whose feature names differ from the sites\'', async () => {
    expect(await codeOfBundle(mini((b) => { b.model!.featureNames = ['qlvNorm', 'lateral', 'apicoBasal']; }))).toBe('TG_ERR_TWIN_FEATURES');
  });

  it('refuses a model larger than the limit (TG_ERR_TWIN_LIMIT)', async () => {
    expect(await codeOfBundle(mini(), { limits: { maxModelBytes: 100 } })).toBe('TG_ERR_TWIN_LIMIT');
  });
});

describe('count limits (TG_ERR_TWIN_LIMIT)', () => {
  it('refuses more vein nodes, sites, vertices or features than configured', async () => {
    expect(await codeOfBundle(mini(), { limits: { maxVeinNodes: 10 } })).toBe('TG_ERR_TWIN_LIMIT');
    expect(await codeOfBundle(mini(), { limits: { maxSites: 10 } })).toBe('TG_ERR_TWIN_LIMIT');
    expect(await codeOfBundle(mini(), { limits: { maxSurfaceVertices: 50 } })).toBe('TG_ERR_TWIN_LIMIT');
    expect(await codeOfBundle(mini(), { limits: { maxFeatures: 2 } })).toBe('TG_ERR_TWIN_LIMIT');
  });
});

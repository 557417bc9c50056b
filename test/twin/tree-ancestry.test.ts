// Lowest common ancestors by jumping branch to branch must be the ancestors a plain walk finds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildVeinTree, treeAncestry, type VeinJson, type VeinTree } from '../../server/twin/vein-tree.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';

/**
 * A random tree of `n` nodes cut into chains as a twin's branches are: a node continues its
 * parent's branch when it is the parent's first child, and starts a side branch (at the parent,
 * its junction) otherwise.
 */
function randomTree(seed: number, n: number): VeinJson {
  let s = seed >>> 0 || 1;
  const rand = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const nodes: [number, number, number, number][] = [[0, 0, 0, 3]];
  const edges: [number, number][] = [];
  const branchOf: number[] = [-1];
  const branchNodes: number[][] = [];
  const hasChild = new Set<number>();
  for (let i = 1; i < n; i++) {
    // Mostly extend a recent node (long chains), sometimes fork from anywhere.
    const parent = rand() < 0.8 ? Math.max(0, i - 1 - Math.floor(rand() * 3)) : Math.floor(rand() * i);
    const base = nodes[parent]!;
    nodes.push([base[0] + 0.5 + rand(), base[1] + rand() - 0.5, base[2] + rand() - 0.5, 1]);
    edges.push([parent, i]);
    if (!hasChild.has(parent) && branchOf[parent]! >= 0) {
      branchOf.push(branchOf[parent]!);
      branchNodes[branchOf[parent]!]!.push(i);
    } else {
      branchOf.push(branchNodes.length);
      branchNodes.push([parent, i]);
    }
    hasChild.add(parent);
  }
  const branches = branchNodes.map((ns, k) => ({ id: `b${k}`, name: `b${k}`, kind: 'other' as const, nodes: ns }));
  return { nodes, edges, root: 0, branches };
}

/** The lowest common ancestor by the definition: the deepest node on both paths to the root. */
function bruteLca(tree: VeinTree, a: number, b: number): number {
  const up = new Set<number>();
  for (let x = a; x >= 0; x = tree.parent[x]!) up.add(x);
  for (let x = b; x >= 0; x = tree.parent[x]!) if (up.has(x)) return x;
  throw new Error('no common ancestor');
}

function bruteDepth(tree: VeinTree, a: number): number {
  let d = 0;
  for (let x = a; tree.parent[x]! >= 0; x = tree.parent[x]!) d++;
  return d;
}

describe('TreeAncestry', () => {
  it('finds the lowest common ancestor and depth a plain walk finds, on random trees (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 2, max: 120 }), (seed, n) => {
        const tree = buildVeinTree(randomTree(seed, n), 1e6);
        const ancestry = treeAncestry(tree);
        for (let a = 0; a < n; a++) {
          expect(ancestry.depth[a]).toBe(bruteDepth(tree, a));
          for (let b = 0; b < n; b++) expect(ancestry.lca(a, b)).toBe(bruteLca(tree, a, b));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('agrees with the walk on the demo twin and the second heart, every pair of nodes', async () => {
    for (const file of ['data/twins/demo.twin.json', 'data/bench-twins/second-heart.twin.json']) {
      const twin = await loadTwinFile(file, { loadModel: false });
      const tree = twin.veins;
      const ancestry = treeAncestry(tree);
      let pairs = 0;
      for (let a = 0; a < tree.nodeCount; a += 3) for (let b = 0; b < tree.nodeCount; b += 2, pairs++) expect(ancestry.lca(a, b)).toBe(bruteLca(tree, a, b));
      expect(pairs).toBeGreaterThan(20_000);
      await twin.close();
    }
  });
});

// The coronary-sinus vein tree as typed arrays: parent/children, arc length from the ostium per
// node, and branch membership per segment. A segment is named by its child node (every node but
// the root has exactly one incoming edge), so "segment c" runs parent[c] → c.

import { TwinguideError, type BranchJson, type BranchKind } from '../../protocol/index.ts';

export interface VeinBranch {
  readonly index: number;
  readonly id: string;
  readonly name: string;
  readonly kind: BranchKind;
  /** Node indices parent → child; a side branch starts at its junction node. */
  readonly nodes: Int32Array;
  /** Index of the branch that owns the segment entering this branch's first node; -1 at the ostium. */
  readonly parentBranch: number;
  readonly startArcMm: number;
  readonly endArcMm: number;
  readonly lengthMm: number;
  readonly minRadiusMm: number;
}

export interface VeinTree {
  readonly nodeCount: number;
  readonly root: number;
  /** [x,y,z] per node, mm, twin frame. */
  readonly positionsMm: Float64Array;
  readonly radiiMm: Float64Array;
  /** Parent node per node; -1 for the root. */
  readonly parent: Int32Array;
  /** Children of node i are children[childStart[i] .. childStart[i+1]). */
  readonly childStart: Int32Array;
  readonly children: Int32Array;
  /** Distance from the ostium along the tree, per node. */
  readonly arcLengthMm: Float64Array;
  /** Branch owning segment c (parent[c] → c); -1 for the root. */
  readonly segmentBranch: Int32Array;
  readonly branches: readonly VeinBranch[];
  readonly branchById: ReadonlyMap<string, number>;
  readonly totalLengthMm: number;
}

export interface VeinJson {
  nodes: ReadonlyArray<readonly [number, number, number, number]>;
  edges: ReadonlyArray<readonly [number, number]>;
  root: number;
  branches: readonly BranchJson[];
}

export function buildVeinTree(veins: VeinJson, maxNodes: number): VeinTree {
  const n = veins.nodes.length;
  if (n > maxNodes) throw new TwinguideError('TG_ERR_TWIN_LIMIT', `${n} vein nodes exceed the limit of ${maxNodes}`, { path: '/veins/nodes' });
  const root = veins.root;
  if (root >= n) throw new TwinguideError('TG_ERR_TWIN_INDEX', `root ${root} is not a node (there are ${n})`, { path: '/veins/root' });

  const positionsMm = new Float64Array(3 * n);
  const radiiMm = new Float64Array(n);
  veins.nodes.forEach((node, i) => {
    positionsMm[3 * i] = node[0];
    positionsMm[3 * i + 1] = node[1];
    positionsMm[3 * i + 2] = node[2];
    radiiMm[i] = node[3];
  });

  const parent = new Int32Array(n).fill(-1);
  const childCount = new Int32Array(n);
  veins.edges.forEach(([from, to], e) => {
    if (from >= n || to >= n) {
      const bad = from >= n ? 0 : 1;
      throw new TwinguideError('TG_ERR_TWIN_INDEX', `edge ${e} refers to node ${from >= n ? from : to}, but there are ${n} nodes`, {
        path: `/veins/edges/${e}/${bad}`,
      });
    }
    if (from === to) throw new TwinguideError('TG_ERR_TWIN_TREE', `edge ${e} is a loop on node ${from}`, { path: `/veins/edges/${e}` });
    if (to === root) throw new TwinguideError('TG_ERR_TWIN_TREE', `edge ${e} (${from} → ${to}) enters the root ${root}; the root has no parent`, { path: `/veins/edges/${e}` });
    if (parent[to] !== -1) {
      throw new TwinguideError('TG_ERR_TWIN_TREE', `node ${to} has two parents (${parent[to]} and ${from}); the vein graph must be a tree`, {
        path: `/veins/edges/${e}`,
      });
    }
    parent[to] = from;
    childCount[from] = (childCount[from] ?? 0) + 1;
  });
  if (veins.edges.length !== n - 1) {
    throw new TwinguideError('TG_ERR_TWIN_TREE', `a tree of ${n} nodes has ${n - 1} edges, found ${veins.edges.length}: some node is not connected to the root`, {
      path: '/veins/edges',
    });
  }

  const childStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) childStart[i + 1] = childStart[i]! + childCount[i]!;
  const children = new Int32Array(Math.max(0, n - 1));
  const fill = childStart.slice(0, n);
  for (let c = 0; c < n; c++) {
    const p = parent[c]!;
    if (p >= 0) children[fill[p]!++] = c;
  }

  // Breadth-first from the root: reaches every node exactly when there is no cycle.
  const arcLengthMm = new Float64Array(n);
  const order = new Int32Array(n);
  order[0] = root;
  let head = 0;
  let tail = 1;
  while (head < tail) {
    const u = order[head++]!;
    for (let k = childStart[u]!; k < childStart[u + 1]!; k++) {
      const c = children[k]!;
      arcLengthMm[c] = arcLengthMm[u]! + distance(positionsMm, u, c);
      order[tail++] = c;
    }
  }
  if (tail !== n) {
    const unreached = firstUnreached(order, tail, n);
    throw new TwinguideError('TG_ERR_TWIN_TREE', `node ${unreached} cannot be reached from the root ${root} (the edges form a cycle)`, {
      path: '/veins/edges',
    });
  }

  const { branches, branchById, segmentBranch } = buildBranches(veins.branches, parent, arcLengthMm, radiiMm, root, n);
  let totalLengthMm = 0;
  for (let c = 0; c < n; c++) if (c !== root) totalLengthMm += arcLengthMm[c]! - arcLengthMm[parent[c]!]!;

  return { nodeCount: n, root, positionsMm, radiiMm, parent, childStart, children, arcLengthMm, segmentBranch, branches, branchById, totalLengthMm };
}

function buildBranches(
  json: readonly BranchJson[],
  parent: Int32Array,
  arcLengthMm: Float64Array,
  radiiMm: Float64Array,
  root: number,
  n: number,
): { branches: VeinBranch[]; branchById: Map<string, number>; segmentBranch: Int32Array } {
  const segmentBranch = new Int32Array(n).fill(-1);
  const branchById = new Map<string, number>();
  json.forEach((b, bi) => {
    if (branchById.has(b.id)) throw new TwinguideError('TG_ERR_TWIN_BRANCH', `branch id '${b.id}' is used twice`, { path: `/veins/branches/${bi}/id` });
    branchById.set(b.id, bi);
    b.nodes.forEach((node, k) => {
      if (node >= n) throw new TwinguideError('TG_ERR_TWIN_INDEX', `branch '${b.id}' refers to node ${node}, but there are ${n} nodes`, { path: `/veins/branches/${bi}/nodes/${k}` });
      if (k === 0) return;
      const prev = b.nodes[k - 1]!;
      if (parent[node] !== prev) {
        throw new TwinguideError('TG_ERR_TWIN_BRANCH', `branch '${b.id}': ${prev} → ${node} is not a parent → child edge of the tree`, {
          path: `/veins/branches/${bi}/nodes/${k}`,
        });
      }
      const owner = segmentBranch[node]!;
      if (owner !== -1) {
        throw new TwinguideError('TG_ERR_TWIN_BRANCH', `edge ${prev} → ${node} is in branches '${json[owner]!.id}' and '${b.id}'; each edge belongs to one branch`, {
          path: `/veins/branches/${bi}/nodes/${k}`,
        });
      }
      segmentBranch[node] = bi;
    });
  });
  for (let c = 0; c < n; c++) {
    if (c !== root && segmentBranch[c] === -1) {
      throw new TwinguideError('TG_ERR_TWIN_BRANCH', `edge ${parent[c]} → ${c} belongs to no branch`, { path: '/veins/branches' });
    }
  }
  const branches = json.map((b, index): VeinBranch => {
    const nodes = Int32Array.from(b.nodes);
    const first = nodes[0]!;
    const last = nodes[nodes.length - 1]!;
    let minRadiusMm = Infinity;
    for (const node of nodes) minRadiusMm = Math.min(minRadiusMm, radiiMm[node]!);
    return {
      index,
      id: b.id,
      name: b.name,
      kind: b.kind,
      nodes,
      parentBranch: first === root ? -1 : segmentBranch[first]!,
      startArcMm: arcLengthMm[first]!,
      endArcMm: arcLengthMm[last]!,
      lengthMm: arcLengthMm[last]! - arcLengthMm[first]!,
      minRadiusMm,
    };
  });
  return { branches, branchById, segmentBranch };
}

function distance(pos: Float64Array, a: number, b: number): number {
  const dx = pos[3 * a]! - pos[3 * b]!;
  const dy = pos[3 * a + 1]! - pos[3 * b + 1]!;
  const dz = pos[3 * a + 2]! - pos[3 * b + 2]!;
  return Math.sqrt(dx * dx + dy * dy + dz * dz);
}

function firstUnreached(order: Int32Array, reached: number, n: number): number {
  const seen = new Uint8Array(n);
  for (let i = 0; i < reached; i++) seen[order[i]!] = 1;
  return seen.indexOf(0);
}

/**
 * The point at arc length `arcMm` along a branch (clamped to its ends), written into `out`; `at`,
 * when given, gets the segment holding it (its child node) and the fraction along it from the parent.
 */
export function pointOnBranch(tree: VeinTree, branch: VeinBranch, arcMm: number, out: Float64Array | number[], at?: { segment: number; t: number }): void {
  const nodes = branch.nodes;
  const arc = tree.arcLengthMm;
  const pos = tree.positionsMm;
  let lo = 0;
  let hi = nodes.length - 1;
  if (arcMm <= arc[nodes[0]!]!) hi = 1;
  else if (arcMm >= arc[nodes[hi]!]!) lo = hi - 1;
  else {
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (arc[nodes[mid]!]! <= arcMm) lo = mid;
      else hi = mid;
    }
  }
  const a = nodes[lo]!;
  const b = nodes[hi]!;
  const span = arc[b]! - arc[a]!;
  const t = span > 0 ? Math.min(1, Math.max(0, (arcMm - arc[a]!) / span)) : 0;
  for (let k = 0; k < 3; k++) out[k] = pos[3 * a + k]! + t * (pos[3 * b + k]! - pos[3 * a + k]!);
  if (at) { at.segment = b; at.t = t; }
}

/** The vein's radius at a place on a segment (its child node; t 0 at the parent, 1 at the child), mm. */
export function radiusAt(tree: VeinTree, segment: number, t: number): number {
  const p = tree.parent[segment]!;
  if (p < 0) return tree.radiiMm[segment]!;
  return tree.radiiMm[p]! + t * (tree.radiiMm[segment]! - tree.radiiMm[p]!);
}

/** The mean of the tree's node positions (mm): where a technician puts the heart at the C-arm's isocentre. */
export function treeCentre(tree: VeinTree): [number, number, number] {
  const c: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < tree.nodeCount; i++) for (let k = 0; k < 3; k++) c[k as 0 | 1 | 2] += tree.positionsMm[3 * i + k]! / tree.nodeCount;
  return c;
}

/**
 * The vein's direction around arc length `arcMm` on a branch: the unit chord from `halfMm` before to
 * `halfMm` after (clamped to the branch's ends), written into `out` (`a`, `b`: scratch for the two
 * ends). False, and `out` untouched, where the branch is too short to have a direction.
 */
export function branchDirection(tree: VeinTree, branch: VeinBranch, arcMm: number, halfMm: number, out: Float64Array, a: Float64Array, b: Float64Array): boolean {
  pointOnBranch(tree, branch, arcMm - halfMm, a);
  pointOnBranch(tree, branch, arcMm + halfMm, b);
  const dx = b[0]! - a[0]!, dy = b[1]! - a[1]!, dz = b[2]! - a[2]!;
  const length = Math.sqrt(dx * dx + dy * dy + dz * dz);
  if (!(length > 1e-6)) return false;
  out[0] = dx / length; out[1] = dy / length; out[2] = dz / length;
  return true;
}

const axesByTree = new WeakMap<VeinTree, Float64Array>();

/**
 * Per segment (indexed by its child node): the vector parent → node and its length (4 numbers;
 * length 0 at the root). Made once per tree: the tracker reads it for every candidate of every sample.
 */
export function segmentAxes(tree: VeinTree): Float64Array {
  let axes = axesByTree.get(tree);
  if (axes) return axes;
  axes = new Float64Array(4 * tree.nodeCount);
  const pos = tree.positionsMm;
  for (let n = 0; n < tree.nodeCount; n++) {
    const p = tree.parent[n]!;
    if (p < 0) continue;
    const ex = pos[3 * n]! - pos[3 * p]!, ey = pos[3 * n + 1]! - pos[3 * p + 1]!, ez = pos[3 * n + 2]! - pos[3 * p + 2]!;
    axes[4 * n] = ex; axes[4 * n + 1] = ey; axes[4 * n + 2] = ez;
    axes[4 * n + 3] = Math.sqrt(ex * ex + ey * ey + ez * ez);
  }
  axesByTree.set(tree, axes);
  return axes;
}

/**
 * Lowest common ancestors, made once per tree from each node's depth (edges from the root).
 * Branches are chains (buildBranches checks), so two nodes meet by jumping branch to branch toward
 * the root: a few jumps, where walking node by node cost up to a hundred steps for each of the
 * tracker's candidate pairs.
 */
export class TreeAncestry {
  /** Edges between each node and the root. */
  readonly depth: Int32Array;
  /** The depth of each branch's first node (its junction on the parent branch, or the root). */
  private readonly junctionDepth: Int32Array;

  constructor(private readonly tree: VeinTree) {
    const depth = new Int32Array(tree.nodeCount);
    // Breadth-first, so a parent's depth is known before its children's.
    const queue = new Int32Array(tree.nodeCount);
    queue[0] = tree.root;
    for (let head = 0, tail = 1; head < tail; head++) {
      const u = queue[head]!;
      for (let k = tree.childStart[u]!; k < tree.childStart[u + 1]!; k++) {
        const c = tree.children[k]!;
        depth[c] = depth[u]! + 1;
        queue[tail++] = c;
      }
    }
    this.depth = depth;
    this.junctionDepth = Int32Array.from(tree.branches, (b) => depth[b.nodes[0]!]!);
  }

  /** The deepest node that is an ancestor of both a and b (either, if one is the other's ancestor). */
  lca(a: number, b: number): number {
    const owner = this.tree.segmentBranch, branches = this.tree.branches, jd = this.junctionDepth;
    let ba = owner[a]!, bb = owner[b]!;
    while (ba !== bb) {
      // The branch starting deeper cannot hold the common ancestor (a branch starts deeper than
      // any branch it descends from; the root's owner, -1, starts above all): it jumps to its junction.
      if ((ba < 0 ? -1 : jd[ba]!) >= (bb < 0 ? -1 : jd[bb]!)) {
        a = branches[ba]!.nodes[0]!;
        ba = owner[a]!;
      } else {
        b = branches[bb]!.nodes[0]!;
        bb = owner[b]!;
      }
    }
    // On one chain: the shallower is the other's ancestor.
    return this.depth[a]! <= this.depth[b]! ? a : b;
  }
}

const ancestryByTree = new WeakMap<VeinTree, TreeAncestry>();

/** The tree's TreeAncestry, made on first use. */
export function treeAncestry(tree: VeinTree): TreeAncestry {
  let a = ancestryByTree.get(tree);
  if (!a) ancestryByTree.set(tree, (a = new TreeAncestry(tree)));
  return a;
}

const junctionArcsByTree = new WeakMap<VeinTree, Float64Array[]>();

/**
 * Along its branch, how far a place is from the nearest junction on that branch (where the branch
 * leaves its parent, or a side branch leaves it), mm; Infinity when it has none. The junctions'
 * arc lengths per branch are made once per tree.
 */
export function junctionDistanceMm(tree: VeinTree, branch: number, arcMm: number): number {
  let byBranch = junctionArcsByTree.get(tree);
  if (!byBranch) {
    const branches = tree.branches;
    byBranch = branches.map((b) => Float64Array.from([...(b.parentBranch >= 0 ? [b.startArcMm] : []), ...branches.filter((c) => c.parentBranch === b.index).map((c) => c.startArcMm)]));
    junctionArcsByTree.set(tree, byBranch);
  }
  const arcs = byBranch[branch];
  let d = Infinity;
  if (arcs) for (let i = 0; i < arcs.length; i++) d = Math.min(d, Math.abs(arcMm - arcs[i]!));
  return d;
}

/** Does the tree fork at node n (the ostium counts: a lead enters the tree there)? */
export function forksAt(tree: VeinTree, n: number): boolean {
  return n === tree.root || tree.childStart[n + 1]! - tree.childStart[n]! >= 2;
}

/** Does one branch's name give way to the next at node n, without a fork (the CS becoming the GCV)? */
export function renamesAt(tree: VeinTree, n: number): boolean {
  return n !== tree.root && tree.childStart[n + 1]! - tree.childStart[n]! === 1 && tree.segmentBranch[tree.children[tree.childStart[n]!]!] !== tree.segmentBranch[n];
}

/**
 * Along-tree distance from a place (segment, arc length) to the nearest node where `isJunction`
 * holds, within `limitMm`: behind it toward the root, and ahead of it down a single-child run (a
 * fork ahead ends the run; it counts when `isJunction` says so). Infinity when there is none.
 */
export function nearestJunctionMm(tree: VeinTree, segment: number, arcMm: number, isJunction: (n: number) => boolean, limitMm: number): number {
  let best = Infinity;
  for (let n = tree.parent[segment]!; n >= 0; n = tree.parent[n]!) {
    const d = arcMm - tree.arcLengthMm[n]!;
    if (d > limitMm) break;
    if (isJunction(n)) { best = d; break; }
  }
  for (let n = segment; ; ) {
    const d = tree.arcLengthMm[n]! - arcMm;
    if (d > limitMm) break;
    if (isJunction(n)) { best = Math.min(best, d); break; }
    const kids = tree.childStart[n + 1]! - tree.childStart[n]!;
    if (kids !== 1) break;
    n = tree.children[tree.childStart[n]!]!;
  }
  return best;
}

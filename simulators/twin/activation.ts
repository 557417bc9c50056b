// An LBBB-like epicardial activation map: with the left bundle blocked, the RV and the septum
// activate first through the right bundle (mid-apical septum earliest), and the wave spreads
// around the LV free wall, finishing basal-lateral/posterolateral. Arrival times are shortest
// paths on the mesh edge graph (Dijkstra); scar conducts four times slower than healthy tissue.

import { angleOf, heightOf, type AnatomicalFrame } from './anatomical-frame.ts';
import { edgeGraph, vertex, type TriangleMesh } from './triangle-mesh.ts';

/** Myocardial conduction velocity along the epicardium, mm/ms. */
export const CONDUCTION_MM_PER_MS = 0.6;

export function lbbbActivation(epi: TriangleMesh, frame: AnatomicalFrame, scar: Float64Array): Float64Array {
  const n = epi.vertexCount;
  const time = new Float64Array(n).fill(Infinity);
  const heap = new MinHeap(n);
  for (let i = 0; i < n; i++) {
    const p = vertex(epi, i);
    const h = heightOf(frame, p);
    // Right-bundle breakthrough: the septal side (incl. the RV) below the base, apex first.
    if (Math.cos(angleOf(frame, p)) > Math.cos((40 * Math.PI) / 180) && h < 0.75) {
      time[i] = 10 + 25 * h;
      heap.push(i, time[i]!);
    }
  }
  const graph = edgeGraph(epi);
  const speed = (i: number): number => CONDUCTION_MM_PER_MS * (1 - 0.75 * scar[i]!);
  while (heap.size > 0) {
    const [u, tu] = heap.pop();
    if (tu > time[u]!) continue;
    for (let k = graph.start[u]!; k < graph.start[u + 1]!; k++) {
      const v = graph.neighbours[k]!;
      const t = tu + graph.lengths[k]! / ((speed(u) + speed(v)) / 2);
      if (t < time[v]!) {
        time[v] = t;
        heap.push(v, t);
      }
    }
  }
  // Vertices no wave reaches (a mesh island) take the latest time rather than infinity.
  let latest = 0;
  for (const t of time) if (Number.isFinite(t)) latest = Math.max(latest, t);
  for (let i = 0; i < n; i++) if (!Number.isFinite(time[i]!)) time[i] = latest;
  return time;
}

/** QRS duration: the latest activation in healthy myocardium (scar's slow conduction excluded). */
export function qrsDurationMs(activationMs: Float64Array, scar: Float64Array): number {
  let qrs = 0;
  for (let i = 0; i < activationMs.length; i++) if (scar[i]! < 0.5) qrs = Math.max(qrs, activationMs[i]!);
  return qrs > 0 ? qrs : Math.max(...activationMs);
}

/** Binary min-heap of (vertex, key) with ties broken by vertex index, so results are reproducible. */
class MinHeap {
  private ids: number[] = [];
  private keys: number[] = [];
  constructor(_capacity: number) {}
  get size(): number {
    return this.ids.length;
  }
  private less(a: number, b: number): boolean {
    return this.keys[a]! < this.keys[b]! || (this.keys[a] === this.keys[b] && this.ids[a]! < this.ids[b]!);
  }
  private swap(a: number, b: number): void {
    [this.ids[a], this.ids[b]] = [this.ids[b]!, this.ids[a]!];
    [this.keys[a], this.keys[b]] = [this.keys[b]!, this.keys[a]!];
  }
  push(id: number, key: number): void {
    this.ids.push(id);
    this.keys.push(key);
    let i = this.ids.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }
  pop(): [number, number] {
    const top: [number, number] = [this.ids[0]!, this.keys[0]!];
    const lastId = this.ids.pop()!;
    const lastKey = this.keys.pop()!;
    if (this.ids.length > 0) {
      this.ids[0] = lastId;
      this.keys[0] = lastKey;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < this.ids.length && this.less(l, m)) m = l;
        if (r < this.ids.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

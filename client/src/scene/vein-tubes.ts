// Vein tubes with the vein's own tapering radius (three's TubeGeometry has one radius), coloured
// per node by the response along the branch, grey where the nearest site is inaccessible.
// Target-zone sleeves reuse the same builder over a stretch of arc length.

import * as THREE from 'three';
import type { BranchView, TwinView } from '../common/twin-view.ts';
import { branchValueAt } from '../common/twin-view.ts';
import { cividis, MARK } from '../common/colours.ts';

const SIDES = 10;

/** Points, radii and per-point colours along a path; builds the tube's rings with parallel transport. */
export function tubeGeometry(points: readonly THREE.Vector3[], radii: readonly number[], colours: readonly THREE.Color[] | null): THREE.BufferGeometry {
  const n = points.length;
  const positions = new Float32Array(n * SIDES * 3);
  const normals = new Float32Array(n * SIDES * 3);
  const colourArray = colours ? new Float32Array(n * SIDES * 3) : null;
  const tangent = new THREE.Vector3();
  const normal = new THREE.Vector3();
  const binormal = new THREE.Vector3();
  const previousTangent = new THREE.Vector3();
  const q = new THREE.Quaternion();
  for (let i = 0; i < n; i++) {
    const a = points[Math.max(0, i - 1)]!;
    const b = points[Math.min(n - 1, i + 1)]!;
    tangent.subVectors(b, a).normalize();
    if (i === 0) {
      // Any vector not parallel to the tangent starts the frame.
      normal.set(Math.abs(tangent.x) < 0.9 ? 1 : 0, Math.abs(tangent.x) < 0.9 ? 0 : 1, 0).cross(tangent).normalize();
    } else {
      q.setFromUnitVectors(previousTangent, tangent);
      normal.applyQuaternion(q);
    }
    previousTangent.copy(tangent);
    binormal.crossVectors(tangent, normal);
    for (let k = 0; k < SIDES; k++) {
      const angle = (k / SIDES) * Math.PI * 2;
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      const nx = c * normal.x + s * binormal.x;
      const ny = c * normal.y + s * binormal.y;
      const nz = c * normal.z + s * binormal.z;
      const o = (i * SIDES + k) * 3;
      const r = radii[i]!;
      positions[o] = points[i]!.x + r * nx;
      positions[o + 1] = points[i]!.y + r * ny;
      positions[o + 2] = points[i]!.z + r * nz;
      normals.set([nx, ny, nz], o);
      if (colourArray) colourArray.set([colours![i]!.r, colours![i]!.g, colours![i]!.b], o);
    }
  }
  const indices: number[] = [];
  for (let i = 0; i < n - 1; i++) {
    for (let k = 0; k < SIDES; k++) {
      const a = i * SIDES + k;
      const b = i * SIDES + ((k + 1) % SIDES);
      const c = a + SIDES;
      const d = b + SIDES;
      indices.push(a, c, b, b, c, d);
    }
  }
  const geometry = new THREE.BufferGeometry();
  geometry.setAttribute('position', new THREE.BufferAttribute(positions, 3));
  geometry.setAttribute('normal', new THREE.BufferAttribute(normals, 3));
  if (colourArray) geometry.setAttribute('color', new THREE.BufferAttribute(colourArray, 3));
  geometry.setIndex(indices);
  return geometry;
}

const nodePoint = (twin: TwinView, i: number): THREE.Vector3 => new THREE.Vector3(twin.nodes[i * 3]!, twin.nodes[i * 3 + 1]!, twin.nodes[i * 3 + 2]!);

/** One mesh per branch; `userData.branch` names it for hover. */
export function veinMeshes(twin: TwinView): THREE.Mesh[] {
  const material = new THREE.MeshLambertMaterial({ vertexColors: true });
  const grey = new THREE.Color(MARK.inaccessible);
  const rgb: [number, number, number] = [0, 0, 0];
  return twin.branches.map((branch) => {
    const points = Array.from(branch.nodes, (i) => nodePoint(twin, i));
    const radii = Array.from(branch.nodes, (i) => twin.radii[i]!);
    const colours = Array.from(branch.arcMm, (arc) => {
      const v = branchValueAt(branch, arc);
      if (v.p === null || !v.nearest?.accessible) return grey;
      cividis(v.p, rgb);
      return new THREE.Color(rgb[0], rgb[1], rgb[2]);
    });
    const mesh = new THREE.Mesh(tubeGeometry(points, radii, colours), material);
    mesh.userData['branch'] = branch.id;
    mesh.name = `vein:${branch.id}`;
    return mesh;
  });
}

/** A translucent sleeve around a branch between two arc lengths: a target zone. */
export function zoneSleeve(twin: TwinView, branch: BranchView, startArcMm: number, endArcMm: number, colour: number = MARK.zone, extraRadiusMm = 1.5): THREE.Mesh | null {
  const points: THREE.Vector3[] = [];
  const radii: number[] = [];
  branch.arcMm.forEach((arc, k) => {
    if (arc < startArcMm - 1 || arc > endArcMm + 1) return;
    const i = branch.nodes[k]!;
    points.push(nodePoint(twin, i));
    radii.push(twin.radii[i]! + extraRadiusMm);
  });
  if (points.length < 2) return null;
  const material = new THREE.MeshBasicMaterial({ color: colour, transparent: true, opacity: 0.45, depthWrite: false });
  const mesh = new THREE.Mesh(tubeGeometry(points, radii, null), material);
  mesh.name = `zone:${branch.id}`;
  mesh.renderOrder = 2;
  return mesh;
}

/** The arc length at the branch node nearest a point (for hover). */
export function arcNearest(twin: TwinView, branch: BranchView, p: THREE.Vector3): number {
  let best = Infinity;
  let arc = 0;
  branch.nodes.forEach((i, k) => {
    const d = (twin.nodes[i * 3]! - p.x) ** 2 + (twin.nodes[i * 3 + 1]! - p.y) ** 2 + (twin.nodes[i * 3 + 2]! - p.z) ** 2;
    if (d < best) {
      best = d;
      arc = branch.arcMm[k]!;
    }
  });
  return arc;
}

// Writers for the surface formats the builder reads, so tests can make STL/VTK inputs from the
// shared JSON anatomy (in the layouts 3D Slicer and VTK produce).
import type { TriangleMesh } from '../../simulators/twin/triangle-mesh.ts';

export function asciiStl(mesh: TriangleMesh): string {
  const lines = ['solid heart'];
  for (let f = 0; f < mesh.triangleCount; f++) {
    lines.push(' facet normal 0 0 0', '  outer loop');
    for (let k = 0; k < 3; k++) {
      const v = mesh.triangles[3 * f + k]!;
      lines.push(`   vertex ${mesh.positions[3 * v]} ${mesh.positions[3 * v + 1]} ${mesh.positions[3 * v + 2]}`);
    }
    lines.push('  endloop', ' endfacet');
  }
  lines.push('endsolid heart');
  return lines.join('\n');
}

export function binaryStl(mesh: TriangleMesh): Buffer {
  const out = Buffer.alloc(84 + 50 * mesh.triangleCount);
  out.write('solid but binary', 0, 'latin1'); // some writers do this; the reader must not be fooled
  out.writeUInt32LE(mesh.triangleCount, 80);
  for (let f = 0; f < mesh.triangleCount; f++) {
    for (let k = 0; k < 3; k++) {
      const v = mesh.triangles[3 * f + k]!;
      for (let c = 0; c < 3; c++) out.writeFloatLE(mesh.positions[3 * v + c]!, 84 + 50 * f + 12 + 12 * k + 4 * c);
    }
  }
  return out;
}

export function asciiVtk(mesh: TriangleMesh, layout: 'classic' | 'vtk9'): string {
  const lines = ['# vtk DataFile Version ' + (layout === 'vtk9' ? '5.1' : '3.0'), 'heart', 'ASCII', 'DATASET POLYDATA', `POINTS ${mesh.vertexCount} float`];
  for (let i = 0; i < mesh.vertexCount; i++) lines.push(`${mesh.positions[3 * i]} ${mesh.positions[3 * i + 1]} ${mesh.positions[3 * i + 2]}`);
  if (layout === 'classic') {
    lines.push(`POLYGONS ${mesh.triangleCount} ${4 * mesh.triangleCount}`);
    for (let f = 0; f < mesh.triangleCount; f++) lines.push(`3 ${mesh.triangles[3 * f]} ${mesh.triangles[3 * f + 1]} ${mesh.triangles[3 * f + 2]}`);
  } else {
    lines.push(`POLYGONS ${mesh.triangleCount + 1} ${3 * mesh.triangleCount}`, 'OFFSETS vtktypeint64');
    lines.push(Array.from({ length: mesh.triangleCount + 1 }, (_, i) => 3 * i).join(' '));
    lines.push('CONNECTIVITY vtktypeint64', Array.from(mesh.triangles).join(' '));
  }
  lines.push(`POINT_DATA ${mesh.vertexCount}`, 'SCALARS ignored float 1', 'LOOKUP_TABLE default');
  return lines.join('\n');
}

export function binaryVtk(mesh: TriangleMesh): Buffer {
  const head = Buffer.from(`# vtk DataFile Version 3.0\nheart\nBINARY\nDATASET POLYDATA\nPOINTS ${mesh.vertexCount} float\n`, 'latin1');
  const points = Buffer.alloc(12 * mesh.vertexCount);
  for (let i = 0; i < 3 * mesh.vertexCount; i++) points.writeFloatBE(mesh.positions[i]!, 4 * i);
  const polyHead = Buffer.from(`\nPOLYGONS ${mesh.triangleCount} ${4 * mesh.triangleCount}\n`, 'latin1');
  const cells = Buffer.alloc(16 * mesh.triangleCount);
  for (let f = 0; f < mesh.triangleCount; f++) {
    cells.writeInt32BE(3, 16 * f);
    for (let k = 0; k < 3; k++) cells.writeInt32BE(mesh.triangles[3 * f + k]!, 16 * f + 4 + 4 * k);
  }
  return Buffer.concat([head, points, polyHead, cells, Buffer.from('\n', 'latin1')]);
}

// Heart surfaces as typed arrays (Float32Array positions, Uint32Array indices), with optional
// per-vertex fields on the epicardium. Checked once on load: triples, index ranges, field lengths.

import { TwinguideError, type EpiSurfaceJson, type SurfaceJson } from '../../protocol/index.ts';

export interface SurfaceMesh {
  readonly vertexCount: number;
  readonly triangleCount: number;
  readonly positionsMm: Float32Array;
  readonly triangles: Uint32Array;
}

export interface EpiFields {
  readonly activationMs?: Float32Array;
  readonly scar?: Float32Array;
  readonly uvc?: { readonly z: Float32Array; readonly rho: Float32Array; readonly phi: Float32Array };
  readonly aha?: Uint8Array;
  readonly response?: Float32Array;
}

export type EpiSurface = SurfaceMesh & { readonly fields: EpiFields };

export function buildSurface(json: SurfaceJson, path: string, maxVertices: number): SurfaceMesh {
  if (json.vertices.length % 3 !== 0) {
    throw new TwinguideError('TG_ERR_TWIN_GEOMETRY', `${path}: ${json.vertices.length} coordinates is not a whole number of [x,y,z] vertices`, { path: `${path}/vertices` });
  }
  if (json.triangles.length % 3 !== 0) {
    throw new TwinguideError('TG_ERR_TWIN_GEOMETRY', `${path}: ${json.triangles.length} indices is not a whole number of triangles`, { path: `${path}/triangles` });
  }
  const vertexCount = json.vertices.length / 3;
  if (vertexCount > maxVertices) {
    throw new TwinguideError('TG_ERR_TWIN_LIMIT', `${path}: ${vertexCount} vertices exceed the limit of ${maxVertices}`, { path: `${path}/vertices` });
  }
  const triangles = Uint32Array.from(json.triangles);
  for (let i = 0; i < triangles.length; i++) {
    if (triangles[i]! >= vertexCount) {
      throw new TwinguideError('TG_ERR_TWIN_INDEX', `${path}: triangle ${Math.floor(i / 3)} refers to vertex ${triangles[i]}, but there are ${vertexCount} vertices`, {
        path: `${path}/triangles/${i}`,
      });
    }
  }
  return { vertexCount, triangleCount: triangles.length / 3, positionsMm: Float32Array.from(json.vertices), triangles };
}

export function buildEpiSurface(json: EpiSurfaceJson, maxVertices: number): EpiSurface {
  const path = '/surfaces/epi';
  const mesh = buildSurface(json, path, maxVertices);
  const field = (values: readonly number[] | undefined, name: string): Float32Array | undefined => {
    if (values === undefined) return undefined;
    if (values.length !== mesh.vertexCount) {
      throw new TwinguideError('TG_ERR_TWIN_GEOMETRY', `${path}/${name} has ${values.length} values for ${mesh.vertexCount} vertices`, { path: `${path}/${name}` });
    }
    return Float32Array.from(values);
  };
  const fields: { -readonly [K in keyof EpiFields]: EpiFields[K] } = {};
  const activationMs = field(json.activationMs, 'activationMs');
  if (activationMs) fields.activationMs = activationMs;
  const scar = field(json.scar, 'scar');
  if (scar) fields.scar = scar;
  const response = field(json.response, 'response');
  if (response) fields.response = response;
  if (json.uvc) {
    fields.uvc = { z: field(json.uvc.z, 'uvc/z')!, rho: field(json.uvc.rho, 'uvc/rho')!, phi: field(json.uvc.phi, 'uvc/phi')! };
  }
  const aha = field(json.aha, 'aha');
  if (aha) fields.aha = Uint8Array.from(aha);
  return { ...mesh, fields };
}

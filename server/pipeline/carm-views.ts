// The standard C-arm views and the pose a viewer takes for them: the camera sits on the
// image-detector side of the C-arm, looking toward the source, with image-up as screen-up, so the
// twin is drawn as the C-arm at that angle would show it. Angles as DICOM: α +LAO, β +CRAN.
// (The display's camera presets and the procedure report's pictures use the same views.)

import { carmFrame } from './carm-geometry.ts';

export interface CarmAngles {
  alpha: number;
  beta: number;
}

export const PRESETS: readonly { name: string; label: string; angles: CarmAngles }[] = [
  { name: 'ap', label: 'AP', angles: { alpha: 0, beta: 0 } },
  { name: 'lao30', label: 'LAO 30', angles: { alpha: 30, beta: 0 } },
  { name: 'rao30', label: 'RAO 30', angles: { alpha: -30, beta: 0 } },
  { name: 'lao40caud', label: 'LAO 40 CAUD 20', angles: { alpha: 40, beta: -20 } },
];

export interface CameraPose {
  /** Unit vector from the isocentre toward the camera (the detector side), in the twin frame. */
  towardCamera: [number, number, number];
  /** Screen-up (image-up), in the twin frame. */
  up: [number, number, number];
}

/**
 * The pose for C-arm angles. `rotation` (row-major 3×3, C-arm/patient frame → twin) comes from the
 * procedure's registration in fluoro mode; the twin frame is itself LPS, so without it the identity holds.
 */
export function carmPose(angles: CarmAngles, rotation: readonly number[] | null = null): CameraPose {
  const f = carmFrame({ alpha: angles.alpha, beta: angles.beta, sid: 1000, sod: 700, pixelSpacing: [1, 1], size: [1, 1] });
  const up: [number, number, number] = [-f.vAxis[0], -f.vAxis[1], -f.vAxis[2]];
  const rotate = (v: [number, number, number]): [number, number, number] =>
    rotation ? [rotation[0]! * v[0] + rotation[1]! * v[1] + rotation[2]! * v[2], rotation[3]! * v[0] + rotation[4]! * v[1] + rotation[5]! * v[2], rotation[6]! * v[0] + rotation[7]! * v[1] + rotation[8]! * v[2]] : v;
  return { towardCamera: rotate(f.direction), up: rotate(up) };
}

/** The rotation block of a row-major 4×4 transform. */
export const rotationOf = (m: readonly number[] | undefined): number[] | null => (m && m.length === 16 ? [m[0]!, m[1]!, m[2]!, m[4]!, m[5]!, m[6]!, m[8]!, m[9]!, m[10]!] : null);

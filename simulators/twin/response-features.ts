// The site features and the illustrative responder model the twin builder uses. The coefficients
// are chosen by hand to express the direction of known associations (later local activation,
// lateral and mid/basal position, distance from scar); they are NOT those of a clinical study.

import type { LogisticModelSpec } from './onnx-logistic.ts';

export const FEATURE_NAMES = ['qlvNorm', 'apicoBasal', 'lateral', 'scarDistanceMm', 'veinDiameterMm', 'branchLateral'] as const;

/** Branch kind as a feature: the lateral and posterolateral veins are the classic CRT targets. */
export function branchLateralFeature(kind: string): number {
  return kind === 'lateral' || kind === 'posterolateral' ? 1 : kind === 'posterior' ? 0.5 : 0;
}

export const ILLUSTRATIVE_MODEL: LogisticModelSpec = {
  featureNames: FEATURE_NAMES,
  mean: [0.65, 0.55, 0, 50, 3, 0.5],
  scale: [0.2, 0.25, 0.6, 20, 1.5, 0.5],
  weights: [1.1, 0.2, 0.5, 1.0, 0.1, 0.3],
  bias: -1.2,
  doc: 'twinguide illustrative CRT-response logistic model; coefficients chosen by hand, not from a clinical study',
};

/** Scar farther than this counts as "no scar nearby". */
export const SCAR_DISTANCE_CAP_MM = 60;

export const MODEL_CARD = {
  summary:
    'Logistic regression of CRT response on local activation delay (QLV proxy normalised to QRS duration), apico-basal and lateral position, distance to scar, vein diameter and branch kind (lateral/posterolateral).',
  illustrative: true,
  intendedUse:
    'Demonstration and testing of twinguide only. The coefficients are ILLUSTRATIVE, chosen by hand to express the direction of published associations; they are not the coefficients of any clinical study and must not guide treatment.',
  trainingData: 'None: no patient data was used.',
};

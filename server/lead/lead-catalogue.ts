// The LV leads a procedure can name, with where their electrodes sit. A manufacturer's model
// enters this list only with its electrode positions from that manufacturer's published manual,
// cited in `source`: a guessed figure would put the electrodes in the wrong place on the twin
// without anyone noticing. None could be reached when this was written (see the README), so the
// list holds a generic lead, clearly labelled as such, and `custom` takes any lead's figures.

import { TwinguideError, type LeadInfo, type LeadSpec } from '../../protocol/index.ts';

/** 5 French (1 F = 1/3 mm by the scale's definition): the body size most LV leads are sold in. */
export const FIVE_FRENCH_MM = 5 / 3;

export const LEAD_CATALOGUE: readonly LeadInfo[] = [
  {
    model: 'generic-quadripolar',
    name: 'Generic quadripolar',
    electrodeOffsetsMm: [0, 15, 30, 45],
    bodyDiameterMm: Math.round(FIVE_FRENCH_MM * 100) / 100,
    source:
      'twinguide default, not a manufacturer model: four electrodes evenly over 45 mm (quadripolar LV leads spread theirs over 40-50 mm), a 5 F body. Name the implanted lead as custom with the offsets from its manual.',
  },
];

export const DEFAULT_LEAD_MODEL = 'generic-quadripolar';

/** The smallest distance between two electrodes' centres that a real lead has, mm (each electrode is at least ~1 mm long). */
const MIN_SPACING_MM = 1;

/** A lead spec resolved against the catalogue (TG_ERR_LEAD for an unknown model or bad custom figures). */
export function resolveLead(spec: LeadSpec | undefined): LeadInfo {
  if (!spec) return LEAD_CATALOGUE.find((l) => l.model === DEFAULT_LEAD_MODEL)!;
  if (spec.model !== 'custom') {
    const known = LEAD_CATALOGUE.find((l) => l.model === spec.model);
    if (!known) throw new TwinguideError('TG_ERR_LEAD', `no lead model '${spec.model}' in the catalogue (it has ${LEAD_CATALOGUE.map((l) => l.model).join(', ')}, and 'custom')`, { path: '/lead/model' });
    if (spec.electrodeOffsetsMm || spec.bodyDiameterMm !== undefined) {
      throw new TwinguideError('TG_ERR_LEAD', `lead model '${spec.model}' has its own electrode offsets and diameter; use model 'custom' to give others`, { path: '/lead' });
    }
    return spec.name ? { ...known, name: spec.name } : known;
  }
  const offsets = spec.electrodeOffsetsMm;
  if (!offsets) throw new TwinguideError('TG_ERR_LEAD', "a 'custom' lead needs electrodeOffsetsMm (each electrode's distance from the tip, distal first)", { path: '/lead/electrodeOffsetsMm' });
  for (let k = 1; k < offsets.length; k++) {
    if (!(offsets[k]! - offsets[k - 1]! >= MIN_SPACING_MM)) {
      throw new TwinguideError('TG_ERR_LEAD', `electrode ${k + 1} at ${offsets[k]} mm is not at least ${MIN_SPACING_MM} mm beyond electrode ${k} at ${offsets[k - 1]} mm (offsets go from the tip back, increasing)`, { path: `/lead/electrodeOffsetsMm/${k}` });
    }
  }
  return {
    model: 'custom',
    name: spec.name ?? `Custom ${offsets.length}-electrode lead`,
    electrodeOffsetsMm: [...offsets],
    bodyDiameterMm: spec.bodyDiameterMm ?? Math.round(FIVE_FRENCH_MM * 100) / 100,
    source: 'given with the procedure',
  };
}

// The lead's electrodes on the tree, for each tracked tip position, and where a measurement was
// taken: at the electrode it names, where the newest tracked position put that electrode.

import type { Twin } from '../../twin/twin.ts';
import { kept, stage, type Flow, type PipelineState } from '../flow.ts';
import { LeadPlacer } from '../lead-placement.ts';

export function placeLead(twin: Twin, state?: PipelineState) {
  return stage<Flow, Flow>((emit) => {
    const placer = kept(state, 'lead.placer', new LeadPlacer(twin));
    const last = kept(state, 'lead.last', { segment: -1, arcMm: 0 });
    return {
      next(item) {
        if (item.kind === 'lead') {
          placer.lead = item.lead;
          return emit(item);
        }
        if (item.kind === 'registration') {
          last.segment = -1; // the tracker starts afresh
          return emit(item);
        }
        if (item.kind === 'track') {
          last.segment = item.track.segment;
          last.arcMm = item.track.arcLengthMm;
          item.lead = placer.place(item.track.segment, item.track.arcLengthMm);
          return emit(item);
        }
        if (item.kind === 'measurement') {
          const place = last.segment >= 0 ? placer.place(last.segment, last.arcMm) : null;
          return emit({ kind: 'measured', measurement: item.measurement, place, electrode: item.measurement.electrode - 1 });
        }
        emit(item);
      },
    };
  });
}

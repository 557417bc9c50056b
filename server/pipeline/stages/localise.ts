// From compensated measurements to observations in the twin frame: an EAM point (already
// registered by the compensation stage); a fluoro view back-projected to a ray (C-arm frame → twin through the registration);
// two views triangulated to a point (views whose rays pass far apart are dropped and counted).

import { kept, stage, type Flow, type PipelineCounters, type PipelineState } from '../flow.ts';
import { backProject, triangulate } from '../carm-geometry.ts';
import { NO_REGISTRATION, transformPoint, type Registration } from '../registration.ts';
import type { OffsetLearning, RegistrationOffset } from '../registration-offset.ts';

/** How an observation may teach the learnt offset (undefined: it does not). A plain field, not spread in: this runs per sample. */
const learning = (mode: OffsetLearning | undefined): 'while-still' | 'always' | undefined => (mode === 'off' ? undefined : mode);

/** Biplane rays that miss each other by more than this are not one tip. */
export const MAX_TRIANGULATION_GAP_MM = 8;

export function localise(counters: PipelineCounters, initial: Registration = NO_REGISTRATION, state?: PipelineState, offset?: RegistrationOffset) {
  return stage<Flow, Flow>((emit) => {
    const st = kept(state, 'localise', { registration: initial, carm: { alpha: NaN, beta: NaN } });
    const o = [0, 0, 0];
    const rotate = (d: readonly number[]): [number, number, number] => {
      const m = st.registration.matrix;
      return [m[0]! * d[0]! + m[1]! * d[1]! + m[2]! * d[2]!, m[4]! * d[0]! + m[5]! * d[1]! + m[6]! * d[2]!, m[8]! * d[0]! + m[9]! * d[1]! + m[10]! * d[2]!];
    };
    return {
      next(item) {
        if (item.kind === 'registration') {
          st.registration = item.registration;
          offset?.reset();
          return emit(item);
        }
        if (item.kind !== 'compensated') return emit(item);
        const s = item.sample;
        if (item.twin) {
          // EAM: registered and compensated in the twin frame already.
          emit({ kind: 'observation', seq: s.seq, t: s.t, obs: { type: 'point', p: item.twin }, quality: 1, settled: item.settled, alongMotionMm: item.alongMotionMm ?? 0, alongSpreadMm: item.alongSpreadMm ?? 0, irregularBreathing: item.irregularBreathing ?? false, breathFloorMm: item.breathFloorMm ?? 0, nothingMoves: item.nothingMoves ?? false, offsetLearning: learning(offset?.options.eam) });
          return;
        }
        if (s.type !== 'fluoro') return;
        const active = s.views[0]!.geometry;
        if (active.alpha !== st.carm.alpha || active.beta !== st.carm.beta) {
          st.carm = { alpha: active.alpha, beta: active.beta };
          emit({ kind: 'carm', ...st.carm });
        }
        const rays = s.views.map((view, k) => {
          const c = item.views[k]!;
          const ray = backProject(view.geometry, c.u, c.v);
          transformPoint(st.registration.matrix, ray.origin[0], ray.origin[1], ray.origin[2], o);
          // The registration's learnt error taken out (a translation: the ray's origin moves).
          if (offset) { const f = offset.takenOut('fluoro'); for (let j = 0; j < 3; j++) o[j]! -= f[j]!; }
          return { origin: [o[0]!, o[1]!, o[2]!] as [number, number, number], direction: rotate(ray.direction) };
        });
        if (rays.length === 1) {
          emit({ kind: 'observation', seq: s.seq, t: s.t, obs: { type: 'ray', origin: rays[0]!.origin, direction: rays[0]!.direction }, quality: 1, settled: item.settled });
          return;
        }
        const tri = triangulate(rays[0]!, rays[1]!);
        if (!tri || tri.gapMm > MAX_TRIANGULATION_GAP_MM) return counters.drop('triangulation');
        emit({ kind: 'observation', seq: s.seq, t: s.t, obs: { type: 'point', p: tri.point }, quality: Math.max(0.3, 1 - tri.gapMm / MAX_TRIANGULATION_GAP_MM), settled: item.settled, alongSpreadMm: item.alongSpreadMm ?? 0, irregularBreathing: item.irregularBreathing ?? false, nothingMoves: item.nothingMoves ?? false, offsetLearning: learning(offset?.options.fluoro) });
      },
    };
  });
}

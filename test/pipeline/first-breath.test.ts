// A deep first breath before the breathing rate has been read: recorded from the independent
// client (`bench:independent`, its seed 12, `breath`, walk 6: EAM at 50 Hz in its own frame,
// registered by landmarks), the lead in the middle cardiac vein for the first 8 s. The heart went
// 18 mm caudally and back 1–2.5 s in. Fitted from that part of a cycle at the assumed 4 s breath, a
// breathing harmonic of 20–30 mm was taken out, and the tip was shown in the coronary sinus up to
// 14 mm away, twice, for 2–3 s. The filter now waits a whole cycle before taking out a motion at a
// rate it has not read, unless the fit is no larger than the motion the tip has shown
// (MotionFilterOptions.unfoundWaitCycles and unfoundEarlyShare, EAM).
import { readFileSync } from 'node:fs';
import { Subject } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DisplayMessage, Guidance } from '../../protocol/index.ts';
import type { PipelineInput } from '../../server/pipeline/flow.ts';
import { guidancePipeline } from '../../server/pipeline/procedure-pipeline.ts';
import { DEFAULT_COMPENSATION } from '../../server/pipeline/stages/compensate-motion.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import type { Twin } from '../../server/twin/twin.ts';

interface Fixture { inputs: PipelineInput[]; truth: [number, string, number, number, number][] }
const fixture = JSON.parse(readFileSync(new URL('../fixtures/independent-client/first-breath.json', import.meta.url), 'utf8')) as Fixture;

let twin: Twin;
beforeAll(async () => {
  twin = await loadTwinFile(new URL('../../data/twins/demo.twin.json', import.meta.url).pathname, { loadModel: false });
});
afterAll(() => twin.close());

/** Each guidance of the first 8 s beside the client's truth at the same time: shown branch and error (mm). */
function run(unfoundWaitCycles: number): { branch: string; truth: string; errorMm: number; t: number }[] {
  const compensation = { ...DEFAULT_COMPENSATION, eam: { ...DEFAULT_COMPENSATION.eam, unfoundWaitCycles } };
  const subject = new Subject<PipelineInput>();
  const shown: Guidance[] = [];
  subject.pipe(guidancePipeline(twin, { procedureId: 'first-breath', compensation })).subscribe((m: DisplayMessage) => {
    if (m.type === 'guidance') shown.push(m);
  });
  for (const input of fixture.inputs) subject.next(input);
  subject.complete();
  const first = fixture.inputs.find((i) => i.kind === 'sample');
  const t0 = first?.kind === 'sample' ? first.sample.t : 0;
  const truthAt = new Map(fixture.truth.map((row) => [Math.round(row[0] * 50), row]));
  return shown.flatMap((g) => {
    const row = truthAt.get(Math.round((g.t - t0) * 50));
    if (!row) return [];
    const [, branch, x, y, z] = row;
    return [{ t: g.t - t0, branch: g.tip.branch, truth: branch, errorMm: Math.hypot(g.tip.p[0] - x, g.tip.p[1] - y, g.tip.p[2] - z) }];
  });
}

describe('a deep first breath before its rate is read', () => {
  it('keeps the tip in its vein, within a few millimetres', () => {
    const rows = run(DEFAULT_COMPENSATION.eam.unfoundWaitCycles ?? 0);
    expect(rows.length).toBeGreaterThan(350);
    expect(rows.filter((r) => r.branch !== r.truth)).toEqual([]);
    expect(Math.max(...rows.map((r) => r.errorMm))).toBeLessThan(6);
  });

  it('is the wait that does it: taken out at once, the part-cycle fit puts the tip in the wrong vein', () => {
    const rows = run(0);
    const wrong = rows.filter((r) => r.branch !== r.truth);
    expect(wrong.length).toBeGreaterThan(50);
    expect(Math.max(...rows.map((r) => r.errorMm))).toBeGreaterThan(10);
  });
});

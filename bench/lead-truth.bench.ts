// The ground truth's zone state for recordings made with a lead, under the old definition (the tip
// alone) and the new one (any electrode in a zone), on the standard scenarios, held-out seeds 11–13,
// EAM. Printed, never asserted.   npx tsx bench/lead-truth.bench.ts
import { fileURLToPath } from 'node:url';
import { loadTwinFile } from '../server/twin/load-twin.ts';
import { runScenario } from '../simulators/device/run-scenario.ts';
import { scoreGuidance } from '../simulators/device/score.ts';
import { TruthOracle } from '../simulators/device/device-simulator.ts';
import { resolveLead } from '../server/lead/lead-catalogue.ts';
const twin = await loadTwinFile(fileURLToPath(new URL('../data/twins/demo.twin.json', import.meta.url)));
const lead = resolveLead(undefined);
const tipOracle = new TruthOracle(twin);
const pool = { oldOnTip: [] as any[], oldOnLead: [] as any[], newOnLead: [] as any[] };
const truthsOld = new Map(), truthsNew = new Map(), truthsTip = new Map();
let offset = 0;
for (const seed of [11, 12, 13]) for (const name of ['reach-lateral-zone', 'wrong-branch-then-correct', 'tour'] as const) {
  const tip = await runScenario(twin, name, 'eam', { device: { seed } });
  const withLead = await runScenario(twin, name, 'eam', { device: { seed, lead } });
  for (const g of tip.guidance) { pool.oldOnTip.push({ ...g, seq: g.seq + offset }); truthsTip.set(g.seq + offset, tip.truths.get(g.seq)); }
  for (const g of withLead.guidance) {
    const t = withLead.truths.get(g.seq)!;
    pool.newOnLead.push({ ...g, seq: g.seq + offset }); truthsNew.set(g.seq + offset, t);
    // The old definition on the same samples: the tip alone judged.
    const pt = { x: t.p[0], y: t.p[1], z: t.p[2], branch: twin.veins.branchById.get(t.branch)!, arcLengthMm: t.arcLengthMm, segment: t.segment, t: 0 };
    truthsOld.set(g.seq + offset, { ...t, ...tipOracle.judge(pt as any) });
  }
  offset += 1_000_000;
}
const f = (x: any) => `zone ${x.zoneAgreement.toFixed(4)} (strict ${x.zoneAgreementStrict.toFixed(4)}), instruction ${x.instructionAgreement.toFixed(4)} (strict ${x.instructionAgreementStrict.toFixed(4)}), branch ${x.branchAccuracy.toFixed(4)}, p95 ${x.tipErrorP95Mm.toFixed(2)}, cw ${(100 * x.confidentlyWrongRate).toFixed(3)} %, n ${x.samples}`;
console.log('no lead, old (tip-only) truth         ', f(scoreGuidance(pool.oldOnTip, truthsTip)));
console.log('with lead, old (tip-only) definition   ', f(scoreGuidance(pool.newOnLead, truthsOld)));
console.log('with lead, new (electrode-aware) truth ', f(scoreGuidance(pool.newOnLead, truthsNew)));
await twin.close();

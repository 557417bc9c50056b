// `twinguide twin info FILE [--json]`: what a twin holds, for the people who write and check twins.

import { loadTwinFile } from '../server/twin/load-twin.ts';
import { summariseTwin, type TwinSummary } from '../server/twin/twin-summary.ts';
import { EXIT_OK, parseCommandArgs, type Command } from './command.ts';

export const twinInfo: Command = {
  name: 'twin info',
  summary: 'counts, branches with lengths, sites, accessible sites, target zones, model card',
  help: `Usage: twinguide twin info FILE [--json]

Loads and checks a twin bundle (*.twin.json), then prints what it holds: surface and vein counts,
each branch with its length and sites, accessible sites and why the others are not, the target
zones (branch, arc-length interval from the ostium, peak p) and the model card.

Options:
  --json        one JSON object instead of the table
  --no-model    skip loading the ONNX model and checking it against the sites
  -h, --help    this help

Exit status: 0 loaded, 1 the twin was refused (the error names its code and JSON path), 2 usage.`,
  async run(args, io) {
    const { help, values, positionals } = parseCommandArgs(this, args, { json: { type: 'boolean' }, 'no-model': { type: 'boolean' } }, { min: 1, max: 1 });
    if (help) { io.out(this.help); return EXIT_OK; }
    const twin = await loadTwinFile(positionals[0]!, { loadModel: values['no-model'] !== true });
    try {
      const summary = summariseTwin(twin);
      io.out(values.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
    } finally {
      await twin.close();
    }
    return EXIT_OK;
  },
};

export function formatSummary(s: TwinSummary): string {
  const c = s.counts;
  const lines = [
    `twin ${s.id}: ${s.label}`,
    `  created ${s.created}; source: ${s.source}`,
    `  imaged at ${s.acquisition}; the live tip is reported at that phase`,
    `  oriented ${s.provenance.orientation}`,
    `  veins: ${s.provenance.veins}`,
    `  p from: ${s.provenance.response}; activation from: ${s.provenance.activation}`,
    `  surfaces: epicardium ${c.epiVertices} vertices / ${c.epiTriangles} triangles, LV endo ${c.lvEndoVertices}, RV endo ${c.rvEndoVertices} vertices`,
    `  veins: ${c.veinNodes} nodes, ${c.branches} branches, ${s.veinLengthMm} mm in all`,
    '',
    '  branch  name                                  kind                           length       from   min Ø  sites  accessible',
  ];
  for (const b of s.branches) {
    lines.push(
      `  ${b.id.padEnd(8)}${b.name.padEnd(38)}${b.kind.padEnd(26)}${`${b.lengthMm} mm`.padStart(12)}${`${b.startArcMm} mm`.padStart(11)}${`${b.minDiameterMm} mm`.padStart(8)}${String(b.sites).padStart(7)}${String(b.accessibleSites).padStart(12)}`,
    );
  }
  const reasons = Object.entries(s.sites.inaccessibleByReason).map(([r, n]) => `${r} ${n}`).join(', ');
  lines.push('', `  sites: ${s.sites.total}, accessible ${s.sites.accessible}${reasons ? ` (not: ${reasons})` : ''}; p ${s.sites.pMin} … ${s.sites.pMax}; ${c.responderSites} at p ≥ ${s.responseThreshold}`);
  if (s.noAccessibleResponderSite) {
    lines.push('  target zones: NONE — this twin has no accessible predicted-responder site');
  } else {
    lines.push(`  target zones (p ≥ ${s.responseThreshold}, accessible): ${s.targetZones.length}`);
    for (const z of s.targetZones) {
      lines.push(`    ${z.id.padEnd(12)} ${z.branchName}: ${z.startArcMm} → ${z.endArcMm} mm from the ostium (${z.lengthMm} mm), peak p ${z.peakP}, sites ${z.sites.join(' ')}`);
    }
  }
  lines.push(`  landmarks: ${s.landmarks.join(', ')}`);
  if (s.model) {
    lines.push(
      `  model: ONNX ${s.model.bytes} bytes, [${s.model.featureNames.join(', ')}] → p, threshold ${s.model.threshold}; reproduces p at ${s.model.checkedSites} sites (max |Δ| ${s.model.maxAbsError.toExponential(1)})`,
      `         ${s.model.illustrative ? 'ILLUSTRATIVE model, not a clinical one. ' : ''}${s.model.summary}`,
    );
  } else {
    lines.push('  model: none (p from the sites, interpolated along the veins)');
  }
  return lines.join('\n');
}

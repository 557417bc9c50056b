// The procedure report as one HTML document that prints cleanly (A4, no page break inside a table
// or a picture): the finding first when there is one, then the twin and the lead, the timeline,
// where each electrode ended, the measurements beside the twin's predictions, the pictures, and
// for a simulated procedure the accuracy against the simulator's ground truth.

import type { MeasurementRecord } from '../../protocol/index.ts';
import type { ReportModel } from './report-model.ts';
import { PICTURE_COLOURS, type ReportPicture } from './report-views.ts';

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
/** Seconds as m:ss.s from the first sample. */
export function clock(s: number | null): string {
  if (s === null) return '—';
  const m = Math.floor(s / 60);
  return `${m}:${(s - 60 * m).toFixed(1).padStart(4, '0')}`;
}

function measurementCells(r: MeasurementRecord): [string, string] {
  const m = r.measurement;
  switch (m.kind) {
    case 'qlv': return ['QLV', `${m.qlvMs.toFixed(0)} ms`];
    case 'threshold': return ['pacing threshold', `${m.volts.toFixed(1)} V at ${m.pulseWidthMs.toFixed(2)} ms`];
    case 'phrenic': return ['phrenic capture', `${m.captured ? 'CAPTURE' : 'none'} at ${m.volts.toFixed(1)} V${m.pulseWidthMs !== undefined ? ` / ${m.pulseWidthMs.toFixed(2)} ms` : ''}`];
    case 'impedance': return ['impedance', `${m.ohms.toFixed(0)} Ω`];
  }
}

export function reportHtml(model: ReportModel, pictures: readonly ReportPicture[], generatedAt = new Date().toISOString()): string {
  const branch = (id: string | undefined): string => (id ? esc(id.toUpperCase()) : 'proximal to the ostium');
  const final = model.final;
  const lead = model.lead;
  const electrodes = final?.lead?.electrodes ?? [];
  const best = final?.lead?.best;
  const t0Clock = (t: number): string => clock(Math.max(0, t - model.t0));
  const rows = (cells: string[][]): string => cells.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  const accuracy = model.accuracy;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Procedure report ${esc(model.procedureId)}</title>
<style>
@page { size: A4; margin: 14mm 12mm; }
body { font: 10.5pt/1.35 system-ui, "DejaVu Sans", sans-serif; color: #111; margin: 0; }
h1 { font-size: 17pt; margin: 0 0 2mm; } h2 { font-size: 12.5pt; margin: 6mm 0 2mm; border-bottom: 1px solid #bbb; }
.meta { color: #444; } .finding { border: 2px solid #d55e00; color: #8a2b00; font-weight: 700; padding: 3mm; margin: 3mm 0; font-size: 12pt; }
* { box-sizing: border-box; }
table { border-collapse: collapse; width: 100%; page-break-inside: avoid; } td, th { border-bottom: 1px solid #ddd; padding: 1.2mm 2mm; text-align: left; vertical-align: top; }
th { font-size: 9pt; text-transform: uppercase; letter-spacing: 0.04em; color: #555; }
.summary { display: grid; grid-template-columns: repeat(4, 1fr); gap: 3mm; } .summary div { border: 1px solid #ccc; padding: 2mm; } .summary b { display: block; font-size: 13pt; }
.pictures { display: grid; grid-template-columns: 1fr 1fr; gap: 3mm; page-break-inside: avoid; } .pictures svg { width: 100%; height: auto; border: 1px solid #ccc; }
.legend span { display: inline-block; margin-right: 4mm; } .legend i { display: inline-block; width: 8mm; height: 2mm; margin-right: 1.5mm; vertical-align: middle; }
.label { font-size: 8.5pt; color: #555; } .pace { font-weight: 700; }
footer { margin-top: 6mm; font-size: 8.5pt; color: #666; }
</style></head><body>
<h1>CRT lead implant — procedure report</h1>
<div class="meta">Procedure <b>${esc(model.procedureId)}</b> · started ${esc(model.startedAt)} · ${esc(model.source === 'fluoro' ? 'fluoroscopy' : 'electro-anatomic mapping')} feed · twinguide ${esc(model.twinguideVersion)}</div>
${model.finding ? `<div class="finding">${esc(model.finding)}</div>` : ''}
<h2>Twin and lead</h2>
<table><tbody>${rows([
    ['Twin', `${esc(model.twin.id)}: ${esc(model.twin.label)}`],
    ['Target zones', `${model.twin.zones} in the twin (p ≥ ${model.twin.responseThreshold} on accessible vein)${model.exclusions.length > 0 ? `; ${model.zones.length} usable after measurements` : ''}`],
    ['Lead', lead ? `${esc(lead.name)} (${esc(lead.model)}): electrodes at ${lead.electrodeOffsetsMm.map((o) => o.toFixed(0)).join(', ')} mm from the tip, body ${lead.bodyDiameterMm.toFixed(2)} mm<br><span class="label">${esc(lead.source)}</span>` : 'not recorded (the tip alone was guided)'],
  ])}</tbody></table>
<h2>Summary</h2>
<div class="summary">
<div>Duration<b>${clock(model.durationS)}</b></div>
<div>Time in a target zone<b>${model.timeInZoneS.toFixed(1)} s</b></div>
<div>Final guidance<b>${final ? esc(final.zone.text) : '—'}</b></div>
<div>Pace from<b>${best ? `electrode ${best}` : '—'}</b></div>
</div>
${model.viewAdvice ? `<h2>One fluoroscopic view</h2>
<p>The view foreshortened the vein at the tip for <b>${model.viewAdvice.seconds.toFixed(1)} s</b> (${(100 * model.viewAdvice.share).toFixed(1)} % of the time guided in one view): the tip's place along the vein was uncertain then, and the display said so.${model.viewAdvice.suggested.length > 0 ? ` Views suggested that show the vein side-on: ${model.viewAdvice.suggested.slice(0, 4).map((s) => `${esc(s.view)} (${s.seconds.toFixed(1)} s)`).join(', ')}.` : ''}</p>` : ''}
<h2>Timeline</h2>
<table><thead><tr><th>time</th><th>event</th><th>detail</th></tr></thead><tbody>${rows(model.timeline.map((e) => [clock(e.atS), esc(e.what), esc(e.detail ?? '')]))}</tbody></table>
<h2>Final position of each electrode</h2>
${electrodes.length > 0 ? `<table><thead><tr><th>electrode</th><th>from tip</th><th>vein</th><th>arc length</th><th>p (twin)</th><th>zone</th><th>vein accessible</th></tr></thead><tbody>${rows(
    electrodes.map((e) => [
      `${best === e.n ? '<span class="pace">' : ''}E${e.n}${best === e.n ? ' (pace)</span>' : ''}`,
      lead ? `${(lead.electrodeOffsetsMm[e.n - 1] ?? 0).toFixed(0)} mm` : '',
      branch(e.branch),
      e.branch ? `${e.arcLengthMm.toFixed(1)} mm` : '—',
      e.branch ? e.response.toFixed(2) : '—',
      e.zone === 'in' ? `in ${esc(e.zoneId ?? '')}` : e.zone === 'excluded' ? 'ruled out (phrenic)' : e.zone,
      e.accessible ? 'yes' : 'no',
    ]),
  )}</tbody></table>` : final ? `<p>Tip: ${branch(final.tip.branch)} at ${final.tip.arcLengthMm.toFixed(1)} mm, p ${final.response.p.toFixed(2)}, ${esc(final.zone.state)}.</p>` : '<p>No guidance was given.</p>'}
<h2>Measurements</h2>
${model.measurements.length > 0 ? `<table><thead><tr><th>time</th><th>electrode</th><th>measured</th><th>value</th><th>where</th><th>twin there</th></tr></thead><tbody>${rows(
    model.measurements.map((r) => {
      const [what, value] = measurementCells(r);
      const twinThere = [
        r.twinP !== undefined ? `p ${r.twinP.toFixed(2)}` : '',
        r.twinQlvMs !== undefined ? `predicted QLV ${r.twinQlvMs.toFixed(0)} ms` : '',
        r.pWithMeasuredQlv !== undefined ? `<span class="label">p re-run with the measured QLV (not the twin's):</span> ${r.pWithMeasuredQlv.toFixed(2)}` : '',
      ].filter(Boolean).join('<br>');
      return [t0Clock(r.t), `E${r.measurement.electrode}`, what, value, r.at ? `${branch(r.at.branch)} ${r.at.arcLengthMm.toFixed(1)} mm` : 'not placed (no tracked position yet)', twinThere || '—'];
    }),
  )}</tbody></table>` : '<p>No measurements were entered.</p>'}
${model.exclusions.length > 0 ? `<h2>Stretches ruled out</h2><table><thead><tr><th>vein</th><th>from</th><th>to</th><th>why</th></tr></thead><tbody>${rows(model.exclusions.map((x) => [branch(x.branch), `${x.startArcMm.toFixed(1)} mm`, `${x.endArcMm.toFixed(1)} mm`, `phrenic capture at electrode ${x.electrode}, ${x.volts} V`]))}</tbody></table>` : ''}
<h2>Path on the twin</h2>
<div class="legend"><span><i style="background:${PICTURE_COLOURS.path}"></i>tip path</span><span><i style="background:${PICTURE_COLOURS.zone}"></i>target zone</span><span><i style="background:${PICTURE_COLOURS.excluded}"></i>ruled out</span><span><i style="background:${PICTURE_COLOURS.electrode}"></i>electrodes (final)</span><span><i style="background:${PICTURE_COLOURS.measurement}"></i>measurement</span></div>
<div class="pictures">${pictures.map((p) => p.svg).join('\n')}</div>
${accuracy ? `<h2>Accuracy against the simulator's ground truth</h2>
<p class="label">This procedure was recorded by the device simulator, which knows where the tip really was. Scored as <code>twinguide bench accuracy --recording</code> scores it.</p>
<table><tbody>${rows([
    ['samples scored', String(accuracy.samples)],
    ['branch accuracy', accuracy.branchAccuracy.toFixed(4)],
    ['tip error median', `${accuracy.tipErrorMedianMm.toFixed(2)} mm`],
    ['tip error p95', `${accuracy.tipErrorP95Mm.toFixed(2)} mm`],
    ['zone-state agreement', accuracy.zoneAgreement.toFixed(4)],
    ['instruction agreement', accuracy.instructionAgreement.toFixed(4)],
    ['confidently wrong', `${(100 * accuracy.confidentlyWrongRate).toFixed(3)} %`],
  ])}</tbody></table>` : ''}
<footer>Recording: ${model.inputs} inputs, ${model.samples} samples, ${model.guidanceMessages} guidance messages${model.segments > 1 ? `, ${model.segments} segments (the server restarted)` : ''}${model.complete ? '' : ', not closed cleanly (what was on disk is reported)'}. Report generated ${esc(generatedAt)} by twinguide. The twin's p is a model's prediction, not a measurement.</footer>
</body></html>
`;
}

// A measurement in one line, as the panel and the replay page show it: what was measured at which
// electrode, and beside a QLV the twin's own prediction there; p re-run with the measured QLV is
// labelled as such, never shown as the twin's p.

import type { MeasurementRecord } from '../../../protocol/messages.ts';

const f1 = (x: number): string => x.toFixed(1);
const f2 = (x: number): string => x.toFixed(2);

export function measurementText(r: MeasurementRecord): { text: string; detail: string; kind: string } {
  const m = r.measurement;
  const where = r.at ? `${r.at.branch.toUpperCase()} ${r.at.arcLengthMm.toFixed(0)} mm` : 'place unknown';
  const e = `E${m.electrode}`;
  switch (m.kind) {
    case 'qlv': {
      const twin = r.twinQlvMs !== undefined ? `twin predicts ${r.twinQlvMs.toFixed(0)} ms` : 'no twin QLV here';
      const p = r.pWithMeasuredQlv !== undefined && r.twinP !== undefined ? ` · p with measured QLV ${f2(r.pWithMeasuredQlv)} (twin ${f2(r.twinP)})` : '';
      return { kind: m.kind, text: `${e} QLV ${m.qlvMs.toFixed(0)} ms`, detail: `${twin}${p} · ${where}` };
    }
    case 'threshold':
      return { kind: m.kind, text: `${e} threshold ${f1(m.volts)} V @ ${f2(m.pulseWidthMs)} ms`, detail: where };
    case 'phrenic':
      return m.captured
        ? { kind: m.kind, text: `${e} PHRENIC CAPTURE at ${f1(m.volts)} V`, detail: `stretch ruled out · ${where}` }
        : { kind: 'phrenic-none', text: `${e} no phrenic capture at ${f1(m.volts)} V`, detail: where };
    case 'impedance':
      return { kind: m.kind, text: `${e} impedance ${m.ohms.toFixed(0)} Ω`, detail: where };
  }
}

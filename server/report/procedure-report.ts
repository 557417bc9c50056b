// A procedure report from its recording: the model, the pictures, then HTML or (through headless
// Chromium) PDF. Used by GET /api/procedures/:id/report, GET /api/recordings/:id/report and
// `twinguide report`.

import { rotationOf } from '../pipeline/carm-views.ts';
import type { Recording } from '../recording/procedure-recording.ts';
import type { Twin } from '../twin/twin.ts';
import { reportHtml } from './report-html.ts';
import { buildReport, type ReportAccuracy, type ReportModel } from './report-model.ts';
import { reportPdf } from './report-pdf.ts';
import { reportPictures } from './report-views.ts';

export type ReportFormat = 'html' | 'pdf';

export async function writeReport(recording: Recording, twin: Twin, format: ReportFormat, accuracy: ReportAccuracy | null = null): Promise<{ model: ReportModel; body: string | Buffer; contentType: string }> {
  const model = buildReport(recording, twin, accuracy);
  // A fluoro procedure's views are the C-arm's: turned into the twin by its registration (EAM: the twin's own frame).
  let registration: readonly number[] | undefined;
  for (const i of recording.inputs) if (i.kind === 'registration') registration = i.registration.matrix;
  const rotation = recording.meta.source === 'fluoro' ? rotationOf(registration) : null;
  const html = reportHtml(model, reportPictures(model, twin, rotation));
  if (format === 'html') return { model, body: html, contentType: 'text/html; charset=utf-8' };
  return { model, body: await reportPdf(html), contentType: 'application/pdf' };
}

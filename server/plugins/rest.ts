// REST API (DESIGN.md): twins, procedures, registration, recordings. Bodies and parameters are
// checked against the protocol's schemas; errors carry the stable codes of protocol/errors.ts.

import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import { CreateProcedureRequest, ID_PATTERN, LeadSpec, MeasurementRequest, RegistrationRequest, TwinguideError, type CreateProcedureRequest as CreateBody, type LeadSpec as LeadBody, type MeasurementRequest as MeasurementBody, type RegistrationRequest as RegistrationBody } from '../../protocol/index.ts';
import { LEAD_CATALOGUE } from '../lead/lead-catalogue.ts';
import { registrationInfo } from '../pipeline/registration.ts';
import { ReplaySource } from '../procedures/feed-source.ts';
import { loadRecording } from '../recording/procedure-recording.ts';
import { writeReport } from '../report/procedure-report.ts';
import type { ProcedureRegistry } from '../procedures/procedure-registry.ts';
import type { TwinStore } from '../procedures/twin-store.ts';
import { summariseTwin } from '../twin/twin-summary.ts';

const IdParams = Type.Object({ id: Type.String({ pattern: ID_PATTERN }) }, { additionalProperties: false });
type IdParams = { id: string };

export function restRoutes(app: FastifyInstance, twins: TwinStore, procedures: ProcedureRegistry, recordingsDir: string | null): void {
  app.get('/api/twins', async () =>
    twins.list().map((t) => {
      const s = summariseTwin(t);
      return { id: s.id, label: s.label, created: s.created, branches: s.counts.branches, sites: s.counts.sites, targetZones: s.counts.targetZones, noAccessibleResponderSite: s.noAccessibleResponderSite };
    }),
  );

  app.get<{ Params: IdParams }>('/api/twins/:id', { schema: { params: IdParams } }, async (request) => summariseTwin(twins.get(request.params.id)));

  /** The bundle itself, for displays that draw the twin. */
  app.get<{ Params: IdParams }>('/api/twins/:id/bundle', { schema: { params: IdParams } }, async (request, reply) => {
    const file = twins.file(request.params.id);
    return reply.type('application/json').send(createReadStream(file));
  });

  app.post<{ Body: CreateBody }>('/api/procedures', { schema: { body: CreateProcedureRequest } }, async (request, reply) => {
    const { id, ...body } = request.body;
    if (id && procedures.cluster && (await procedures.cluster.directory()).some((d) => d.id === id)) throw new TwinguideError('TG_ERR_BAD_REQUEST', `procedure '${id}' exists`);
    const procedure = procedures.create(body, id);
    return reply.code(201).send(procedure.info());
  });

  app.get('/api/procedures', async () => {
    const here = procedures.list().map((p) => p.info());
    // One of several instances: the others' procedures too (GET /api/procedures/:id is answered by their owner).
    const elsewhere = procedures.cluster ? (await procedures.cluster.directory()).filter((d) => !procedures.has(d.id)).map((d) => ({ ...d, remote: true })) : [];
    return [...here, ...elsewhere];
  });

  app.get<{ Params: IdParams }>('/api/procedures/:id', { schema: { params: IdParams } }, async (request) => {
    const p = procedures.get(request.params.id);
    return { ...p.info(), snapshot: p.snapshot() };
  });

  app.delete<{ Params: IdParams }>('/api/procedures/:id', { schema: { params: IdParams } }, async (request) => procedures.end(request.params.id).info());

  app.post<{ Params: IdParams; Body: RegistrationBody }>('/api/procedures/:id/registration', { schema: { params: IdParams, body: RegistrationRequest } }, async (request) => {
    const registration = procedures.get(request.params.id).register(request.body);
    const info = registrationInfo(registration);
    return { state: info.state, transform: info.transform ?? null, rmsMm: info.rmsMm ?? null, treMm: info.treMm ?? null };
  });

  app.get('/api/leads', async () => LEAD_CATALOGUE);

  /** Change the procedure's lead (a different lead taken from the shelf). */
  app.put<{ Params: IdParams; Body: LeadBody }>('/api/procedures/:id/lead', { schema: { params: IdParams, body: LeadSpec } }, async (request) => procedures.get(request.params.id).setLead(request.body));

  /** A measurement entered at a console (QLV, threshold, phrenic capture, impedance) at an electrode. */
  app.post<{ Params: IdParams; Body: MeasurementBody }>('/api/procedures/:id/measurements', { schema: { params: IdParams, body: MeasurementRequest } }, async (request, reply) => {
    const procedure = procedures.get(request.params.id);
    const before = procedure.measurements.length;
    procedure.measure(request.body);
    // The pipeline places it at once unless a model run is in flight; then it follows in order.
    return reply.code(202).send({ accepted: true, measurements: before + 1 });
  });

  app.get<{ Params: IdParams }>('/api/procedures/:id/measurements', { schema: { params: IdParams } }, async (request) => {
    const p = procedures.get(request.params.id);
    return { lead: p.lead, measurements: p.measurements, exclusions: p.snapshot().exclusions ?? [] };
  });

  /** The procedure report (HTML, or ?format=pdf printed by headless Chromium), from what its recording holds so far. */
  const ReportQuery = Type.Object({ format: Type.Optional(Type.Union([Type.Literal('html'), Type.Literal('pdf')])) }, { additionalProperties: false });
  const sendReport = async (reply: FastifyReply, file: string, format: 'html' | 'pdf' = 'html') => {
    const recording = await loadRecording(file);
    const { body, contentType } = await writeReport(recording, twins.get(recording.meta.twinId), format);
    return reply.type(contentType).header('content-disposition', `inline; filename="${recording.meta.procedureId}-report.${format}"`).send(body);
  };
  app.get<{ Params: IdParams; Querystring: { format?: 'html' | 'pdf' } }>('/api/procedures/:id/report', { schema: { params: IdParams, querystring: ReportQuery } }, async (request, reply) => {
    const procedure = procedures.get(request.params.id);
    const recorder = procedure.recorder;
    if (!recorder) throw new TwinguideError('TG_ERR_REPORT', `procedure '${procedure.id}' is not recorded (${procedure.unrecordedBecause ?? 'no recordings directory'}): there is nothing to report from`);
    recorder.flush(); // everything so far onto disk, then read as a replay would
    return sendReport(reply, recorder.path, request.query.format);
  });
  app.get<{ Params: IdParams; Querystring: { format?: 'html' | 'pdf' } }>('/api/recordings/:id/report', { schema: { params: IdParams, querystring: ReportQuery } }, async (request, reply) => {
    const file = recordingsDir ? join(recordingsDir, `${request.params.id}.mcap`) : null;
    if (!file || !existsSync(file)) throw new TwinguideError('TG_ERR_NOT_FOUND', `no recording '${request.params.id}'`);
    return sendReport(reply, file, request.query.format);
  });

  /** Replay a recording into a fresh procedure (on the twin it ran on), at a speed, for the displays. */
  const ReplayBody = Type.Object({ recordingId: Type.String({ pattern: ID_PATTERN }), speed: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1000 })) }, { additionalProperties: false });
  app.post<{ Body: { recordingId: string; speed?: number } }>('/api/replays', { schema: { body: ReplayBody } }, async (request, reply) => {
    const file = recordingsDir ? join(recordingsDir, `${request.body.recordingId}.mcap`) : null;
    if (!file || !existsSync(file)) throw new TwinguideError('TG_ERR_NOT_FOUND', `no recording '${request.body.recordingId}'`);
    const recording = await loadRecording(file);
    const procedure = procedures.create({ twinId: recording.meta.twinId, source: recording.meta.source === 'fluoro' ? 'fluoro' : 'eam' });
    const source = new ReplaySource(recording, request.body.speed ?? 1);
    procedure.feeder = source;
    source.start(procedure);
    return reply.code(201).send({ ...procedure.info(), replayOf: request.body.recordingId, speed: request.body.speed ?? 1, inputs: recording.inputs.length });
  });

  app.get('/api/recordings', async () => {
    if (!recordingsDir || !existsSync(recordingsDir)) return [];
    return readdirSync(recordingsDir)
      .filter((f) => f.endsWith('.mcap'))
      .sort()
      .map((f) => ({ id: f.slice(0, -'.mcap'.length), bytes: statSync(join(recordingsDir, f)).size }));
  });

  app.get<{ Params: IdParams }>('/api/recordings/:id', { schema: { params: IdParams } }, async (request, reply) => {
    // The id is checked against the pattern above, so it cannot leave the recordings directory.
    const file = recordingsDir ? join(recordingsDir, `${request.params.id}.mcap`) : null;
    if (!file || !existsSync(file)) throw new TwinguideError('TG_ERR_NOT_FOUND', `no recording '${request.params.id}'`);
    return reply.type('application/octet-stream').header('content-disposition', `attachment; filename="${request.params.id}.mcap"`).send(createReadStream(file));
  });
}

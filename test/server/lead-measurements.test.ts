// The lead and the lab's measurements through the real server: a lead named at creation and
// changed later, measurements over the WebSocket feed and over REST, bad values refused with their
// code while the feed and the guidance carry on, displays told (and late joiners shown in the
// snapshot), and the recording replaying byte for byte with the measurements in it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage, type DisplayMessage, type FeedMessage, type Guidance, type MeasurementMessage, type Snapshot, type ZonesMessage } from '../../protocol/index.ts';
import { loadRecording } from '../../server/recording/procedure-recording.ts';
import { replayRecording } from '../../server/recording/replay.ts';
import { placeOnBranch, route } from '../../simulators/device/tree-route.ts';
import { pause, startLiveServer, type LiveServer } from '../helpers/live-server.ts';

let live: LiveServer;
beforeAll(async () => { live = await startLiveServer(); });
afterAll(() => live.close());

describe('lead and measurements through the server', () => {
  it('named, measured, refused, shown, kept and replayed', async () => {
    const app = live.server.app;
    expect(JSON.parse((await app.inject('/api/leads')).body).map((l: { model: string }) => l.model)).toContain('generic-quadripolar');
    const refused = await app.inject({ method: 'POST', url: '/api/procedures', payload: { twinId: 'demo', source: 'eam', lead: { model: 'no-such-lead' } } });
    expect(refused.statusCode).toBe(422);
    expect(JSON.parse(refused.body).code).toBe('TG_ERR_LEAD');

    const created = await app.inject({ method: 'POST', url: '/api/procedures', payload: { twinId: 'demo', source: 'eam', lead: { model: 'custom', name: 'Test lead', electrodeOffsetsMm: [0, 12, 24] } } });
    expect(created.statusCode).toBe(201);
    const { id } = JSON.parse(created.body) as { id: string };
    await app.inject({ method: 'POST', url: `/api/procedures/${id}/registration`, payload: { method: 'identity' } });

    const seen: DisplayMessage[] = [];
    const display = await live.open(`${live.ws}/ws/display?procedure=${id}`, (m) => seen.push(m));
    const replies: DisplayMessage[] = [];
    const feed = await live.open(`${live.ws}/ws/feed?procedure=${id}`, (m) => replies.push(m));
    await pause(100);
    const snapshot = seen.find((m): m is Snapshot => m.type === 'snapshot')!;
    expect(snapshot.lead).toMatchObject({ model: 'custom', name: 'Test lead', electrodeOffsetsMm: [0, 12, 24] });

    // Into the middle of the posterolateral zone at 10 mm/s, then held there.
    const twin = live.server.twins.get('demo');
    const zone = twin.zones.find((z) => z.branchId === 'plv')!;
    const path = route(twin, placeOnBranch(twin, 'cs', 2), placeOnBranch(twin, 'plv', (zone.startArcMm + zone.endArcMm) / 2), 0.1);
    let seq = 0;
    const send = (m: FeedMessage): void => feed.send(encodeMessage(m));
    const tip = (p: { x: number; y: number; z: number }): void => { send({ type: 'tip', seq, t: seq * 0.01, p: [p.x, p.y, p.z] }); seq++; };
    for (const p of path) tip(p);
    const end = path.at(-1)!;
    for (let k = 0; k < 300; k++) tip(end);
    // A value no lab measures: refused with its code; the connection and the guidance carry on.
    send({ type: 'measurement', t: seq * 0.01, electrode: 1, kind: 'qlv', qlvMs: 900 });
    send({ type: 'measurement', t: seq * 0.01, electrode: 5, kind: 'impedance', ohms: 600 });
    send({ type: 'measurement', t: seq * 0.01, electrode: 1, kind: 'phrenic', captured: true, volts: 4, pulseWidthMs: 0.5 });
    for (let k = 0; k < 300; k++) tip(end);
    await pause(500);
    const console = await app.inject({ method: 'POST', url: `/api/procedures/${id}/measurements`, payload: { type: 'measurement', electrode: 2, kind: 'qlv', qlvMs: 135, ref: 'console-1' } });
    expect(console.statusCode).toBe(202);
    const bad = await app.inject({ method: 'POST', url: `/api/procedures/${id}/measurements`, payload: { type: 'measurement', electrode: 2, kind: 'threshold', volts: 40, pulseWidthMs: 0.5 } });
    expect(bad.statusCode).toBe(422);
    expect(JSON.parse(bad.body).code).toBe('TG_ERR_MEASUREMENT');
    const changed = await app.inject({ method: 'PUT', url: `/api/procedures/${id}/lead`, payload: { model: 'generic-quadripolar' } });
    expect(changed.statusCode).toBe(200);
    for (let k = 0; k < 100; k++) tip(end);
    await pause(500);

    expect(replies.filter((m) => m.type === 'error').map((m) => m.type === 'error' && m.code)).toEqual(['TG_ERR_MEASUREMENT', 'TG_ERR_MEASUREMENT']);
    const info = await live.info(id);
    // Out of range is refused at the edge (the server's count); an electrode the lead lacks and the console's by the procedure.
    expect(info.refused['TG_ERR_MEASUREMENT']).toBe(2);
    expect(await live.metrics()).toMatch(/TG_ERR_MEASUREMENT"?\}? [1-9]/);
    const listed = JSON.parse((await app.inject(`/api/procedures/${id}/measurements`)).body) as { measurements: MeasurementMessage['record'][]; exclusions: ZonesMessage['exclusions'] };
    expect(listed.measurements.map((r) => r.measurement.kind)).toEqual(['phrenic', 'qlv']);
    expect(listed.measurements[1]!.measurement.ref).toBe('console-1');
    expect(listed.measurements[1]!.at!.branch).toBe('plv');
    expect(listed.measurements[1]!.twinQlvMs).toBeGreaterThan(0);
    expect(listed.measurements[1]!.pWithMeasuredQlv).toBeGreaterThan(0);
    expect(listed.exclusions).toHaveLength(1);

    // The displays were told: the measurements, the cut zone, the new lead, and electrodes in every guidance.
    expect(seen.filter((m) => m.type === 'measurement')).toHaveLength(2);
    const zones = seen.find((m): m is ZonesMessage => m.type === 'zones')!;
    expect(zones.zones.filter((z) => z.branch === 'plv').map((z) => z.id)).toEqual([`${zone.id}a`, `${zone.id}b`]);
    expect(seen.some((m) => m.type === 'lead' && m.lead.model === 'generic-quadripolar')).toBe(true);
    const guidance = seen.filter((m): m is Guidance => m.type === 'guidance');
    expect(guidance.at(-1)!.lead!.electrodes).toHaveLength(4);
    expect(guidance.some((g) => g.lead?.electrodes.length === 3)).toBe(true);

    // A display joining now sees it all at once.
    const late: DisplayMessage[] = [];
    const second = await live.open(`${live.ws}/ws/display?procedure=${id}`, (m) => late.push(m));
    await pause(100);
    const lateSnapshot = late.find((m): m is Snapshot => m.type === 'snapshot')!;
    expect(lateSnapshot.lead!.model).toBe('generic-quadripolar');
    expect(lateSnapshot.measurements).toHaveLength(2);
    expect(lateSnapshot.exclusions).toHaveLength(1);
    expect(lateSnapshot.zones.map((z) => z.id)).toEqual(zones.zones.map((z) => z.id));

    second.close();
    display.close();
    feed.close();
    const ended = JSON.parse((await app.inject({ method: 'DELETE', url: `/api/procedures/${id}` })).body) as { recording: string };
    const recording = await loadRecording(ended.recording);
    expect(recording.inputs.filter((i) => i.kind === 'measurement')).toHaveLength(2);
    expect(recording.inputs.filter((i) => i.kind === 'lead')).toHaveLength(2);
    const replay = await replayRecording(twin, recording);
    expect(replay.identical).toBe(true);
    expect(replay.compared).toBe(recording.outputs.length);
  });
});

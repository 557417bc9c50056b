// A backed-up display is skipped without slowing anyone or growing memory, and is not left behind:
// once it drains it gets the newest status and guidance, so it never shows "live" after a loss.
import { afterEach, expect, it, vi } from 'vitest';
import { DEFAULT_LIMITS, type DisplayMessage, type Guidance, type StatusMessage } from '../../protocol/index.ts';
import { InProcessBroadcaster } from '../../server/broadcast.ts';
import { DisplaySession } from '../../server/plugins/display-session.ts';
import { ServerMetrics } from '../../server/plugins/metrics.ts';
import type { Procedure } from '../../server/procedures/procedure.ts';
import { SAMPLE_GUIDANCE } from '../helpers/arbitraries.ts';

afterEach(() => vi.useRealTimers());

const guidance = (seq: number): Guidance => ({ ...SAMPLE_GUIDANCE, seq, t: seq / 100 });
const status = (state: 'live' | 'stale' | 'lost'): StatusMessage => ({ type: 'status', procedureId: 'p1', feed: { state, rateHz: 0 }, registration: { state: 'landmarks' } });

function setUp() {
  vi.useFakeTimers();
  const broadcaster = new InProcessBroadcaster();
  const metrics = new ServerMetrics(() => ({ list: () => [] }) as never);
  const procedure = { id: 'p1', snapshot: () => ({ type: 'snapshot' }), receivedAt: () => undefined } as unknown as Procedure;
  const sent: DisplayMessage[] = [];
  const transport = { backedUp: false, send: (m: DisplayMessage) => sent.push(m) };
  const session = new DisplaySession(procedure, broadcaster, DEFAULT_LIMITS, { send: (m) => transport.send(m), backedUp: () => transport.backedUp }, metrics);
  const dropped = async (): Promise<number> => (await metrics.registry.getSingleMetric('twinguide_display_frames_dropped_total')!.get()).values[0]?.value ?? 0;
  return { broadcaster, sent, transport, session, dropped };
}

/** Guidance seq from..to into the procedure, one every `everyMs` (a steady feed). */
function publishSteady(broadcaster: InProcessBroadcaster, from: number, to: number, everyMs: number): void {
  for (let seq = from; seq <= to; seq++) {
    broadcaster.publish('p1', guidance(seq));
    vi.advanceTimersByTime(everyMs);
  }
}

it('holds only the newest guidance and status while backed up, and sends them in order once it drains', async () => {
  const { broadcaster, sent, transport, session, dropped } = setUp();
  expect(sent.map((m) => m.type)).toEqual(['snapshot']);
  transport.backedUp = true;
  publishSteady(broadcaster, 1, 500, 10);
  broadcaster.publish('p1', status('stale'));
  broadcaster.publish('p1', status('lost'));
  vi.advanceTimersByTime(200);
  expect(sent).toHaveLength(1); // nothing while backed up
  expect(await dropped()).toBeGreaterThan(250); // ~60 Hz of the 100 Hz reach the session after the throttle; all but the last were superseded
  transport.backedUp = false;
  vi.advanceTimersByTime(60);
  const after = sent.slice(1);
  expect(after.map((m) => m.type)).toEqual(['guidance', 'status']);
  expect((after[0] as Guidance).seq).toBe(500);
  expect((after[1] as StatusMessage).feed.state).toBe('lost');
  // Live again: guidance flows at once.
  vi.advanceTimersByTime(100);
  broadcaster.publish('p1', guidance(501));
  expect((sent.at(-1) as Guidance).seq).toBe(501);
  session.close();
});

it('keeps at most a few events for a backed-up display, and leaves no timer behind on close', () => {
  const { broadcaster, sent, transport, session } = setUp();
  transport.backedUp = true;
  for (let k = 0; k < 100; k++) broadcaster.publish('p1', { type: 'event', procedureId: 'p1', kind: 'test', message: `event ${k}` });
  transport.backedUp = false;
  vi.advanceTimersByTime(60);
  const events = sent.filter((m) => m.type === 'event');
  expect(events.length).toBeLessThanOrEqual(8);
  expect(events.at(-1)).toMatchObject({ message: 'event 99' });
  transport.backedUp = true;
  broadcaster.publish('p1', status('lost'));
  session.close();
  expect(vi.getTimerCount()).toBe(0);
});

it('sends a throttled guidance before a later status, never after it (a late "live" must not undo "lost")', () => {
  const { broadcaster, sent, session } = setUp();
  // The default 60 Hz display takes a tenth of a second's frames back to back (6); the 7th is held.
  for (let seq = 1; seq <= 7; seq++) broadcaster.publish('p1', guidance(seq));
  expect(sent.filter((m) => m.type === 'guidance')).toHaveLength(6);
  broadcaster.publish('p1', status('lost'));
  vi.advanceTimersByTime(100);
  expect(sent.slice(1).map((m) => (m.type === 'guidance' ? `g${m.seq}` : m.type === 'status' ? m.feed.state : m.type))).toEqual(['g1', 'g2', 'g3', 'g4', 'g5', 'g6', 'g7', 'lost']);
  session.close();
});

it('sends guidance a hiccup upstream held up at once, not one display interval after another', () => {
  const { broadcaster, sent, session } = setUp();
  // 50 Hz for a second into the 60 Hz display, then nothing for 80 ms and the next 5 samples at
  // once (a busy server, or a feed that sent what it had queued).
  publishSteady(broadcaster, 1, 50, 20);
  vi.advanceTimersByTime(80);
  const before = sent.length;
  for (let seq = 51; seq <= 55; seq++) broadcaster.publish('p1', guidance(seq));
  expect(sent.slice(before).map((m) => (m as Guidance).seq)).toEqual([51, 52, 53, 54, 55]);
  session.close();
});

it('keeps a display at its rate on average (latest wins), letting a jittered 100 Hz feed through without holds below the rate', () => {
  const { broadcaster, sent, session } = setUp();
  // 100 Hz for 2 s into a 60 Hz display: about 120 frames (and the first tenth of a second's
  // burst), the newest always among them.
  publishSteady(broadcaster, 1, 200, 10);
  vi.advanceTimersByTime(100);
  const frames = sent.filter((m): m is Guidance => m.type === 'guidance');
  expect(frames.length).toBeLessThanOrEqual(2 * DEFAULT_LIMITS.displayMaxHz + 0.1 * DEFAULT_LIMITS.displayMaxHz + 1);
  expect(frames.length).toBeGreaterThanOrEqual(2 * DEFAULT_LIMITS.displayMaxHz - 2);
  expect(frames.at(-1)!.seq).toBe(200);
  session.close();
  // 50 Hz with ±4 ms jitter into the same display: every frame goes out at once, none held.
  const second = setUp();
  let sentAtOnce = 0;
  for (let seq = 1; seq <= 100; seq++) {
    const before = second.sent.length;
    second.broadcaster.publish('p1', guidance(seq));
    if (second.sent.length > before) sentAtOnce++;
    vi.advanceTimersByTime(seq % 2 === 0 ? 16 : 24);
  }
  expect(sentAtOnce).toBe(100);
  second.session.close();
});

// The engineer's replay page at /replay[?recording=ID][&token=…]: pick a recording, play, pause,
// change speed, scrub the timeline (zone entries marked); the same scene and panel as the display,
// fed from the recorded display messages at their recorded times.

import '../styles/display.css';
import type { Snapshot, TargetZoneInfo } from '../../../protocol/messages.ts';
import { GuidanceView } from '../display/guidance-view.ts';
import { mountLayout } from '../display/layout.ts';
import { indexAt, readTimeline, type RecordingTimeline } from './recording-timeline.ts';

const params = new URLSearchParams(location.search);
const token = params.get('token');
const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};

document.body.classList.add('replay');
const ui = mountLayout(document.body);
const controls = document.createElement('div');
controls.id = 'replay-controls';
controls.innerHTML = `
  <select id="recording" aria-label="recording"><option value="">recording…</option></select>
  <button type="button" id="play" disabled>▶ PLAY</button>
  <select id="speed" aria-label="speed">${[0.25, 0.5, 1, 2, 5, 10, 50].map((s) => `<option value="${s}"${s === 1 ? ' selected' : ''}>${s}×</option>`).join('')}</select>
  <div id="timeline"><input id="scrub" type="range" min="0" max="0" step="1" value="0" aria-label="time" disabled></div>
  <span id="clock">0.0 / 0.0 s</span>`;
document.body.appendChild(controls);
ui.instruction.textContent = 'PICK A RECORDING';
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const picker = $<HTMLSelectElement>('recording');
const playButton = $<HTMLButtonElement>('play');
const speedPicker = $<HTMLSelectElement>('speed');
const scrub = $<HTMLInputElement>('scrub');
const clock = $<HTMLSpanElement>('clock');
const timelineBox = $<HTMLDivElement>('timeline');

let view: GuidanceView | null = null;
let timeline: RecordingTimeline | null = null;
let snapshot: Snapshot | null = null;
let nowMs = 0;
let applied = -1;
let playing = false;
let lastFrame = 0;

async function json<T>(url: string): Promise<T> {
  const r = await fetch(url, { headers });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return (await r.json()) as T;
}

async function listRecordings(): Promise<void> {
  const list = await json<{ id: string; bytes: number }[]>('/api/recordings');
  for (const r of list) picker.add(new Option(`${r.id} (${(r.bytes / 1024).toFixed(0)} KiB)`, r.id));
  const wanted = params.get('recording');
  if (wanted && list.some((r) => r.id === wanted)) {
    picker.value = wanted;
    await open(wanted);
  }
}

async function open(id: string): Promise<void> {
  pause();
  // A resumed procedure's recording is several segments, each naming the one before: read them all.
  const segments: Uint8Array[] = [];
  for (let name: string | undefined = id; name && segments.length < 64; ) {
    const response: Response = await fetch(`/api/recordings/${encodeURIComponent(name)}`, { headers });
    if (!response.ok) throw new Error(`recording ${name}: HTTP ${response.status}`);
    const bytes: Uint8Array = new Uint8Array(await response.arrayBuffer());
    segments.unshift(bytes);
    name = readTimeline(bytes).meta.previousSegment?.replace(/\.mcap$/, '');
  }
  timeline = readTimeline(segments);
  const twin = await json<{ targetZones: { id: string; branch: string; startArcMm: number; endArcMm: number; peakP: number; sites: string[] }[] }>(`/api/twins/${encodeURIComponent(timeline.meta.twinId)}`);
  const zones: TargetZoneInfo[] = twin.targetZones.map((z) => ({ id: z.id, branch: z.branch, startArcMm: z.startArcMm, endArcMm: z.endArcMm, peakP: z.peakP, siteIds: z.sites }));
  // The recording holds what the displays were sent after joining; the snapshot they got on joining is rebuilt here.
  snapshot = {
    type: 'snapshot',
    procedureId: timeline.meta.procedureId,
    twinId: timeline.meta.twinId,
    source: timeline.meta.source === 'fluoro' ? 'fluoro' : 'eam',
    registration: timeline.transform ? { state: 'landmarks', transform: timeline.transform } : { state: 'none' },
    zones,
    guidance: null,
    feed: { state: 'lost', rateHz: 0 },
  };
  view ??= new GuidanceView(ui, { procedure: `${timeline.meta.procedureId} (REPLAY)`, token, field: 'ts' });
  view.setLink('open');
  scrub.max = String(Math.ceil(timeline.durationMs));
  scrub.disabled = false;
  playButton.disabled = false;
  for (const mark of timelineBox.querySelectorAll('.entry')) mark.remove();
  for (const at of timeline.zoneEntriesMs) {
    const mark = document.createElement('i');
    mark.className = 'entry';
    mark.title = `zone entry at ${(at / 1000).toFixed(1)} s`;
    mark.style.left = `${(100 * at) / Math.max(1, timeline.durationMs)}%`;
    timelineBox.appendChild(mark);
  }
  if (!timeline.complete) ui.procedure.title = 'this recording was cut short (no summary); everything up to the tear is shown';
  seek(0);
}

/** Rebuild the display state at a time: the snapshot, then the newest guidance and status before it. */
function seek(atMs: number): void {
  if (!timeline || !snapshot || !view) return;
  nowMs = Math.min(Math.max(0, atMs), timeline.durationMs);
  const upto = indexAt(timeline.messages, nowMs);
  view.apply(snapshot);
  // What stays once said: the measurements taken so far and the zones they left.
  for (let i = 0; i <= upto; i++) {
    const t = timeline.messages[i]!.message.type;
    if (t === 'measurement' || t === 'zones' || t === 'lead') view.apply(timeline.messages[i]!.message);
  }
  let lastGuidance = -1;
  let lastStatus = -1;
  for (let i = upto; i >= 0 && (lastGuidance < 0 || lastStatus < 0); i--) {
    const t = timeline.messages[i]!.message.type;
    if (t === 'guidance' && lastGuidance < 0) lastGuidance = i;
    if (t === 'status' && lastStatus < 0) lastStatus = i;
  }
  // Redraw a short trail: the guidance of the last ~1.5 s.
  for (let i = Math.max(0, upto - 400); i <= upto; i++) {
    const m = timeline.messages[i]!;
    if (m.message.type === 'guidance' && m.atMs >= nowMs - 1500) view.apply(m.message);
  }
  if (lastStatus > lastGuidance && lastStatus >= 0) view.apply(timeline.messages[lastStatus]!.message);
  applied = upto;
  followView();
  showClock();
}

function followView(): void {
  if (!timeline || !view || timeline.views.length === 0) return;
  let k = -1;
  for (let i = 0; i < timeline.views.length && timeline.views[i]!.atMs <= nowMs; i++) k = i;
  const v = timeline.views[Math.max(0, k)]!;
  view.followCarm({ alpha: v.alpha, beta: v.beta });
}

function showClock(): void {
  scrub.value = String(Math.round(nowMs));
  clock.textContent = `${(nowMs / 1000).toFixed(1)} / ${((timeline?.durationMs ?? 0) / 1000).toFixed(1)} s`;
}

function frame(now: number): void {
  if (!playing || !timeline || !view) return;
  const speed = Number(speedPicker.value);
  nowMs = Math.min(timeline.durationMs, nowMs + (now - lastFrame) * speed);
  lastFrame = now;
  const upto = indexAt(timeline.messages, nowMs);
  for (let i = applied + 1; i <= upto; i++) view.apply(timeline.messages[i]!.message);
  applied = upto;
  followView();
  showClock();
  if (nowMs >= timeline.durationMs) return pause();
  requestAnimationFrame(frame);
}

function play(): void {
  if (!timeline) return;
  if (nowMs >= timeline.durationMs) seek(0);
  playing = true;
  playButton.textContent = '❚❚ PAUSE';
  lastFrame = performance.now();
  requestAnimationFrame(frame);
}

function pause(): void {
  playing = false;
  playButton.textContent = '▶ PLAY';
}

picker.addEventListener('change', () => void (picker.value ? open(picker.value) : undefined));
playButton.addEventListener('click', () => (playing ? pause() : play()));
scrub.addEventListener('input', () => seek(Number(scrub.value)));
void listRecordings();

Object.assign(window, { twinguideReplay: { get timeline() { return timeline; }, get nowMs() { return nowMs; }, get playing() { return playing; }, get view() { return view; }, play, pause, seek } });

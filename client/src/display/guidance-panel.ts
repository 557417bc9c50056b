// What the panel and banner say, from the display state. The rule the physician relies on: the
// last guidance stays visible but greyed, under a dominant banner, whenever the feed is not live,
// the link to the server is down, updates stopped arriving, or registration/tracking is poor.

import type { FeedState, Guidance, MeasurementRecord, RegistrationStatus } from '../../../protocol/messages.ts';
import { viewName } from '../../../protocol/views.ts';
import { staleAfterS } from '../../../protocol/feed-timing.ts';
import { DEFAULT_LIMITS } from '../../../protocol/limits.ts';
import { cividisCss } from '../common/colours.ts';
import { measurementText } from '../common/measurement-text.ts';
import type { Layout } from './layout.ts';

export interface DisplayState {
  link: 'connecting' | 'open' | 'closed';
  feed: FeedState;
  rateHz: number;
  registration: RegistrationStatus | null;
  guidance: Guidance | null;
  /** No message while the feed claimed to be live, for longer than the watchdog allows. */
  silent: boolean;
  branchNames: Record<string, string>;
  procedure: string;
  twinId: string;
  /** Half the round trip to the server, ms (null until measured). */
  linkMs: number | null;
  /** The server said this procedure's guidance failed (why), or null. */
  failed: string | null;
  /** Measurements taken in this procedure, oldest first. */
  measurements: MeasurementRecord[];
  /** One of several servers: this one lost the link to the one guiding this procedure. */
  clusterDown?: boolean;
}

/** The newest measurements the panel lists. */
const SHOWN_MEASUREMENTS = 4;
const ELECTRODE_ZONE: Record<string, string> = { in: 'in zone', outside: 'outside', excluded: 'ruled out', proximal: 'in RA' };

export const ZONE_TEXT: Record<string, string> = { in: 'IN ZONE', approaching: 'APPROACHING', outside: 'OUTSIDE', 'none-accessible': 'NONE ACCESSIBLE' };

export type BannerKind = '' | 'stale' | 'lost' | 'low' | 'silent';

export function banner(s: DisplayState): { kind: BannerKind; text: string } {
  if (s.link !== 'open') return { kind: 'lost', text: s.link === 'connecting' ? 'CONNECTING TO SERVER — NO LIVE GUIDANCE' : 'SERVER CONNECTION LOST — NO LIVE GUIDANCE' };
  if (s.failed) return { kind: 'lost', text: 'GUIDANCE FAILED FOR THIS PROCEDURE — NO LIVE GUIDANCE' };
  if (s.clusterDown) return { kind: 'lost', text: 'LINK TO THE GUIDING SERVER LOST — NO LIVE GUIDANCE' };
  if (s.feed === 'lost') return { kind: 'lost', text: 'FEED LOST — NO LIVE GUIDANCE' };
  if (s.feed === 'stale') return { kind: 'stale', text: 'FEED STALE — GUIDANCE ON HOLD' };
  if (s.silent) return { kind: 'silent', text: 'NO UPDATES FROM SERVER — GUIDANCE ON HOLD' };
  const g = s.guidance;
  if (s.registration?.state === 'none') return { kind: 'low', text: 'NOT REGISTERED — REGISTER BEFORE GUIDING' };
  if (g && g.zone.instruction === 'none' && g.zone.state !== 'none-accessible') return { kind: 'low', text: g.zone.text.includes('REGISTRATION') ? 'LOW CONFIDENCE — CHECK REGISTRATION' : 'LOW CONFIDENCE — TIP POSITION UNCERTAIN' };
  return { kind: '', text: '' };
}

/** Whether the guidance on screen is live (not greyed). */
/**
 * With the feed live, this long without any message means the server or the link stalled (or the
 * instance that owned the procedure died and another is taking it over): a live server says the
 * feed is stale after 250 ms without a sample, so 250 ms more is the link's grace. (It was 1.5 s:
 * across a takeover the display then showed the last guidance as live for the whole gap.)
 */
export const WATCHDOG_MS = 500;

/**
 * The watchdog for a feed at this rate: a slow feed (fluoroscopy at a few frames/s) brings guidance
 * only that often, and the server calls it stale later (protocol/feed-timing.ts, the same rule at
 * the default floor): WATCHDOG_MS, longer by as much as the server's stale time is.
 */
export function watchdogMs(rateHz: number): number {
  const floorS = DEFAULT_LIMITS.feedStaleAfterS;
  return WATCHDOG_MS + 1000 * (staleAfterS(floorS, rateHz > 0 ? 1 / rateHz : 0) - floorS);
}

/** Whether a display whose last message came `sinceMs` ago must say it has had no updates. */
export const isSilent = (s: Pick<DisplayState, 'link' | 'feed' | 'rateHz'>, sinceMs: number): boolean => s.link === 'open' && s.feed === 'live' && sinceMs > watchdogMs(s.rateHz);

export const isLive = (s: DisplayState): boolean => banner(s).kind === '' && s.guidance !== null;

export function renderPanel(ui: Layout, s: DisplayState): void {
  const b = banner(s);
  ui.banner.className = b.kind;
  ui.banner.textContent = b.text;
  ui.main.className = isLive(s) ? '' : 'greyed';
  const g = s.guidance;
  if (g) {
    ui.instruction.textContent = g.zone.text;
    // Long instructions ("WITHDRAW 8 mm, THEN POSTEROLATERAL VEIN") step down a size rather than break words.
    ui.instruction.className = g.zone.text.length > 22 ? `${g.zone.state} long` : g.zone.state;
    ui.zone.textContent = ZONE_TEXT[g.zone.state] ?? g.zone.state;
    ui.p.textContent = g.response.p.toFixed(2);
    ui.pSwatch.style.background = cividisCss(g.response.p);
    ui.branch.textContent = s.branchNames[g.tip.branch] ?? g.tip.branch;
    ui.dwell.textContent = g.zone.dwellS !== undefined ? `${g.zone.dwellS.toFixed(1)} s` : '—';
    ui.note.hidden = !g.zone.note;
    ui.note.textContent = g.zone.note ?? '';
    const advice = viewAdvice(g);
    ui.viewAdvice.hidden = advice === '';
    ui.viewAdvice.textContent = advice;
    renderElectrodes(ui.electrodes, g);
  } else if (s.link === 'open') {
    ui.instruction.textContent = 'WAITING FOR THE LEAD';
    ui.instruction.className = '';
  }
  const reg = s.registration;
  const rms = reg?.rmsMm !== undefined ? ` RMS ${reg.rmsMm.toFixed(1)} mm` : '';
  const rate = s.rateHz ? ` ${s.rateHz.toFixed(0)} Hz` : '';
  const link = s.linkMs !== null ? ` · latency ${s.linkMs.toFixed(0)} ms` : '';
  ui.corner.textContent = `feed ${s.feed}${rate}${link} · registration ${reg ? reg.state + rms : '—'}`;
  ui.procedure.textContent = `procedure ${s.procedure}${s.twinId ? ` · twin ${s.twinId}` : ''}`;
  renderMeasurements(ui.measurements, s.measurements);
}

/** With one view that foreshortens the vein at the tip (the server suggests another): that the place along it is uncertain, and the view that would show it ('' otherwise). */
export function viewAdvice(g: Guidance): string {
  const v = g.view;
  if (!v?.sideOn) return '';
  return `VEIN FORESHORTENED IN THIS VIEW — PLACE ALONG IT UNCERTAIN · ${viewName(v.sideOn)} SHOWS IT SIDE-ON`;
}

/** One cell per electrode, distal first: its p, where it is, and the one to pace from outlined. */
function renderElectrodes(list: HTMLElement, g: Guidance): void {
  const electrodes = g.lead?.electrodes;
  list.hidden = !electrodes;
  if (!electrodes) return;
  while (list.children.length > electrodes.length) list.lastElementChild!.remove();
  while (list.children.length < electrodes.length) list.appendChild(document.createElement('li')).innerHTML = '<b></b><span></span><i></i>';
  electrodes.forEach((e, k) => {
    const li = list.children[k] as HTMLElement;
    li.className = `${e.zone}${g.lead!.best === e.n ? ' best' : ''}`;
    (li.children[0] as HTMLElement).textContent = g.lead!.best === e.n ? `E${e.n} PACE` : `E${e.n}`;
    (li.children[1] as HTMLElement).textContent = e.zone === 'proximal' ? '—' : e.response.toFixed(2);
    (li.children[2] as HTMLElement).textContent = `${ELECTRODE_ZONE[e.zone] ?? e.zone}${e.zone !== 'proximal' && !e.accessible ? ' · no access' : ''}`;
  });
}

function renderMeasurements(list: HTMLElement, records: readonly MeasurementRecord[]): void {
  if (list.dataset['count'] === String(records.length)) return; // they only ever grow, or a snapshot replaces them
  list.dataset['count'] = String(records.length);
  list.hidden = records.length === 0;
  list.replaceChildren(
    ...records.slice(-SHOWN_MEASUREMENTS).reverse().map((r) => {
      const { text, detail, kind } = measurementText(r);
      const li = document.createElement('li');
      li.className = kind;
      li.append(text, ' ');
      const em = document.createElement('em');
      em.textContent = detail;
      li.append(em);
      return li;
    }),
  );
}

// The display's state and its rendering: display messages in (live from the server, or from a
// recording on the replay page), the panel and the three.js scene out. Loads the twin bundle when
// the procedure's twin changes and computes the surface response map once for it.

import type { DisplayMessage, Exclusion, TargetZoneInfo } from '../../../protocol/messages.ts';
import type { TwinBundle } from '../../../protocol/twin-schema.ts';
import { fieldInputFor, responseFieldGpu, responseFieldTs, type GpuLike } from '../common/response-field.ts';
import { twinView, type TwinView } from '../common/twin-view.ts';
import { PRESETS, rotationOf, type CarmAngles } from '../scene/camera-presets.ts';
import { viewName } from '../../../protocol/views.ts';
import { TwinScene } from '../scene/twin-scene.ts';
import { isLive, isSilent, renderPanel, type DisplayState } from './guidance-panel.ts';
import type { Layout } from './layout.ts';

export type FieldBackend = 'ts' | 'gpu';

export interface ViewOptions {
  procedure: string;
  token: string | null;
  field: FieldBackend;
}


export class GuidanceView {
  readonly state: DisplayState;
  readonly scene: TwinScene;
  private zones: readonly TargetZoneInfo[] = [];
  private exclusions: readonly Exclusion[] = [];
  private transform: number[] | undefined;
  private follow = false;
  /** Once the user picks a view, snapshots no longer choose one for them. */
  private userChoseView = false;
  private lastMessageAt = 0;
  private loadingTwin = '';
  /** How the response map was computed ('twin': the twin carries its own per-vertex field), and how long it took (ms). */
  field: { backend: FieldBackend | 'twin'; ms: number } | null = null;
  lastMessage: DisplayMessage | null = null;
  private twinView: TwinView | null = null;
  /** The newest C-arm view of a fluoro feed (null: none yet). */
  private carm: CarmAngles | null = null;
  /** The view the guidance suggests while one view foreshortens the vein at the tip (null: none now). */
  private sideOn: CarmAngles | null = null;
  /** The camera shows the suggested side-on view (and follows it as it changes). */
  private showSideOn = false;

  constructor(private readonly ui: Layout, private readonly options: ViewOptions) {
    this.state = { link: 'connecting', feed: 'lost', rateHz: 0, registration: null, guidance: null, silent: false, branchNames: {}, procedure: options.procedure, twinId: '', linkMs: null, failed: null, measurements: [] };
    this.scene = new TwinScene(ui.stage);
    ui.views.addEventListener('click', (e) => {
      const name = (e.target as HTMLElement).dataset['view'];
      if (name) {
        this.userChoseView = true;
        this.chooseView(name);
      }
    });
    ui.stage.addEventListener('pointermove', (e) => this.hover(e.clientX, e.clientY));
    ui.stage.addEventListener('pointerleave', () => (ui.tooltip.hidden = true));
    renderPanel(ui, this.state);
  }

  /** One display message (snapshot, guidance, status, event, error). */
  apply(m: DisplayMessage, at = performance.now()): void {
    this.lastMessage = m;
    this.lastMessageAt = at;
    this.state.silent = false;
    const s = this.state;
    if (m.type === 'snapshot') {
      // A (re)connection: everything from before the gap is replaced.
      s.registration = { state: m.registration.state, ...(m.registration.rmsMm !== undefined ? { rmsMm: m.registration.rmsMm } : {}) };
      s.guidance = m.guidance;
      s.failed = m.failed ?? null;
      s.clusterDown = false;
      s.feed = m.feed.state;
      s.rateHz = m.feed.rateHz;
      const zonesChanged = m.zones !== this.zones;
      this.zones = m.zones;
      this.exclusions = m.exclusions ?? [];
      s.measurements = [...(m.measurements ?? [])];
      this.transform = m.registration.transform;
      if (!this.userChoseView) this.markView(m.source === 'fluoro' ? 'follow' : 'lao30');
      this.scene.clearTrail();
      // The panel guides without the scene: a twin that cannot be drawn is said, not thrown.
      if (m.twinId !== s.twinId) this.loadTwin(m.twinId).catch((e: unknown) => this.twinUnavailable(m.twinId, e));
      else if (zonesChanged) this.scene.setZones(this.zones, this.exclusions);
      this.scene.setMeasurements(s.measurements);
      s.twinId = m.twinId;
    } else if (m.type === 'guidance') {
      s.guidance = m;
      if (m.view && (m.view.alpha !== this.carm?.alpha || m.view.beta !== this.carm?.beta)) this.followCarm(m.view);
      this.suggest(m.view?.sideOn ?? null);
      s.feed = m.feed.state;
      s.rateHz = m.feed.rateHz;
      s.registration = m.registration;
    } else if (m.type === 'status') {
      s.feed = m.feed.state;
      s.rateHz = m.feed.rateHz;
      s.registration = m.registration;
    } else if (m.type === 'measurement') {
      s.measurements.push(m.record);
      this.scene.setMeasurements(s.measurements);
    } else if (m.type === 'zones') {
      this.zones = m.zones;
      this.exclusions = m.exclusions;
      this.scene.setZones(this.zones, this.exclusions);
    } else if (m.type === 'event' && (m.kind === 'cluster.down' || m.kind === 'cluster.up')) {
      s.clusterDown = m.kind === 'cluster.down';
    } else if (m.type === 'event' && m.kind === 'pipeline.failed') {
      // The server says this procedure can no longer guide: that must dominate, not a stale "live".
      s.failed = m.message;
    } else if (m.type === 'error') {
      s.guidance = null;
      this.ui.instruction.textContent = m.message;
    }
    this.render();
  }

  setLink(link: DisplayState['link']): void {
    this.state.link = link;
    this.render();
  }

  setLinkLatency(ms: number): void {
    this.state.linkMs = ms;
    renderPanel(this.ui, this.state);
  }

  /** Called on a timer: a live feed with no message for WATCHDOG_MS (see isSilent) greys the guidance. */
  watchdog(now = performance.now()): void {
    const silent = isSilent(this.state, now - this.lastMessageAt);
    if (silent !== this.state.silent) {
      this.state.silent = silent;
      this.render();
    }
  }

  private render(): void {
    renderPanel(this.ui, this.state);
    const g = this.state.guidance;
    // Only a new guidance moves the tip along its trail; a status may only grey it.
    this.scene.setTip(g ? g.tip.p : null, isLive(this.state), this.lastMessage?.type === 'guidance');
    this.scene.setElectrodes(g?.lead ?? null, isLive(this.state));
  }

  private async loadTwin(id: string): Promise<void> {
    this.loadingTwin = id;
    const headers: Record<string, string> = this.options.token ? { authorization: `Bearer ${this.options.token}` } : {};
    const response = await fetch(`/api/twins/${encodeURIComponent(id)}/bundle`, { headers });
    if (!response.ok) throw new Error(`twin ${id}: HTTP ${response.status}`);
    const bundle = (await response.json()) as TwinBundle;
    if (this.loadingTwin !== id) return; // a newer snapshot named another twin
    const view = twinView(bundle);
    this.twinView = view;
    this.state.branchNames = Object.fromEntries(view.branches.map((b) => [b.id, b.name]));
    const t0 = performance.now();
    let backend: FieldBackend | 'twin' = this.options.field;
    let values: Float32Array;
    const own = bundle.surfaces.epi.response;
    if (own && own.length === view.epi.positions.length / 3) {
      // A study's response field, carried by the twin: shown as it is, not re-derived from the sites.
      backend = 'twin';
      values = Float32Array.from(own);
    } else {
      const input = fieldInputFor(view.epi.positions, view.sites);
      try {
        values = backend === 'gpu' ? responseFieldGpu(await loadGpu(), input) : responseFieldTs(input);
      } catch (e) {
        console.warn(`gpu.js response map failed (${(e as Error).message}); using the TypeScript path`);
        backend = 'ts';
        values = responseFieldTs(input);
      }
    }
    this.field = { backend, ms: performance.now() - t0 };
    this.scene.setTwin(view, values);
    this.scene.setZones(this.zones, this.exclusions);
    this.scene.setMeasurements(this.state.measurements);
    this.applyFollow();
    this.render();
  }

  private markView(name: string): void {
    for (const b of this.ui.views.querySelectorAll('button')) b.classList.toggle('active', b.dataset['view'] === name);
    this.follow = name === 'follow';
    this.showSideOn = name === 'side-on';
    this.sideOnButton();
  }

  /**
   * The side-on view the guidance suggests (null: none now). Its button shows while there is one
   * (or while it is the chosen view: the camera then stays where it was until the next suggestion).
   */
  private suggest(angles: CarmAngles | null): void {
    const changed = angles?.alpha !== this.sideOn?.alpha || angles?.beta !== this.sideOn?.beta;
    this.sideOn = angles;
    if (!changed) return;
    this.sideOnButton();
    if (this.showSideOn && angles) this.scene.setView(angles, rotationOf(this.transform));
  }

  private sideOnButton(): void {
    const button = this.ui.views.querySelector<HTMLElement>('button[data-view="side-on"]');
    if (!button) return;
    button.hidden = !this.sideOn && !this.showSideOn;
    button.textContent = this.sideOn ? `SIDE-ON ${viewName(this.sideOn)}` : 'SIDE-ON';
  }

  /**
   * For bench/display-frame.bench.ts: median time (ms) of the response map for this twin with a
   * backend, on the twin's own surface or on a denser one (`copies` jittered copies of it).
   */
  async measureField(backend: FieldBackend, repeats: number, copies = 1): Promise<{ medianMs: number; vertices: number; sites: number }> {
    const twin = this.twinView;
    if (!twin) throw new Error('no twin loaded');
    const base = twin.epi.positions;
    const vertices = new Float32Array(base.length * copies);
    for (let c = 0; c < copies; c++) for (let i = 0; i < base.length; i++) vertices[c * base.length + i] = base[i]! + (c === 0 ? 0 : Math.sin(i * 12.9898 + c * 78.233) * 2);
    const input = fieldInputFor(vertices, twin.sites);
    const gpu = backend === 'gpu' ? await loadGpu() : null;
    const times: number[] = [];
    for (let k = 0; k < repeats; k++) {
      const t0 = performance.now();
      if (gpu) responseFieldGpu(gpu, input);
      else responseFieldTs(input);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return { medianMs: times[Math.floor(times.length / 2)]!, vertices: vertices.length / 3, sites: twin.sites.length };
  }

  private twinUnavailable(id: string, e: unknown): void {
    console.warn(`twin ${id} cannot be drawn: ${(e as Error).message}`);
    this.ui.tooltip.hidden = false;
    this.ui.tooltip.textContent = `Twin ${id} cannot be drawn (${(e as Error).message}); the guidance panel is unaffected.`;
  }

  private chooseView(name: string): void {
    this.markView(name);
    if (this.follow) return this.applyFollow();
    if (this.showSideOn) {
      if (this.sideOn) this.scene.setView(this.sideOn, rotationOf(this.transform));
      return;
    }
    const preset = PRESETS.find((p) => p.name === name);
    if (preset) this.scene.setView(preset.angles, null);
  }

  /** Follow the C-arm: the angles of the newest fluoro view, rotated by the registration (C-arm → twin). */
  followCarm(angles: CarmAngles | null): void {
    this.carm = angles;
    if (this.follow) this.applyFollow();
  }

  private applyFollow(): void {
    if (this.follow && this.carm) this.scene.setView(this.carm, rotationOf(this.transform));
  }

  private hover(x: number, y: number): void {
    const info = this.scene.hover(x, y);
    const tip = this.ui.tooltip;
    if (!info) {
      tip.hidden = true;
      return;
    }
    const p = info.p === null ? 'no sites' : `p ${info.p.toFixed(2)}`;
    tip.textContent = `${info.branch} · ${info.arcMm.toFixed(0)} mm · ${p} · ${info.accessible ? 'accessible' : `not accessible: ${info.reasons.join(', ').replaceAll('-', ' ') || 'unknown'}`}`;
    const rect = this.ui.stage.getBoundingClientRect();
    tip.style.left = `${x - rect.left + 14}px`;
    tip.style.top = `${y - rect.top + 14}px`;
    tip.hidden = false;
  }
}

let gpu: Promise<GpuLike> | null = null;
/** gpu.js's browser build, loaded on demand (it is large, and only used when asked for). */
function loadGpu(): Promise<GpuLike> {
  gpu ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = '/vendor/gpu-browser.min.js';
    script.onload = () => {
      // The UMD build sets window.GPU to its exports ({ GPU, … }); older builds to the class itself.
      const G = (window as unknown as { GPU?: { GPU: new () => GpuLike } | (new () => GpuLike) }).GPU;
      if (typeof G === 'function') resolve(new G());
      else if (G) resolve(new G.GPU());
      else reject(new Error('gpu.js did not load'));
    };
    script.onerror = () => reject(new Error('gpu.js did not load'));
    document.head.appendChild(script);
  });
  return gpu;
}

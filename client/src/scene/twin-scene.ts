// The three.js view of the twin: the epicardium, semi-transparent and coloured by the response map;
// the vein tubes coloured by p; target-zone sleeves; the lead tip and a short trail. Geometry is
// built once per twin; a frame only moves the tip and the trail, and frames are drawn only when
// something changed (a calm display does not redraw an unchanged picture 60 times a second).

import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import type { Exclusion, LeadGuidance, MeasurementRecord, TargetZoneInfo } from '../../../protocol/messages.ts';
import { cividis, MARK } from '../common/colours.ts';
import { NO_VALUE } from '../common/response-field.ts';
import { branchValueAt, type TwinView } from '../common/twin-view.ts';
import { carmPose, type CarmAngles } from './camera-presets.ts';
import { arcNearest, veinMeshes, zoneSleeve } from './vein-tubes.ts';

const TRAIL_POINTS = 90;

export interface HoverInfo {
  branch: string;
  arcMm: number;
  p: number | null;
  accessible: boolean;
  reasons: readonly string[];
}

export interface FrameStats {
  frames: number;
  /** CPU time of renderer.render() per drawn frame, ms. */
  renderMs: number[];
}

export class TwinScene {
  readonly renderer: THREE.WebGLRenderer;
  /** True on a software GL renderer. */
  readonly software: boolean;
  private readonly scene = new THREE.Scene();
  private readonly camera = new THREE.PerspectiveCamera(30, 1, 1, 5000);
  private readonly controls: OrbitControls;
  private readonly twinGroup = new THREE.Group();
  private readonly zoneGroup = new THREE.Group();
  /** The lead's electrodes (numbered beads on the vein, the body as a line through them) and the measurement marks. */
  private readonly leadGroup = new THREE.Group();
  private readonly markGroup = new THREE.Group();
  private leadBody: THREE.Line | null = null;
  private readonly beads: THREE.Mesh[] = [];
  private leadKey = '';
  private readonly tip: THREE.Mesh;
  private readonly tipHalo: THREE.Mesh;
  private readonly trail: THREE.Line;
  private readonly trailPositions = new Float32Array(TRAIL_POINTS * 3);
  private trailCount = 0;
  private twin: TwinView | null = null;
  private veins: THREE.Mesh[] = [];
  private dirty = true;
  private frame = 0;
  private readonly raycaster = new THREE.Raycaster();
  readonly stats: FrameStats = { frames: 0, renderMs: [] };
  /** Wait for the GL work of each timed frame (software GL defers it): for the frame-time bench. */
  finishForTiming = false;
  private readonly pixel = new Uint8Array(4);

  constructor(private readonly container: HTMLElement) {
    // On a software renderer (SwiftShader, llvmpipe: a PC without a usable GPU) multisampling alone
    // costs 2.4× per frame (bench/display-frame.bench.ts): drop it there, keep it on real GPUs.
    this.software = isSoftwareGl();
    this.renderer = new THREE.WebGLRenderer({ antialias: !this.software, alpha: false });
    this.renderer.setPixelRatio(Math.min(2, window.devicePixelRatio || 1));
    this.renderer.setClearColor(0x0d0f13);
    container.appendChild(this.renderer.domElement);
    this.camera.up.set(0, 0, 1);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.enableDamping = false;
    this.controls.addEventListener('change', () => (this.dirty = true));
    this.scene.add(new THREE.AmbientLight(0xffffff, 1.1));
    const key = new THREE.DirectionalLight(0xffffff, 1.6);
    key.position.set(0, -1, 1);
    this.camera.add(key); // the light follows the camera: the side you look at is always lit
    this.scene.add(this.camera, this.twinGroup, this.zoneGroup, this.leadGroup, this.markGroup);

    this.tip = new THREE.Mesh(new THREE.SphereGeometry(2.2, 24, 16), new THREE.MeshBasicMaterial({ color: MARK.tip }));
    this.tipHalo = new THREE.Mesh(new THREE.SphereGeometry(3.4, 24, 16), new THREE.MeshBasicMaterial({ color: MARK.tipRing, side: THREE.BackSide }));
    this.tip.add(this.tipHalo);
    this.tip.visible = false;
    this.tip.renderOrder = 3;
    const trailGeometry = new THREE.BufferGeometry();
    trailGeometry.setAttribute('position', new THREE.BufferAttribute(this.trailPositions, 3).setUsage(THREE.DynamicDrawUsage));
    trailGeometry.setDrawRange(0, 0);
    this.trail = new THREE.Line(trailGeometry, new THREE.LineBasicMaterial({ color: MARK.trail, transparent: true, opacity: 0.9 }));
    this.trail.frustumCulled = false;
    this.scene.add(this.tip, this.trail);

    new ResizeObserver(() => this.resize()).observe(container);
    this.resize();
    const loop = (): void => {
      this.frame = requestAnimationFrame(loop);
      this.draw();
    };
    this.frame = requestAnimationFrame(loop);
  }

  /** Build the twin's geometry (once per twin). `field` is p per epicardial vertex (NO_VALUE: none). */
  setTwin(twin: TwinView, field: Float32Array): void {
    this.twinGroup.clear();
    this.twin = twin;
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute('position', new THREE.BufferAttribute(twin.epi.positions, 3));
    geometry.setIndex(new THREE.BufferAttribute(twin.epi.indices, 1));
    geometry.computeVertexNormals();
    const colours = new Float32Array(field.length * 3);
    const neutral = new THREE.Color(MARK.neutral);
    const rgb: [number, number, number] = [0, 0, 0];
    field.forEach((p, i) => {
      if (p === NO_VALUE) colours.set([neutral.r, neutral.g, neutral.b], i * 3);
      else colours.set(cividis(p, rgb), i * 3);
    });
    geometry.setAttribute('color', new THREE.BufferAttribute(colours, 3));
    const epi = new THREE.Mesh(geometry, new THREE.MeshLambertMaterial({ vertexColors: true, transparent: true, opacity: 0.5, side: THREE.FrontSide, depthWrite: false }));
    epi.name = 'epicardium';
    epi.renderOrder = 1;
    this.veins = veinMeshes(twin);
    this.twinGroup.add(...this.veins, epi);
    this.controls.target.set(...twin.centre);
    this.setView({ alpha: 30, beta: 0 }, null);
  }

  /** Target-zone sleeves, and over them the stretches a measurement ruled out (vermillion, a little wider). */
  setZones(zones: readonly TargetZoneInfo[], exclusions: readonly Exclusion[] = []): void {
    this.zoneGroup.clear();
    const twin = this.twin;
    if (!twin) return;
    for (const z of zones) {
      const branch = twin.branches.find((b) => b.id === z.branch);
      const sleeve = branch ? zoneSleeve(twin, branch, z.startArcMm, z.endArcMm) : null;
      if (sleeve) this.zoneGroup.add(sleeve);
    }
    for (const x of exclusions) {
      const branch = twin.branches.find((b) => b.id === x.branch);
      const sleeve = branch ? zoneSleeve(twin, branch, x.startArcMm, x.endArcMm, MARK.excluded, 2) : null;
      if (sleeve) {
        sleeve.name = `excluded:${x.branch}`;
        this.zoneGroup.add(sleeve);
      }
    }
    this.dirty = true;
  }

  /** The electrodes where the guidance puts them: numbered beads, the one to pace from ringed; greyed when not live. */
  setElectrodes(lead: LeadGuidance | null, live: boolean): void {
    const electrodes = lead?.electrodes ?? [];
    const key = `${live}|${lead?.best ?? 0}|${electrodes.map((e) => `${e.p.join(',')}:${e.zone}`).join(';')}`;
    if (key === this.leadKey) return;
    this.leadKey = key;
    while (this.beads.length < electrodes.length) {
      const bead = new THREE.Mesh(new THREE.CylinderGeometry(1.6, 1.6, 2.4, 16), new THREE.MeshBasicMaterial({ color: MARK.electrode }));
      bead.add(numberSprite(this.beads.length + 1));
      bead.renderOrder = 3;
      this.beads.push(bead);
      this.leadGroup.add(bead);
    }
    if (!this.leadBody) {
      const geometry = new THREE.BufferGeometry();
      geometry.setAttribute('position', new THREE.BufferAttribute(new Float32Array(3 * 9), 3));
      this.leadBody = new THREE.Line(geometry, new THREE.LineBasicMaterial({ color: MARK.electrode, transparent: true, opacity: 0.8 }));
      this.leadBody.frustumCulled = false;
      this.leadGroup.add(this.leadBody);
    }
    const body = this.leadBody.geometry.getAttribute('position') as THREE.BufferAttribute;
    this.beads.forEach((bead, k) => {
      const e = electrodes[k];
      bead.visible = e !== undefined;
      if (!e) return;
      bead.position.set(e.p[0], e.p[1], e.p[2]);
      // Along the lead: toward the next electrode (or from the previous one).
      const other = electrodes[k + 1] ?? electrodes[k - 1];
      if (other) {
        const dir = new THREE.Vector3(other.p[0] - e.p[0], other.p[1] - e.p[1], other.p[2] - e.p[2]);
        if (dir.lengthSq() > 1e-9) bead.quaternion.setFromUnitVectors(new THREE.Vector3(0, 1, 0), dir.normalize());
      }
      const colour = !live ? 0x777777 : e.zone === 'excluded' ? MARK.excluded : lead?.best === e.n ? MARK.zone : MARK.electrode;
      (bead.material as THREE.MeshBasicMaterial).color.set(colour);
      body.setXYZ(k, e.p[0], e.p[1], e.p[2]);
    });
    body.needsUpdate = true;
    this.leadBody.geometry.setDrawRange(0, electrodes.length);
    this.leadBody.visible = electrodes.length > 1;
    this.dirty = true;
  }

  /** Where measurements were taken: a small marker each (vermillion for a phrenic capture). */
  setMeasurements(records: readonly MeasurementRecord[]): void {
    this.markGroup.clear();
    for (const r of records) {
      if (!r.at) continue;
      const captured = r.measurement.kind === 'phrenic' && r.measurement.captured;
      const mark = new THREE.Mesh(new THREE.OctahedronGeometry(2.2), new THREE.MeshBasicMaterial({ color: captured ? MARK.excluded : MARK.measurement, transparent: true, opacity: 0.9 }));
      mark.position.set(r.at.p[0], r.at.p[1], r.at.p[2] + 4);
      mark.name = `measurement:${r.measurement.kind}`;
      this.markGroup.add(mark);
    }
    this.dirty = true;
  }

  /** Look as the C-arm at these angles would (rotation: C-arm frame → twin, from the registration). */
  setView(angles: CarmAngles, rotation: readonly number[] | null): void {
    if (!this.twin) return;
    const pose = carmPose(angles, rotation);
    const distance = (this.twin.radiusMm * 0.85) / Math.sin((this.camera.fov * Math.PI) / 360);
    const [cx, cy, cz] = this.twin.centre;
    this.camera.position.set(cx + pose.towardCamera[0] * distance, cy + pose.towardCamera[1] * distance, cz + pose.towardCamera[2] * distance);
    this.camera.up.set(...pose.up);
    this.controls.target.set(cx, cy, cz);
    this.camera.lookAt(cx, cy, cz);
    this.controls.update();
    this.dirty = true;
  }

  /** The tip at a twin position; `live` false greys it (stale or lost feed); `moved` adds it to the trail. */
  setTip(p: readonly number[] | null, live: boolean, moved = true): void {
    if (!p) {
      this.tip.visible = false;
      this.dirty = true;
      return;
    }
    this.tip.visible = true;
    this.tip.position.set(p[0]!, p[1]!, p[2]!);
    (this.tip.material as THREE.MeshBasicMaterial).color.set(live ? MARK.tip : 0x777777);
    (this.tipHalo.material as THREE.MeshBasicMaterial).color.set(live ? MARK.tipRing : 0x444444);
    this.dirty = true;
    if (!moved) return;
    // Append to the trail; shift when full (90 points: a copyWithin, no allocation).
    if (this.trailCount === TRAIL_POINTS) this.trailPositions.copyWithin(0, 3);
    else this.trailCount++;
    this.trailPositions.set([p[0]!, p[1]!, p[2]!], (this.trailCount - 1) * 3);
    const attribute = this.trail.geometry.getAttribute('position') as THREE.BufferAttribute;
    attribute.needsUpdate = true;
    this.trail.geometry.setDrawRange(0, this.trailCount);
    this.dirty = true;
  }

  clearTrail(): void {
    this.trailCount = 0;
    this.trail.geometry.setDrawRange(0, 0);
    this.dirty = true;
  }

  /** What lies under a canvas pixel: a vein's response and accessibility there. */
  hover(clientX: number, clientY: number): HoverInfo | null {
    const twin = this.twin;
    if (!twin) return null;
    const rect = this.renderer.domElement.getBoundingClientRect();
    const ndc = new THREE.Vector2(((clientX - rect.left) / rect.width) * 2 - 1, -((clientY - rect.top) / rect.height) * 2 + 1);
    this.raycaster.setFromCamera(ndc, this.camera);
    const hit = this.raycaster.intersectObjects(this.veins, false)[0];
    if (!hit) return null;
    const branch = twin.branches.find((b) => b.id === hit.object.userData['branch'])!;
    const arcMm = arcNearest(twin, branch, hit.point);
    const v = branchValueAt(branch, arcMm);
    return { branch: branch.name, arcMm, p: v.p, accessible: v.nearest?.accessible ?? false, reasons: v.nearest?.reasons ?? [] };
  }

  /**
   * Draw now and count the pixels that differ from the background (on a 64×64 copy): tests check
   * with it that the twin is really on screen. Copied in the same task as the draw, so the
   * drawing buffer is still there without preserveDrawingBuffer.
   */
  drawnPixels(): number {
    this.draw(true);
    const copy = document.createElement('canvas');
    copy.width = 64;
    copy.height = 64;
    const context = copy.getContext('2d')!;
    context.drawImage(this.renderer.domElement, 0, 0, 64, 64);
    const data = context.getImageData(0, 0, 64, 64).data;
    let drawn = 0;
    for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i]! - 0x0d) + Math.abs(data[i + 1]! - 0x0f) + Math.abs(data[i + 2]! - 0x13) > 24) drawn++;
    return drawn;
  }

  /** The camera's unit direction toward the twin centre (tests check the presets with it). */
  viewDirection(): [number, number, number] {
    const d = new THREE.Vector3();
    this.camera.getWorldDirection(d);
    return [d.x, d.y, d.z];
  }

  /** Canvas pixel of a twin point (for tests and labels). */
  toScreen(p: readonly number[]): { x: number; y: number } {
    const v = new THREE.Vector3(p[0]!, p[1]!, p[2]!).project(this.camera);
    const rect = this.renderer.domElement.getBoundingClientRect();
    return { x: rect.left + ((v.x + 1) / 2) * rect.width, y: rect.top + ((1 - v.y) / 2) * rect.height };
  }

  private resize(): void {
    const w = Math.max(1, this.container.clientWidth);
    const h = Math.max(1, this.container.clientHeight);
    this.renderer.setSize(w, h, false);
    this.renderer.domElement.style.width = '100%';
    this.renderer.domElement.style.height = '100%';
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.dirty = true;
  }

  /** Force a redraw now (the frame-time bench draws back to back). */
  draw(force = false): void {
    if (!this.dirty && !force) return;
    this.dirty = false;
    const t0 = performance.now();
    this.renderer.render(this.scene, this.camera);
    // Chromium runs GL in another process and finish() does not wait for it; reading a pixel does.
    if (this.finishForTiming) this.renderer.getContext().readPixels(0, 0, 1, 1, WebGL2RenderingContext.RGBA, WebGL2RenderingContext.UNSIGNED_BYTE, this.pixel);
    const ms = performance.now() - t0;
    this.stats.frames++;
    if (this.stats.renderMs.length < 10_000) this.stats.renderMs.push(ms);
  }

  dispose(): void {
    cancelAnimationFrame(this.frame);
    this.controls.dispose();
    this.renderer.dispose();
  }
}

/** A small always-facing label with an electrode's number. */
function numberSprite(n: number): THREE.Sprite {
  const canvas = document.createElement('canvas');
  canvas.width = 64;
  canvas.height = 64;
  const g = canvas.getContext('2d')!;
  g.fillStyle = 'rgba(13, 15, 19, 0.8)';
  g.beginPath();
  g.arc(32, 32, 28, 0, 2 * Math.PI);
  g.fill();
  g.fillStyle = '#ffffff';
  g.font = 'bold 40px system-ui, sans-serif';
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  g.fillText(String(n), 32, 34);
  const sprite = new THREE.Sprite(new THREE.SpriteMaterial({ map: new THREE.CanvasTexture(canvas), depthTest: false, transparent: true }));
  sprite.scale.set(4.5, 4.5, 1);
  sprite.position.set(4, 0, 0);
  sprite.renderOrder = 4;
  return sprite;
}

/** Whether WebGL here is a software rasteriser (its renderer string names SwiftShader or llvmpipe). */
function isSoftwareGl(): boolean {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return false;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return /swiftshader|llvmpipe|software/i.test(name);
}

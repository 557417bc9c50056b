// The page's elements, built once: the scene fills the left, the guidance panel (readable at 3 m)
// the right; the banner spans the top when guidance must not be trusted; the corner shows feed
// rate, link latency and registration RMS. The display and the replay page share this layout.

import { PRESETS } from '../scene/camera-presets.ts';

export interface Layout {
  main: HTMLElement;
  banner: HTMLElement;
  stage: HTMLElement;
  views: HTMLElement;
  tooltip: HTMLElement;
  instruction: HTMLElement;
  zone: HTMLElement;
  p: HTMLElement;
  pSwatch: HTMLElement;
  branch: HTMLElement;
  dwell: HTMLElement;
  procedure: HTMLElement;
  corner: HTMLElement;
  footer: HTMLElement;
  note: HTMLElement;
  /** One fluoroscopic view that foreshortens the vein at the tip: said, with a view that would not. */
  viewAdvice: HTMLElement;
  electrodes: HTMLElement;
  measurements: HTMLElement;
}

export function mountLayout(root: HTMLElement): Layout {
  root.innerHTML = `
<main id="main" class="greyed">
  <div id="banner" role="alert"></div>
  <section id="stage" aria-label="twin view">
    <nav id="views" aria-label="camera">
      ${PRESETS.map((p) => `<button type="button" data-view="${p.name}">${p.label}</button>`).join('')}
      <button type="button" data-view="follow" title="follow the active C-arm view (fluoroscopy)">C-ARM</button>
      <button type="button" data-view="side-on" hidden title="the C-arm angles the guidance suggests while one view foreshortens the vein at the tip: the vein side-on">SIDE-ON</button>
    </nav>
    <div id="legend" aria-label="legend">
      <div class="ramp"><span>p(response) 0</span><i></i><span>1</span></div>
      <div><b class="key zone"></b>target zone <b class="key grey"></b>not accessible <b class="key tip"></b>lead tip <b class="key electrode"></b>electrode <b class="key excluded"></b>ruled out</div>
    </div>
    <div id="tooltip" hidden></div>
  </section>
  <section id="panel" aria-live="polite">
    <div id="instruction">CONNECTING…</div>
    <div id="note" hidden></div>
    <div id="view-advice" hidden></div>
    <ol id="electrodes" aria-label="electrodes" hidden></ol>
    <dl id="details">
      <div><dt>zone</dt><dd id="zone">—</dd></div>
      <div><dt>p at tip</dt><dd><span id="p-swatch"></span><span id="p">—</span></dd></div>
      <div><dt>branch</dt><dd id="branch">—</dd></div>
      <div><dt>dwell</dt><dd id="dwell">—</dd></div>
    </dl>
    <ul id="measurements" aria-label="measurements" hidden></ul>
  </section>
  <footer id="footer"><span id="procedure"></span><span id="corner">feed — · registration —</span></footer>
</main>`;
  const $ = (id: string): HTMLElement => root.querySelector<HTMLElement>(`#${id}`)!;
  return {
    main: $('main'),
    banner: $('banner'),
    stage: $('stage'),
    views: $('views'),
    tooltip: $('tooltip'),
    instruction: $('instruction'),
    zone: $('zone'),
    p: $('p'),
    pSwatch: $('p-swatch'),
    branch: $('branch'),
    dwell: $('dwell'),
    procedure: $('procedure'),
    corner: $('corner'),
    footer: $('footer'),
    note: $('note'),
    viewAdvice: $('view-advice'),
    electrodes: $('electrodes'),
    measurements: $('measurements'),
  };
}

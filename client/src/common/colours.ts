// Colours a physician can rely on in a dark room, colour-blind safe: cividis for p (blue → yellow,
// readable with every common colour-vision deficiency) and the Okabe–Ito palette for marks.

// cividis at p = 0, 0.25, 0.5, 0.75, 1 (from matplotlib's table), linearly interpolated between.
const CIVIDIS: readonly (readonly [number, number, number])[] = [
  [0.0, 0.135, 0.304],
  [0.256, 0.338, 0.424],
  [0.487, 0.485, 0.471],
  [0.737, 0.656, 0.434],
  [0.995, 0.905, 0.145],
];

export function cividis(p: number, out: [number, number, number] = [0, 0, 0]): [number, number, number] {
  const x = Math.min(1, Math.max(0, p)) * (CIVIDIS.length - 1);
  const i = Math.min(CIVIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = CIVIDIS[i]!;
  const b = CIVIDIS[i + 1]!;
  out[0] = a[0] + f * (b[0] - a[0]);
  out[1] = a[1] + f * (b[1] - a[1]);
  out[2] = a[2] + f * (b[2] - a[2]);
  return out;
}

export const cividisCss = (p: number): string => {
  const [r, g, b] = cividis(p);
  return `rgb(${Math.round(r * 255)}, ${Math.round(g * 255)}, ${Math.round(b * 255)})`;
};

/** Okabe–Ito. */
export const MARK = {
  tip: 0xffffff,
  tipRing: 0xe69f00, // orange
  trail: 0x56b4e9, // sky blue
  zone: 0xe69f00, // orange sleeve around target-zone stretches
  inaccessible: 0x5a5e66, // grey
  neutral: 0x3a3d44, // epicardium where no site is within reach
  electrode: 0xcc79a7, // reddish purple: the lead's electrodes
  excluded: 0xd55e00, // vermillion: a stretch a measurement ruled out (phrenic capture)
  measurement: 0x009e73, // bluish green: where a measurement was taken
} as const;

// Which way centreline lines run and which end is the ostium, on small made-up trees where the
// answer is known: whatever the order and direction of the lines, the root line comes first and
// every line starts at its end on the tree.
import { describe, expect, it } from 'vitest';
import { orientFromOstium, type CentrelineLine } from '../../simulators/twin/centreline-orientation.ts';

type P = [number, number, number];
/** A straight line from a to b, a point every mm, its radius going from ra to rb. */
function line(a: P, b: P, ra: number, rb: number, name: string): CentrelineLine {
  const n = Math.max(2, Math.round(Math.hypot(b[0] - a[0], b[1] - a[1], b[2] - a[2])) + 1);
  const points: P[] = [], radii: number[] = [];
  for (let k = 0; k < n; k++) {
    const t = k / (n - 1);
    points.push([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]), a[2] + t * (b[2] - a[2])]);
    radii.push(ra + t * (rb - ra));
  }
  return { points, radii, name };
}
const turned = (l: CentrelineLine): CentrelineLine => ({ points: [...l.points].reverse(), radii: [...l.radii].reverse(), name: l.name });
const start = (l: CentrelineLine): P => l.points[0]!;

// The ostium at the origin; the trunk runs 40 mm along x and narrows; two tributaries leave it:
// one at its end (split there, as Slicer writes it), one from its middle (a T: the trunk is not split).
const OSTIUM: P = [0, 0, 0];
const trunk = line(OSTIUM, [40, 0, 0], 4, 2, 'trunk');
const atEnd = line([40, 0, 0], [60, 15, 0], 1.5, 0.8, 'at the end');
const onward = line([40, 0, 0], [70, -5, 0], 1.8, 1, 'onward');
const fromMiddle = line([20, 0, 0], [25, 25, 0], 1.2, 0.6, 'from the middle');
const TREE = [trunk, atEnd, onward, fromMiddle];

function expectRootedAtOstium(lines: CentrelineLine[]): void {
  expect(lines[0]!.name).toBe('trunk');
  expect(start(lines[0]!)).toEqual(OSTIUM);
  // Every other line starts on a line before it (within a mm), and ends away from all of them.
  for (let i = 1; i < lines.length; i++) {
    const near = (p: P): boolean => lines.slice(0, i).some((l) => l.points.some((q) => Math.hypot(q[0] - p[0], q[1] - p[1], q[2] - p[2]) <= 1));
    expect(near(start(lines[i]!)), lines[i]!.name!).toBe(true);
    expect(near(lines[i]!.points[lines[i]!.points.length - 1]!), lines[i]!.name!).toBe(false);
  }
}

describe('orienting centreline lines from the ostium', () => {
  it('split curves in any order and direction: the widest free end is the ostium, each line starts on the tree', () => {
    const orders = [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]];
    for (const order of orders) {
      for (let flips = 0; flips < 16; flips++) {
        const input = order.map((i) => ((flips >> i) & 1 ? turned(TREE[i]!) : TREE[i]!));
        const oriented = orientFromOstium(input);
        expect(oriented.ostium).toBe('widest free end');
        expect(oriented.lines.map((l) => l.name).sort()).toEqual(TREE.map((l) => l.name).sort());
        expectRootedAtOstium(oriented.lines);
      }
    }
  });

  it("VMTK's lines, all from the source or all into it", () => {
    const vmtk = [line(OSTIUM, [60, 15, 0], 4, 1, 'a'), line(OSTIUM, [70, -5, 0], 4, 1, 'b')];
    expect(orientFromOstium(vmtk)).toEqual({ lines: vmtk, ostium: 'shared start' });
    const into = orientFromOstium(vmtk.map(turned));
    expect(into.ostium).toBe('shared end');
    expect(into.lines.map(start)).toEqual([OSTIUM, OSTIUM]);
  });

  it('a tree split at its only bifurcation, its trunk drawn toward the ostium, shares a start that is not the ostium', () => {
    // Three curves that all start at the bifurcation: the wide free end is the ostium.
    const oriented = orientFromOstium([turned(trunk), atEnd, onward]);
    expect(oriented.ostium).toBe('widest free end');
    expectRootedAtOstium(oriented.lines);
    // The same drawn from the ostium (VMTK-like, every line from one point) is taken as it is.
    expect(orientFromOstium([line(OSTIUM, [60, 15, 0], 4, 1, 'a'), line(OSTIUM, [70, -5, 0], 4, 1, 'b')]).ostium).toBe('shared start');
  });

  it('the cs-ostium landmark outranks the widths', () => {
    // The tributary's far end made the widest (a segmentation that swelled there).
    const swollen = { ...fromMiddle, radii: fromMiddle.radii.map(() => 8) };
    expect(start(orientFromOstium([trunk, atEnd, onward, turned(swollen)]).lines[0]!)).toEqual([25, 25, 0]);
    const told = orientFromOstium([turned(onward), swollen, atEnd, turned(trunk)], [0.5, -0.5, 0]);
    expect(told.ostium).toBe('free end nearest the cs-ostium landmark');
    expectRootedAtOstium(told.lines);
  });

  it('one line runs from its wider end, or from its end nearest the landmark', () => {
    expect(start(orientFromOstium([turned(trunk)]).lines[0]!)).toEqual(OSTIUM);
    expect(orientFromOstium([turned(trunk)]).ostium).toBe('single line, reversed (wider end)');
    expect(orientFromOstium([trunk]).ostium).toBe('single line');
    // Nearly even widths: the file's direction stands unless the landmark says otherwise.
    const even = line(OSTIUM, [40, 0, 0], 2, 2.2, 'even');
    expect(start(orientFromOstium([even]).lines[0]!)).toEqual(OSTIUM);
    expect(start(orientFromOstium([even], [41, 0, 0]).lines[0]!)).toEqual([40, 0, 0]);
  });

  it('a loop (every end on another line) keeps the first line as written, and every line is kept', () => {
    const a = line([0, 0, 0], [20, 0, 0], 2, 2, 'a');
    const b = line([20, 0, 0], [10, 15, 0], 2, 2, 'b');
    const c = line([10, 15, 0], [0, 0, 0], 2, 2, 'c');
    const oriented = orientFromOstium([a, turned(b), c]);
    expect(oriented.lines[0]).toEqual(a);
    expect(oriented.lines).toHaveLength(3);
  });
});

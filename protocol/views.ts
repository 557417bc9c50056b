// C-arm views as the lab names them, shared by the display and the report.

/** C-arm angles as the lab says them: "LAO 45 CAUD 10", "RAO 20", "AP" (α +LAO, β +CRAN, degrees). */
export function viewName(v: { alpha: number; beta: number }): string {
  const a = Math.round(v.alpha), b = Math.round(v.beta);
  const side = a > 0 ? `LAO ${a}` : a < 0 ? `RAO ${-a}` : 'AP';
  return b > 0 ? `${side} CRAN ${b}` : b < 0 ? `${side} CAUD ${-b}` : side;
}

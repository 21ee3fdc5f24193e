/**
 * The one Pareto kernel: the points no other point dominates, given each axis's direction. It
 * imports nothing, so that ann.ts (below the metric registry) and pareto.ts (which reads directions
 * from the registry) can both use it.
 */

/**
 * The points not dominated by any other (another is at least as good on both axes and better on
 * one), sorted by x ascending. Of exact duplicates the first is kept; a point with a NaN coordinate
 * is ignored.
 */
export function nonDominated<T>(points: readonly T[], xOf: (p: T) => number, yOf: (p: T) => number, xHigherIsBetter: boolean, yHigherIsBetter: boolean): T[] {
  // score both axes so that larger is better, then sweep from the best x down
  const sx = xHigherIsBetter ? 1 : -1, sy = yHigherIsBetter ? 1 : -1;
  const pts = points
    .map((p, i) => ({ p, i, gx: sx * xOf(p), gy: sy * yOf(p) }))
    .filter((q) => !Number.isNaN(q.gx) && !Number.isNaN(q.gy));
  pts.sort((a, b) => b.gx - a.gx || b.gy - a.gy || a.i - b.i);
  const out: typeof pts = [];
  let bestY = -Infinity;
  for (const q of pts) {
    if (q.gy > bestY) {
      out.push(q);
      bestY = q.gy;
    }
  }
  return out.sort((a, b) => sx * (a.gx - b.gx) || a.i - b.i).map((q) => q.p);
}

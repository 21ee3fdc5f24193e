/**
 * Pareto frontiers whose directions come from the metric registry: a point is on the frontier when
 * no other point is at least as good on both axes and better on one, "good" being each metric's own
 * direction (recall and QPS up, loss and latency down, ...).
 */
import { metricInfo } from './metric-registry.js';

/** One axis: a registry metric id (its direction is looked up) or an explicit direction, and how to read a point's value. */
export type ParetoAxis<T> = ({ id: string } | { higherIsBetter: boolean }) & {
  /** The point's value on this axis; default `point.x` / `point.y`. */
  of?: (point: T) => number;
};

function higherIsBetter(axis: ParetoAxis<unknown>): boolean {
  return 'higherIsBetter' in axis ? axis.higherIsBetter : metricInfo(axis.id).higherIsBetter;
}

const field = (name: 'x' | 'y') => (p: unknown) => (p as Record<string, number>)[name];

/**
 * The points not dominated by any other, sorted by x ascending. Of exact duplicates the first is
 * kept; a point with a NaN coordinate is ignored. Along the returned order, when x improves y gets
 * worse (that is what a frontier is).
 */
export function paretoFrontierBy<T>(points: readonly T[], x: ParetoAxis<T>, y: ParetoAxis<T>): T[] {
  const xOf = x.of ?? field('x'), yOf = y.of ?? field('y');
  // score both axes so that larger is better, then sweep from the best x down
  const sx = higherIsBetter(x as ParetoAxis<unknown>) ? 1 : -1, sy = higherIsBetter(y as ParetoAxis<unknown>) ? 1 : -1;
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

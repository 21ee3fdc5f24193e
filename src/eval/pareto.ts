/**
 * Pareto frontiers whose directions come from the metric registry: a point is on the frontier when
 * no other point is at least as good on both axes and better on one, "good" being each metric's own
 * direction (recall and QPS up, loss and latency down, ...).
 */
import { nonDominated } from './dominance.js';
import { metricInfo } from './metric-registry.js';

/** One axis: a registry metric id (its direction is looked up) or an explicit direction, and how to read a point's value. */
export type ParetoAxis<T> = ({ id: string } | { higherIsBetter: boolean }) & {
  /** The point's value on this axis; default `point.x` / `point.y`. */
  of?: (point: T) => number;
};

function higherIsBetter(axis: { id: string } | { higherIsBetter: boolean }): boolean {
  return 'higherIsBetter' in axis ? axis.higherIsBetter : metricInfo(axis.id).higherIsBetter;
}

const field = (name: 'x' | 'y') => (p: unknown) => (p as Record<string, number>)[name];

/**
 * The frontier of `points` on two metrics, sorted by x ascending (along it, when x gets better y
 * gets worse). Of exact duplicates the first is kept; a point with a NaN coordinate is ignored; an
 * unknown metric id throws.
 */
export function paretoFrontierBy<T>(points: readonly T[], x: ParetoAxis<T>, y: ParetoAxis<T>): T[] {
  return nonDominated(points, x.of ?? field('x'), y.of ?? field('y'), higherIsBetter(x), higherIsBetter(y));
}

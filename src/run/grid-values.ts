/**
 * The values of a task file's grid: a value, a list (one cell per item), either one per scale
 * ({"small": …, "full": …}); and the filename-safe pieces cell ids are made of. Shared by the task
 * loader (src/run/task.ts) and the cell kinds (src/run/kinds/).
 */
import type { ParamValue } from '../core/params.js';

export type Scale = 'small' | 'full';
export const SCALES: readonly Scale[] = ['small', 'full'];

/** A value, or one value per scale. */
export type Scaled<T> = T | { small: T; full: T };
/** A grid value: one value, a list (one cell per item), or either per scale. */
export type Grid<T> = Scaled<T | T[]>;

export interface ScalePreset {
  /** Base rows kept (a seeded sample). */
  base?: number;
  /** Queries kept (the first N). */
  queries?: number;
  trainSize?: number;
  evalSize?: number;
  /** Seconds per cell. */
  timeout?: number;
}

function isScaledObject(v: unknown): v is { small: unknown; full: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'small' in v && 'full' in v;
}

/** The value for one scale. */
export function atScale<T>(v: Scaled<T>, scale: Scale): T {
  return isScaledObject(v) ? (v as { small: T; full: T })[scale] : (v as T);
}

/** Every value a grid field can take, over both scales (for validation). */
export function allValues<T>(v: Grid<T> | undefined): T[] {
  if (v === undefined) return [];
  const per = isScaledObject(v) ? [v.small, v.full] : [v];
  return (per as (T | T[])[]).flatMap((x) => (Array.isArray(x) ? x : [x]));
}

/** A record of (per-scale) values at one scale, as [name, value] fields for `cartesian`. */
export function resolveRecord<T = ParamValue | ParamValue[]>(r: Record<string, Scaled<T>> | undefined, scale: Scale): [string, T][] {
  return Object.entries(r ?? {}).map(([k, v]) => [k, atScale(v, scale)]);
}

/** A filename-safe piece of an id. */
export function slugify(s: string): string {
  return s.replace(/[^A-Za-z0-9._+-]+/g, '_').replace(/^[._]+/, '').replace(/_+$/, '') || 'x';
}

/** `name-value`, the id piece of a parameter. */
export function idPiece(name: string, v: unknown): string {
  return `${name}-${slugify(String(v))}`;
}

/** Deletes the undefined fields (a configuration is compared and written as JSON). */
export function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

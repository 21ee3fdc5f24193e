/**
 * Task files (tasks/*.json): load, validate, and expand into cells.
 *
 * A task is declarative: a name, a description, the paper result it reproduces, a seed, size
 * presets per scale (`small`, the default, and `full`, the paper's sizes), and a grid: datasets ×
 * (quantizers | indexes | inserts | the rate–distortion bound) plus MTEB models × quantizers: one
 * grid section per cell kind (src/run/kinds/, which check, expand, estimate and run their cells). Every
 * parameter given as a list expands into one cell per value; any value may also be given per scale
 * as {"small": …, "full": …}. The format is described in tasks/README.md and checked against
 * tasks/task.schema.json (by src/run/schema.ts; each kind's section against the kind's own
 * schema node), then against the registries; the first problem
 * is a ConfigError naming the file and the field, in one sentence.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../core/errors.js';
import { didYouMean } from '../core/names.js';
import { DATASET_NAMES, dataSpecLabel, parseDataSpec } from '../data/load.js';
import { SCALES, slugify, type Scale, type ScalePreset } from './grid-values.js';
import { CELL_KINDS, KINDS_BY_GRID_KEY, type AnyCellKind, type TaskGrid } from './kinds/registry.js';
import type { CellPlan, Fail } from './kinds/types.js';
import { SchemaValidator, formatPath, type JsonSchema } from './schema.js';

export { SCALES, atScale, slugify, type Grid, type Scale, type Scaled, type ScalePreset } from './grid-values.js';
export type { CellConfig, CellPlan } from './kinds/types.js';
export type { QuantizerSpec } from './kinds/quantize.js';
export type { IndexSpec } from './kinds/index.js';
export type { InsertSpec } from './kinds/insert.js';
export type { RdBoundSpec } from './kinds/rd-bound.js';
export type { MtebSpec } from './kinds/mteb.js';
export { quantizerBits } from './kinds/quantize.js';

export interface TaskFile {
  name: string;
  description: string;
  paper?: string;
  seed?: number;
  report?: boolean;
  /** Default timed runs of every timed search configuration (a grid entry's own `runs` wins). */
  runs?: number;
  /** Default builds of every timed build (a grid entry's own `buildRuns` wins). */
  buildRuns?: number;
  scale?: Partial<Record<Scale, ScalePreset>>;
  grid: TaskGrid;
}

export interface Task extends TaskFile {
  /** Absolute path of the task file. */
  path: string;
  /** The path as shown in messages (relative to the working directory when inside it). */
  file: string;
  /** Datasets as given, each with the spec the loader gets (files resolved to absolute paths). */
  datasetSpecs: { name: string; spec: string; slug: string }[];
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
/** The shipped tasks and their schema. */
export const TASKS_DIR = join(repoRoot, 'tasks');
export const SCHEMA_PATH = join(TASKS_DIR, 'task.schema.json');

let validator: SchemaValidator | null = null;
function schemaValidator(): SchemaValidator {
  validator ??= new SchemaValidator(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as JsonSchema);
  return validator;
}

/** Names of the shipped task files (tasks/*.json except the schema). */
export function shippedTasks(): string[] {
  return readdirSync(TASKS_DIR).filter((f) => f.endsWith('.json') && f !== 'task.schema.json').map((f) => f.slice(0, -5)).sort();
}

/** A task argument: a path to a .json file, or the name of a shipped task (`quickstart`). */
export function resolveTaskPath(arg: string): string {
  if (existsSync(arg)) return resolve(arg);
  const shipped = join(TASKS_DIR, arg.endsWith('.json') ? basename(arg) : `${arg}.json`);
  if (!arg.includes('/') && existsSync(shipped)) return shipped;
  const name = basename(arg).replace(/\.json$/, '');
  throw new ConfigError(`${arg} does not exist${didYouMean(name, shippedTasks())}; shipped tasks: ${shippedTasks().join(', ')}.`);
}

function displayPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : p;
}

/** "a, b and c" / "a, b or c". */
function listed(items: string[], last: 'and' | 'or'): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} ${last} ${items[items.length - 1]}`;
}

/** The kinds' sections a task's grid holds, in registry order. */
function sectionsOf(grid: TaskGrid): { kind: AnyCellKind; section: unknown }[] {
  const g = grid as Record<string, unknown>;
  return Object.values(CELL_KINDS).filter((k) => g[k.gridKey] !== undefined).map((kind) => ({ kind, section: g[kind.gridKey] }));
}

/** Reads, validates and returns a task; any problem is a ConfigError naming the file and field. */
export function loadTask(arg: string): Task {
  const path = resolveTaskPath(arg);
  const file = displayPath(path);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${file} is not valid JSON (${(e as Error).message.split('\n')[0]}).`);
  }
  const fail: Fail = (at, what) => {
    throw new ConfigError(`${file}: ${formatPath(at)} ${what}`);
  };
  const schema = schemaValidator();
  const problem = schema.validate(raw);
  if (problem) throw new ConfigError(`${file}: ${problem.message}`);
  const t = raw as TaskFile;
  // the grid's sections: each one a kind's, checked against that kind's schema node
  const g = t.grid as Record<string, unknown>;
  const gridKeys = ['datasets', ...Object.keys(KINDS_BY_GRID_KEY)];
  for (const [key, section] of Object.entries(g)) {
    if (key === 'datasets') continue;
    const kind = Object.hasOwn(KINDS_BY_GRID_KEY, key) ? KINDS_BY_GRID_KEY[key] : undefined;
    if (!kind) fail(['grid', key], `is not a known field${didYouMean(key, gridKeys)}; known: ${gridKeys.join(', ')}.`);
    const p = schema.validateAt(section, kind!.schema, ['grid', key]);
    if (p) throw new ConfigError(`${file}: ${p.message}`);
  }
  const sections = sectionsOf(t.grid);
  const kinds = Object.values(CELL_KINDS);
  if (!sections.some(({ section }) => !Array.isArray(section) || section.length > 0)) fail(['grid'], `lists no cells: give at least one of ${listed(kinds.map((k) => k.gridKey), 'or')}.`);
  if (sections.some(({ kind, section }) => kind.perDataset && (!Array.isArray(section) || section.length > 0)) && !t.grid.datasets) {
    fail(['grid'], `is missing the field 'datasets': ${listed(kinds.filter((k) => k.perDataset).map((k) => k.gridKey), 'and')} need at least one dataset.`);
  }

  const datasetSpecs = (t.grid.datasets ?? []).map((name, i) => ({ name, spec: resolveDataset(name, dirname(path), () => fail(['grid', 'datasets', i], `names no dataset: '${name}' is neither registered (known: ${DATASET_NAMES.join(', ')}) nor an existing file or folder${didYouMean(name, DATASET_NAMES) || '.'}`)), slug: datasetSlug(name) }));
  for (const { kind, section } of sections) kind.check(section, ['grid', kind.gridKey], fail);
  const task: Task = { ...t, path, file, datasetSpecs };
  // expansion problems (duplicate ids) are reported now, for both scales
  for (const s of SCALES) expandTask(task, s);
  return task;
}

function resolveDataset(name: string, taskDir: string, unknown: () => never): string {
  if (DATASET_NAMES.includes(name)) return name;
  if (existsSync(name)) return resolve(name);
  const besideTask = resolve(taskDir, name);
  if (existsSync(besideTask)) return besideTask;
  // a spec with options (data.fvecs:limit=N, src/data/data-spec.ts): its target resolved the same way
  const { target, limit } = parseDataSpec(name, DATASET_NAMES);
  if (target !== name) return dataSpecLabel({ target: resolveDataset(target, taskDir, unknown), limit });
  return unknown();
}

function datasetSlug(name: string): string {
  if (DATASET_NAMES.includes(name)) return name;
  const { target, limit } = parseDataSpec(name, DATASET_NAMES);
  const slug = DATASET_NAMES.includes(target) ? target : slugify(basename(target.replace(/\/+$/, ''), extname(target)));
  return limit === undefined ? slug : `${slug}-limit${limit}`;
}

/** The task's seed: its own, else 1234. */
export function taskSeed(task: TaskFile): number {
  return task.seed ?? 1234;
}

/**
 * The cells of a task at one scale: for each dataset, the cells of each per-dataset kind in
 * registry order, then the cells of the kinds without a dataset; ids are unique (a duplicate is a
 * ConfigError naming both entries).
 */
export function expandTask(task: Task, scale: Scale): CellPlan[] {
  const preset: ScalePreset = task.scale?.[scale] ?? {};
  const seed = taskSeed(task);
  const timeout = preset.timeout ?? null;
  const subset = preset.base !== undefined || preset.queries !== undefined ? { ...(preset.base !== undefined && { base: preset.base }), ...(preset.queries !== undefined && { queries: preset.queries }) } : null;
  const cells: CellPlan[] = [];
  const origin = new Map<string, string>();
  const sections = sectionsOf(task.grid);
  // the task-wide repeat counts ride along with the context; a kind that times things reads them
  const repeats = { ...(task.runs !== undefined && { runs: task.runs }), ...(task.buildRuns !== undefined && { buildRuns: task.buildRuns }) };
  const expand = (kinds: typeof sections, ds: Task['datasetSpecs'][number] | null) => {
    const earlier: CellPlan[] = [];
    for (const { kind, section } of kinds) {
      const dataset = ds && { name: ds.name, slug: ds.slug, subset };
      const ctx = { scale, seed, preset, dataset, earlier, ...repeats };
      for (const d of kind.expand(section, ctx)) {
        const id = d.pieces.map(slugify).join('.');
        const where = formatPath(d.at);
        const prev = origin.get(id);
        if (prev) throw new ConfigError(`${task.file}: ${where} gives the same cell as ${prev} (id ${id}) at scale ${scale}; give one of them a different label or parameter.`);
        origin.set(id, where);
        const cell: CellPlan = { id, timeout, kind: kind.kind, dataset: ds && { name: ds.name, spec: ds.spec, subset }, config: d.config };
        earlier.push(cell);
        cells.push(cell);
      }
    }
  };
  for (const ds of task.datasetSpecs) expand(sections.filter((s) => s.kind.perDataset), ds);
  expand(sections.filter((s) => !s.kind.perDataset), null);
  return cells;
}

/** Flattened config: `build.nlist` and its last segment `nlist` both name a field. */
function flatten(o: unknown, prefix = '', out: Map<string, unknown[]> = new Map()): Map<string, unknown[]> {
  if (typeof o === 'object' && o !== null && !Array.isArray(o)) {
    for (const [k, v] of Object.entries(o)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    return out;
  }
  const push = (key: string) => out.set(key, [...(out.get(key) ?? []), o]);
  push(prefix);
  const last = prefix.split('.').pop()!;
  if (last !== prefix) push(last);
  return out;
}

/**
 * `--only` filters: `key=value` matches a config field (by full dotted name or last segment; a list
 * field matches when it contains the value; `id` and `kind` too; `key=a,b` matches either), anything
 * else is a substring of the cell id; a leading `!` negates a filter. A cell runs when it matches
 * every filter.
 */
export function matchesFilters(cell: CellPlan, filters: string[]): boolean {
  if (filters.length === 0) return true;
  const flat = flatten({ ...cell.config, id: cell.id, kind: cell.kind });
  return filters.every((given) => {
    const negate = given.startsWith('!');
    const f = negate ? given.slice(1) : given;
    return matchOne(f) !== negate;
  });
  function matchOne(f: string): boolean {
    const m = /^([A-Za-z_][\w.-]*)=(.*)$/.exec(f);
    if (!m) return cell.id.includes(f);
    const [, key, want] = m;
    const alternatives = want.split(','); // method=wrvq,rvq: either
    const values = flat.get(key) ?? [];
    return values.some((v) => (Array.isArray(v) ? v.map(String) : [String(v)]).some((s) => s === want || alternatives.includes(s)));
  }
}

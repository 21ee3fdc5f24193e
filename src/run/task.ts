/**
 * Task files (tasks/*.json): load, validate, and expand into cells.
 *
 * A task is declarative: a name, a description, the paper result it reproduces, a seed, size
 * presets per scale (`small`, the default, and `full`, the paper's sizes), and a grid: datasets ×
 * (quantizers | indexes | inserts | the rate–distortion bound) plus MTEB models × quantizers. Every
 * parameter given as a list expands into one cell per value; any value may also be given per scale
 * as {"small": …, "full": …}. The format is described in tasks/README.md and checked against
 * tasks/task.schema.json (by src/run/schema.ts), then against the registries; the first problem
 * is a ConfigError naming the file and the field, in one sentence.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../core/errors.js';
import { didYouMean } from '../core/names.js';
import { DATASET_NAMES } from '../data/load.js';
import { canonicalName, type ParamSpec, type ParamValue } from '../core/params.js';
import { INDEXES, INDEX_IDS } from '../index/registry.js';
import { QUANTIZERS, QUANTIZER_IDS, createQuantizer, pickQuantizerParams } from '../quant/registry.js';
import { WEIGHT_RULES } from '../quant/wrvq.js';
import type { CellKind } from './result.js';
import { SchemaValidator, formatPath, show, type JsonSchema } from './schema.js';

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

export interface QuantizerSpec {
  method: Grid<string>;
  books?: Grid<number>;
  size?: Grid<number>;
  /** PQ's own names of books and size (faiss's vocabulary); the other quantizers take them as aliases. */
  m?: Grid<number>;
  nbits?: Grid<number>;
  beam?: Grid<number>;
  weights?: Grid<string>;
  trainer?: Grid<string>;
  trainSize?: Grid<number>;
  evalSize?: Grid<number>;
  adamIters?: Grid<number>;
  adamLr?: Grid<number>;
  label?: string;
}

export interface IndexSpec {
  index: string;
  label?: string;
  build?: Record<string, Grid<ParamValue>>;
  search?: Record<string, Scaled<ParamValue>>;
  sweep?: Record<string, Scaled<ParamValue[]>>;
  k?: number;
  queries?: number;
  warmup?: number;
}

export interface InsertSpec {
  index: string;
  label?: string;
  build?: Record<string, Grid<ParamValue>>;
  search?: Record<string, Scaled<ParamValue>>;
  batches: Scaled<number[]>;
  k?: number;
  queries?: number;
}

export interface RdBoundSpec {
  rows?: number;
  bits?: number[];
  curvePoints?: number;
}

export interface MtebSpec {
  models: string[];
  tasks: string[];
  quantizers?: QuantizerSpec[];
  original?: boolean;
  trainCorpus?: string;
  trainSize?: Grid<number>;
}

export interface TaskFile {
  name: string;
  description: string;
  paper?: string;
  seed?: number;
  report?: boolean;
  scale?: Partial<Record<Scale, ScalePreset>>;
  grid: {
    datasets?: string[];
    quantizers?: QuantizerSpec[];
    indexes?: IndexSpec[];
    inserts?: InsertSpec[];
    rdBound?: RdBoundSpec;
    mteb?: MtebSpec[];
  };
}

export interface Task extends TaskFile {
  /** Absolute path of the task file. */
  path: string;
  /** The path as shown in messages (relative to the working directory when inside it). */
  file: string;
  /** Datasets as given, each with the spec the loader gets (files resolved to absolute paths). */
  datasetSpecs: { name: string; spec: string; slug: string }[];
}

/** One unit of work: one child process, one result file. */
export interface CellPlan {
  /** Stable, filename-safe id, unique within the task: the result is `<id>.json`. */
  id: string;
  kind: CellKind;
  /** The dataset the cell runs on (null for mteb cells), and the subset the scale asks for. */
  dataset: { name: string; spec: string; subset: { base?: number; queries?: number } | null } | null;
  /** The full configuration after expansion; recorded in the result file; a re-run re-uses a result only if it is equal. */
  config: Record<string, unknown>;
  /** Seconds before the cell is killed (null: no limit). */
  timeout: number | null;
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

function isScaledObject(v: unknown): v is { small: unknown; full: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'small' in v && 'full' in v;
}

/** The value for one scale. */
export function atScale<T>(v: Scaled<T>, scale: Scale): T {
  return isScaledObject(v) ? (v as { small: T; full: T })[scale] : (v as T);
}

/** Every value a grid field can take, over both scales (for validation). */
function allValues<T>(v: Grid<T> | undefined): T[] {
  if (v === undefined) return [];
  const per = isScaledObject(v) ? [v.small, v.full] : [v];
  return (per as (T | T[])[]).flatMap((x) => (Array.isArray(x) ? x : [x]));
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
  const problem = schemaValidator().validate(raw);
  if (problem) throw new ConfigError(`${file}: ${problem.message}`);
  const t = raw as TaskFile;
  const fail = (path: (string | number)[], what: string): never => {
    throw new ConfigError(`${file}: ${formatPath(path)} ${what}`);
  };
  const g = t.grid;
  const cellLists = [g.quantizers?.length, g.indexes?.length, g.inserts?.length, g.rdBound ? 1 : 0, g.mteb?.length];
  if (!cellLists.some((n) => (n ?? 0) > 0)) fail(['grid'], 'lists no cells: give at least one of quantizers, indexes, inserts, rdBound or mteb.');
  const needsData = (g.quantizers?.length ?? 0) + (g.indexes?.length ?? 0) + (g.inserts?.length ?? 0) > 0 || g.rdBound !== undefined;
  if (needsData && !g.datasets) fail(['grid'], 'is missing the field \'datasets\': quantizers, indexes, inserts and rdBound need at least one dataset.');

  const datasetSpecs = (g.datasets ?? []).map((name, i) => ({ name, spec: resolveDataset(name, dirname(path), () => fail(['grid', 'datasets', i], `names no dataset: '${name}' is neither registered (known: ${DATASET_NAMES.join(', ')}) nor an existing file or folder${didYouMean(name, DATASET_NAMES) || '.'}`)), slug: datasetSlug(name) }));
  (g.quantizers ?? []).forEach((q, i) => checkQuantizer(q, ['grid', 'quantizers', i], fail));
  (g.indexes ?? []).forEach((x, i) => checkIndex(x, ['grid', 'indexes', i], fail, false));
  (g.inserts ?? []).forEach((x, i) => checkIndex(x, ['grid', 'inserts', i], fail, true));
  (g.mteb ?? []).forEach((m, i) => (m.quantizers ?? []).forEach((q, j) => checkQuantizer(q, ['grid', 'mteb', i, 'quantizers', j], fail)));
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
  return unknown();
}

/** A filename-safe piece of an id. */
export function slugify(s: string): string {
  return s.replace(/[^A-Za-z0-9._+-]+/g, '_').replace(/^[._]+/, '').replace(/_+$/, '') || 'x';
}

function datasetSlug(name: string): string {
  if (DATASET_NAMES.includes(name)) return name;
  return slugify(basename(name.replace(/\/+$/, ''), extname(name)));
}

type Fail = (path: (string | number)[], what: string) => never;

const COMMON_QUANTIZER_FIELDS = ['method', 'label', 'trainer', 'trainSize', 'evalSize', 'adamIters', 'adamLr', 'books', 'size'];

function checkQuantizer(q: QuantizerSpec, at: (string | number)[], fail: Fail): void {
  const methods = allValues(q.method);
  for (const m of methods) {
    if (!Object.hasOwn(QUANTIZERS, m)) fail([...at, 'method'], `names an unknown quantizer '${m}'${didYouMean(m, QUANTIZER_IDS)}; known: ${QUANTIZER_IDS.join(', ')}.`);
  }
  for (const field of Object.keys(q)) {
    if (COMMON_QUANTIZER_FIELDS.includes(field)) continue;
    const readers = methods.filter((m) => canonicalName(QUANTIZERS[m].params, field) !== null);
    if (readers.length === 0) {
      fail([...at, field], `is not a parameter of ${methods.join(' or ')} (${methods.map((m) => `${m}: ${Object.keys(QUANTIZERS[m].params).join(', ')}`).join('; ')}).`);
    }
  }
  for (const w of allValues(q.weights)) if (!(WEIGHT_RULES as readonly string[]).includes(w)) fail([...at, 'weights'], `must be one of ${WEIGHT_RULES.map((r) => `'${r}'`).join(', ')}, got ${show(w)}.`);
}

/** What a registry parameter accepts, as a noun phrase; null when v is acceptable. */
export function paramProblem(spec: ParamSpec, v: ParamValue): string | null {
  if (typeof spec.default === 'number') {
    const integer = spec.integer ?? true;
    const ok = typeof v === 'number' && Number.isFinite(v) && (!integer || Number.isInteger(v)) &&
      (spec.min === undefined || v >= spec.min) && (spec.max === undefined || v <= spec.max);
    if (ok) return null;
    const noun = integer ? 'integer' : 'number';
    if (spec.max !== undefined) return `${integer ? 'an' : 'a'} ${noun} from ${spec.min ?? '-∞'} to ${spec.max}`;
    if (spec.min === 1 && integer) return 'a positive integer';
    if (spec.min === 0) return `a non-negative ${noun}`;
    if (spec.min !== undefined) return `${integer ? 'an' : 'a'} ${noun} ≥ ${spec.min}`;
    return integer ? 'an integer' : 'a number';
  }
  if (typeof spec.default === 'boolean') return typeof v === 'boolean' ? null : 'true or false';
  if (typeof v !== 'string') return spec.choices ? `one of ${spec.choices.map((c) => `'${c}'`).join(', ')}` : 'a string';
  if (spec.choices && !spec.choices.includes(v)) return `one of ${spec.choices.map((c) => `'${c}'`).join(', ')}`;
  return null;
}

/** Index ids a task may name besides the registry's: backends recorded as "not run" with their reason. */
export const NOT_RUN_INDEXES = ['chroma'];

function checkIndex(x: IndexSpec | InsertSpec, at: (string | number)[], fail: Fail, insert: boolean): void {
  if (NOT_RUN_INDEXES.includes(x.index) && !insert) return; // recorded as not run; its parameters are not checked
  if (!Object.hasOwn(INDEXES, x.index)) {
    fail([...at, 'index'], `names an unknown index '${x.index}'${didYouMean(x.index, INDEX_IDS)}; known: ${INDEX_IDS.join(', ')}.`);
  }
  const e = INDEXES[x.index];
  if (insert && !e.capabilities.add) fail([...at, 'index'], `names ${x.index}, which does not support incremental insert.`);
  const check = (group: 'build' | 'search' | 'sweep', specs: Readonly<Record<string, ParamSpec>>, values: Record<string, unknown> | undefined) => {
    for (const [name, v] of Object.entries(values ?? {})) {
      const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
      if (!spec) {
        const known = Object.keys(specs);
        fail([...at, group, name], `is not a ${group === 'build' ? 'build' : 'search'} parameter of ${x.index}${didYouMean(name, known)}; its ${group === 'build' ? 'build' : 'search'} parameters: ${known.join(', ') || '(none)'}.`);
      }
      for (const one of allValues(v as Grid<ParamValue>)) {
        const expected = paramProblem(spec!, one);
        if (expected) fail([...at, group, name], `must be ${expected}, got ${show(one)}.`);
      }
    }
  };
  check('build', e.buildParams, x.build);
  check('search', e.searchParams, x.search);
  if (!insert) {
    const sweep = (x as IndexSpec).sweep;
    check('sweep', e.searchParams, sweep);
    for (const name of Object.keys(sweep ?? {})) {
      if (x.search && Object.hasOwn(x.search, name)) fail([...at, 'sweep', name], 'is also fixed in search: give it in one of the two.');
    }
  }
}

/** Every combination of the fields' values (lists expand), in field order. */
function combinations(fields: [string, unknown][]): Record<string, unknown>[] {
  let out: Record<string, unknown>[] = [{}];
  for (const [name, v] of fields) {
    if (v === undefined) continue;
    const values = Array.isArray(v) ? v : [v];
    out = out.flatMap((c) => values.map((x) => ({ ...c, [name]: x })));
  }
  return out;
}

function resolveRecord(r: Record<string, unknown> | undefined, scale: Scale): [string, unknown][] {
  return Object.entries(r ?? {}).map(([k, v]) => [k, atScale(v as Scaled<unknown>, scale)]);
}

function idPiece(name: string, v: unknown): string {
  return `${name}-${slugify(String(v))}`;
}

const QUANTIZER_FIELDS = ['method', 'books', 'size', 'm', 'nbits', 'beam', 'weights', 'trainer', 'adamIters', 'adamLr', 'trainSize', 'evalSize'] as const;

/** Expanded quantizer configurations (method-specific fields dropped for methods that do not read them). */
function expandQuantizers(q: QuantizerSpec, scale: Scale): Record<string, unknown>[] {
  const fields = QUANTIZER_FIELDS.map((f): [string, unknown] => [f, q[f] === undefined ? undefined : atScale(q[f] as Scaled<unknown>, scale)]);
  const seen = new Set<string>();
  const out: Record<string, unknown>[] = [];
  for (const c of combinations(fields)) {
    const method = c.method as string;
    for (const f of Object.keys(c)) if (!(COMMON_QUANTIZER_FIELDS.includes(f) || canonicalName(QUANTIZERS[method].params, f))) delete c[f];
    const key = JSON.stringify(c);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(c);
    }
  }
  return out;
}

/** Bits per vector of a quantizer configuration (every stored bit), without training it. */
export function quantizerBits(c: Record<string, unknown>): number | null {
  try {
    return createQuantizer(c.method as string, pickQuantizerParams(c.method as string, c)).bitsPerVector;
  } catch {
    return null;
  }
}

/** The task's seed: its own, else 1234. */
export function taskSeed(task: TaskFile): number {
  return task.seed ?? 1234;
}

/** The cells of a task at one scale, in file order; ids are unique (a duplicate is a ConfigError). */
export function expandTask(task: Task, scale: Scale): CellPlan[] {
  const preset: ScalePreset = task.scale?.[scale] ?? {};
  const seed = taskSeed(task);
  const timeout = preset.timeout ?? null;
  const subset = preset.base !== undefined || preset.queries !== undefined ? { ...(preset.base !== undefined && { base: preset.base }), ...(preset.queries !== undefined && { queries: preset.queries }) } : null;
  const cells: CellPlan[] = [];
  const origin = new Map<string, string>();
  const add = (where: string, pieces: string[], c: Omit<CellPlan, 'id' | 'timeout'>) => {
    const id = pieces.map(slugify).join('.');
    const prev = origin.get(id);
    if (prev) throw new ConfigError(`${task.file}: ${where} gives the same cell as ${prev} (id ${id}) at scale ${scale}; give one of them a different label or parameter.`);
    origin.set(id, where);
    cells.push({ id, timeout, ...c });
  };
  const g = task.grid;
  for (const ds of task.datasetSpecs) {
    const dataset = { name: ds.name, spec: ds.spec, subset };
    const common = { dataset: ds.name, subset, seed, scale };
    const quantizeBits: number[] = [];
    (g.quantizers ?? []).forEach((q, i) => {
      for (const c of expandQuantizers(q, scale)) {
        const given = Object.entries(c).filter(([k]) => k !== 'method');
        const config = { kind: 'quantize', ...common, ...c, ...(q.label && { label: q.label }), trainSize: c.trainSize ?? preset.trainSize, evalSize: c.evalSize ?? preset.evalSize };
        const bits = quantizerBits(c);
        if (bits !== null) quantizeBits.push(bits);
        add(`grid.quantizers[${i}]`, ['quantize', ds.slug, ...(q.label ? [q.label] : []), c.method as string, ...given.map(([k, v]) => idPiece(k, v))], { kind: 'quantize', dataset, config: dropUndefined(config) });
      }
    });
    (g.indexes ?? []).forEach((x, i) => {
      const search = Object.fromEntries(resolveRecord(x.search, scale));
      const sweep = Object.fromEntries(resolveRecord(x.sweep, scale));
      for (const build of combinations(resolveRecord(x.build, scale))) {
        const config = { kind: 'index', ...common, index: x.index, ...(x.label && { label: x.label }), build, search, sweep, k: x.k, queries: x.queries, warmup: x.warmup };
        const pieces = ['index', ds.slug, x.label ?? x.index, ...Object.entries(build).map(([k, v]) => idPiece(k, v)), ...Object.entries(search).map(([k, v]) => idPiece(k, v))];
        add(`grid.indexes[${i}]`, pieces, { kind: 'index', dataset, config: dropUndefined(config) });
      }
    });
    (g.inserts ?? []).forEach((x, i) => {
      const search = Object.fromEntries(resolveRecord(x.search, scale));
      for (const build of combinations(resolveRecord(x.build, scale))) {
        const config = { kind: 'insert', ...common, index: x.index, ...(x.label && { label: x.label }), build, search, batches: atScale(x.batches, scale), k: x.k, queries: x.queries };
        const pieces = ['insert', ds.slug, x.label ?? x.index, ...Object.entries(build).map(([k, v]) => idPiece(k, v)), ...Object.entries(search).map(([k, v]) => idPiece(k, v))];
        add(`grid.inserts[${i}]`, pieces, { kind: 'insert', dataset, config: dropUndefined(config) });
      }
    });
    if (g.rdBound) {
      const bits = [...new Set([...(g.rdBound.bits ?? []), ...quantizeBits])].sort((a, b) => a - b);
      const config = { kind: 'rd-bound', ...common, rows: g.rdBound.rows ?? preset.trainSize ?? 50_000, bits, curvePoints: g.rdBound.curvePoints };
      add('grid.rdBound', ['rd-bound', ds.slug], { kind: 'rd-bound', dataset, config: dropUndefined(config) });
    }
  }
  (g.mteb ?? []).forEach((m, i) => {
    const trainSize = m.trainSize === undefined ? [undefined] : ([] as (number | undefined)[]).concat(atScale(m.trainSize, scale));
    for (const model of m.models) {
      for (const ts of trainSize) {
        const common = { kind: 'mteb', model, tasks: m.tasks, trainCorpus: m.trainCorpus, trainSize: ts, seed, scale };
        const tsPiece = m.trainSize !== undefined && Array.isArray(atScale(m.trainSize, scale)) ? [idPiece('trainSize', ts)] : [];
        if (m.original ?? true) add(`grid.mteb[${i}]`, ['mteb', model, 'original', ...tsPiece], { kind: 'mteb', dataset: null, config: dropUndefined({ ...common, quantizer: null }) });
        (m.quantizers ?? []).forEach((q) => {
          for (const c of expandQuantizers(q, scale)) {
            const given = Object.entries(c).filter(([k]) => k !== 'method');
            add(`grid.mteb[${i}]`, ['mteb', model, ...(q.label ? [q.label] : []), c.method as string, ...given.map(([k, v]) => idPiece(k, v)), ...tsPiece],
              { kind: 'mteb', dataset: null, config: dropUndefined({ ...common, quantizer: c, ...(q.label && { label: q.label }) }) });
          }
        });
      }
    }
  });
  return cells;
}

function dropUndefined<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
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

/**
 * Reads a run folder `results/<run>/`: `run.json` (task, scale, planned cells) and one CellResult
 * per cell (`<cell>.json`, src/run/result.ts). Every file is validated; a missing, unreadable or
 * malformed file is an InputError whose one sentence names the file and what is wrong with it.
 * Planned cells without a result file are kept as `missing`, so the report lists them instead of
 * dropping them silently. JSON files that are not cell results (no `schema` field, not a planned
 * cell: the runner's sidecars) are listed as `ignored`; cell results whose id the plan no longer
 * lists (an earlier plan of the same run) are `stale` and left out of the numbers.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { InputError } from '../core/errors.js';
import { CELL_KIND_IDS, cellKind } from '../run/kinds/registry.js';
import { isObject } from '../run/kinds/common.js';
import { RESULT_SCHEMA, type CellKind, type CellResult, type CellStatus } from '../run/result.js';


export const CELL_STATUSES: readonly CellStatus[] = ['ok', 'failed', 'timeout', 'not-run'];

export interface RunMeta {
  task: string | null;
  scale: string | null;
  /** The run id and seed run.json records (null when it does not): every cell result must carry the same. */
  run: string | null;
  seed: number | null;
  /** Cell ids the runner planned (from run.json), in its order; empty when it lists none. */
  planned: string[];
  /** Everything else run.json holds (shown as-is in the report's run section). */
  extra: Record<string, unknown>;
}

export interface LoadedRun {
  /** Absolute path of the run folder. */
  dir: string;
  /** Run id = folder name. */
  name: string;
  meta: RunMeta;
  /** Valid cell results, sorted by kind then cell id. */
  cells: CellResult[];
  /** Planned cells (run.json) with no result file. */
  missing: string[];
  /** Other JSON files in the folder that are not cell results (sidecars). */
  ignored: string[];
  /** Cell results whose id run.json does not plan (left by an earlier plan of the run): not reported. */
  stale: string[];
}


function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`${file}: cannot read ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message.replace(/\s+/g, ' ');
    throw new InputError(`${file} is not valid JSON (${text.trim() === '' ? 'the file is empty' : msg}); the ${what} may be truncated.`);
  }
}

function readMeta(file: string): RunMeta {
  const j = readJson(file, 'run description');
  if (!isObject(j)) throw new InputError(`${file} must hold a JSON object (task, scale, planned cells).`);
  const str = (k: string) => (typeof j[k] === 'string' ? (j[k] as string) : null);
  const list = j.cells ?? j.planned ?? j.plannedCells;
  const planned: string[] = [];
  if (list !== undefined) {
    if (!Array.isArray(list)) throw new InputError(`${file}: 'cells' must be a list of cell ids.`);
    for (const [i, c] of list.entries()) {
      const id = typeof c === 'string' ? c : isObject(c) ? (c.cell ?? c.id) : undefined;
      if (typeof id !== 'string' || id === '') throw new InputError(`${file}: planned cell ${i + 1} has no cell id.`);
      planned.push(id);
    }
  }
  const extra = Object.fromEntries(Object.entries(j).filter(([k]) => !['task', 'scale', 'cells', 'planned', 'plannedCells'].includes(k)));
  return { task: str('task'), scale: str('scale'), run: str('run'), seed: typeof j.seed === 'number' ? j.seed : null, planned, extra };
}


/** Validates one parsed cell file; returns it typed, or throws naming the file. */
export function validateCell(file: string, j: unknown): CellResult {
  const bad = (why: string) => new InputError(`${file} is not a valid vqbench cell result: ${why}.`);
  if (!isObject(j)) throw bad('it must hold a JSON object');
  if (j.schema !== RESULT_SCHEMA) {
    throw bad(typeof j.schema === 'string' ? `schema '${j.schema}' is not supported (this report reads '${RESULT_SCHEMA}')` : `'schema' must be '${RESULT_SCHEMA}'`);
  }
  for (const k of ['run', 'task', 'cell']) if (typeof j[k] !== 'string') throw bad(`'${k}' must be a string`);
  if (!(CELL_KIND_IDS as readonly string[]).includes(j.kind as string)) throw bad(`'kind' must be one of ${CELL_KIND_IDS.join(', ')}, got ${JSON.stringify(j.kind)}`);
  if (!CELL_STATUSES.includes(j.status as CellStatus)) throw bad(`'status' must be one of ${CELL_STATUSES.join(', ')}, got ${JSON.stringify(j.status)}`);
  if (j.cell !== basename(file, '.json')) throw bad(`its cell id '${j.cell as string}' does not match the file name`);
  if (!isObject(j.config)) throw bad("'config' must be an object");
  if (!isObject(j.env)) throw bad("'env' must be an object");
  if (!isObject(j.timing)) throw bad("'timing' must be an object");
  if (j.error !== null && j.error !== undefined && typeof j.error !== 'string') throw bad("'error' must be a string or null");
  if (j.status !== 'ok' && (typeof j.error !== 'string' || j.error.trim() === '')) throw bad(`status '${j.status as string}' needs its reason in 'error'`);
  if (j.status === 'ok') {
    if (j.metrics === null || j.metrics === undefined) throw bad("status 'ok' but 'metrics' is null");
    const p = cellKind(j.kind as string).resultProblem(j.metrics);
    if (p) throw bad(p);
  }
  return { ...(j as unknown as CellResult), error: (j.error as string | null | undefined) ?? null, definitions: isObject(j.definitions) ? (j.definitions as Record<string, string>) : {} };
}

/** A cell result copied from another run (another task, run id or seed than run.json's) is refused: its numbers would be reported as this run's. */
function belongsToRun(file: string, c: CellResult, meta: RunMeta, metaFile: string): CellResult {
  const differs = ([['task', c.task, meta.task], ['run', c.run, meta.run], ['seed', c.seed, meta.seed]] as const).filter(([, mine, theirs]) => theirs !== null && mine !== theirs);
  if (differs.length) {
    const what = differs.map(([k, mine, theirs]) => `${k} ${JSON.stringify(mine)} (${metaFile} says ${JSON.stringify(theirs)})`).join(', ');
    throw new InputError(`${file} does not belong to this run: its ${what}; remove it or move it to the run it came from.`);
  }
  return c;
}

const KIND_ORDER = new Map(CELL_KIND_IDS.map((k, i) => [k, i]));

/** Reads and validates `runDir`; throws an InputError naming the first bad or missing file. */
export function loadRun(runDir: string): LoadedRun {
  const dir = resolve(runDir);
  if (!existsSync(dir)) throw new InputError(`${runDir}: no such run folder.`);
  if (!statSync(dir).isDirectory()) throw new InputError(`${runDir} is not a folder (give the run folder results/<run>/).`);
  const metaFile = join(dir, 'run.json');
  if (!existsSync(metaFile)) throw new InputError(`${metaFile} is missing: ${runDir} is not a vqbench run folder.`);
  const meta = readMeta(metaFile);
  const planned = new Set(meta.planned);
  const cells: CellResult[] = [];
  const ignored: string[] = [];
  const names = readdirSync(dir).filter((n) => n.endsWith('.json') && n !== 'run.json' && statSync(join(dir, n)).isFile()).sort();
  for (const name of names) {
    const file = join(dir, name);
    const j = readJson(file, 'cell result');
    if (isObject(j) && j.schema === undefined && !planned.has(basename(name, '.json'))) {
      ignored.push(name);
      continue;
    }
    cells.push(belongsToRun(file, validateCell(file, j), meta, metaFile));
  }
  if (cells.length === 0 && planned.size === 0) throw new InputError(`${runDir} holds no cell results and its run.json plans none.`);
  const stale = planned.size ? cells.filter((c) => !planned.has(c.cell)).map((c) => c.cell) : [];
  if (stale.length) cells.splice(0, cells.length, ...cells.filter((c) => planned.has(c.cell)));
  const have = new Set(cells.map((c) => c.cell));
  cells.sort((a, b) => KIND_ORDER.get(a.kind)! - KIND_ORDER.get(b.kind)! || (a.cell < b.cell ? -1 : a.cell > b.cell ? 1 : 0));
  return { dir, name: basename(dir), meta, cells, missing: meta.planned.filter((c) => !have.has(c)), ignored, stale };
}

/**
 * Streaming runbooks in big-ann-benchmarks' format (its streaming track, benchmark/streaming/
 * load_runbook.py): a YAML (or JSON) object whose top key is the dataset name, holding `max_pts`
 * (the most rows live at once), optionally `gt_url`, and the steps `1, 2, 3, …` read in order:
 *
 *   glove-100:
 *     max_pts: 10000
 *     1: { operation: insert, start: 0, end: 10000 }
 *     2: { operation: search }
 *     3: { operation: delete, start: 0, end: 5000 }
 *
 * Ids are row numbers of the dataset's base; `insert {start, end}` adds rows [start, end),
 * `delete {start, end}` removes them, `search` runs the dataset's queries. big-ann's `replace` is
 * refused (one sentence). Every step is dry-run before any work (`planRunbook`): the live set at
 * each step, so a delete of a row never inserted, a search with nothing live, a range outside the
 * base, a live count above max_pts, ... are one sentence naming the file and the step.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../core/errors.js';
import { fsInputError } from '../core/fs-errors.js';

export type RunbookStep =
  | { step: number; operation: 'insert' | 'delete'; start: number; end: number }
  | { step: number; operation: 'search' };

export interface Runbook {
  file: string;
  /** The top key the steps were read from. */
  dataset: string;
  maxPts: number;
  steps: RunbookStep[];
  /** sha256 (16 hex) of the dataset key's steps and max_pts as canonical JSON: YAML and JSON of the same runbook share it. */
  hash: string;
}

const OPERATIONS = ['insert', 'delete', 'search'] as const;
const TOP_KEYS = new Set(['max_pts', 'gt_url']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads and checks the structure of a runbook file; `datasetNames` are the names the dataset
 * answers to (the top key is looked up among them; a file with a single top key is used as it is).
 */
export function readRunbook(file: string, datasetNames: string[]): Runbook {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw fsInputError(e, file, 'read', 'the runbook') ?? e;
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new InputError(`--runbook ${file} cannot be read as YAML or JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  return runbookFrom(doc, file, datasetNames);
}

/** The checked runbook of a parsed document (see readRunbook). */
export function runbookFrom(doc: unknown, file: string, datasetNames: string[]): Runbook {
  const fail = (what: string): never => {
    throw new InputError(`--runbook ${file}: ${what}`);
  };
  if (!isObject(doc) || Object.keys(doc).length === 0) fail('expected an object whose top key is the dataset name (big-ann-benchmarks\' streaming runbook format).');
  const keys = Object.keys(doc as object);
  const key = keys.find((k) => datasetNames.includes(k)) ?? (keys.length === 1 ? keys[0] : null);
  if (key === null) fail(`has no runbook for dataset ${datasetNames[0]} (its top keys: ${keys.join(', ')}).`);
  const body = (doc as Record<string, unknown>)[key!];
  if (!isObject(body)) fail(`${key} must hold max_pts and the steps 1, 2, 3, ...`);
  const b = body as Record<string, unknown>;
  const maxPts = b.max_pts;
  if (typeof maxPts !== 'number' || !Number.isInteger(maxPts) || maxPts < 1) fail(`${key}.max_pts must be a positive integer (the most rows live at once), got ${JSON.stringify(maxPts)}.`);
  for (const k of Object.keys(b)) if (!TOP_KEYS.has(k) && !/^[1-9]\d*$/.test(k)) fail(`${key} has an unknown key '${k}' (expected max_pts, gt_url and the steps 1, 2, 3, ...).`);
  const numbered = Object.keys(b).filter((k) => /^\d+$/.test(k)).map(Number).sort((x, y) => x - y);
  if (numbered.length === 0 || numbered[0] !== 1) fail(`${key} has no steps (step 1 is missing).`);
  numbered.forEach((n, i) => {
    if (n !== i + 1) fail(`step ${n} follows a gap (there is no step ${i + 1}); big-ann-benchmarks reads steps until the first gap.`);
  });
  const steps = numbered.map((n) => stepFrom(b[String(n)], n, fail));
  const hash = createHash('sha256').update(JSON.stringify({ maxPts, steps })).digest('hex').slice(0, 16);
  return { file, dataset: key!, maxPts: maxPts as number, steps, hash };
}

function stepFrom(v: unknown, n: number, fail: (what: string) => never): RunbookStep {
  if (!isObject(v)) fail(`step ${n} must be an object with an operation (insert, delete or search).`);
  const s = v as Record<string, unknown>;
  const op = s.operation;
  if (op === undefined) fail(`step ${n} has no operation (insert, delete or search).`);
  if (op === 'replace') fail(`step ${n}: replace is not supported by vqbench (use a delete step and an insert step of new rows).`);
  if (typeof op !== 'string' || !(OPERATIONS as readonly string[]).includes(op)) {
    fail(`step ${n} has an unknown operation ${JSON.stringify(op)} (expected insert, delete or search).`);
  }
  const allowed = op === 'search' ? ['operation'] : ['operation', 'start', 'end'];
  for (const k of Object.keys(s)) if (!allowed.includes(k)) fail(`step ${n} (${op}) has an unknown key '${k}' (expected ${allowed.join(', ')}).`);
  if (op === 'search') return { step: n, operation: 'search' };
  for (const k of ['start', 'end']) {
    const x = s[k];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) fail(`step ${n} (${op}) needs ${k} as a non-negative integer row number, got ${JSON.stringify(x)}.`);
  }
  const start = s.start as number, end = s.end as number;
  if (end <= start) fail(`step ${n} (${op}) has end ${end} ≤ start ${start}: the range [start, end) is empty.`);
  return { step: n, operation: op as 'insert' | 'delete', start, end };
}

/** What the dry run found: rows live after each step, and the steps that search. */
export interface RunbookPlan {
  /** Live rows after each step, in step order. */
  liveAfter: number[];
  searches: number;
  /** Rows ever inserted (the base rows the run touches). */
  inserted: number;
  deletes: number;
}

/**
 * Dry-runs the runbook over a base of `rows` rows, searching `k` neighbours: every range inside the
 * base, no row inserted twice, no delete of a row not live, no search with fewer than k rows live,
 * never more than max_pts live. The first problem is one sentence naming the file and the step.
 */
export function planRunbook(rb: Runbook, rows: number, k: number): RunbookPlan {
  const fail = (step: number, what: string): never => {
    throw new InputError(`--runbook ${rb.file}: step ${step} ${what}`);
  };
  // 0 = never inserted, +s = inserted at step s (live), −s = deleted at step s
  const state = new Int32Array(rows);
  const liveAfter: number[] = [];
  let live = 0, searches = 0, inserted = 0, deletes = 0;
  for (const s of rb.steps) {
    if (s.operation === 'search') {
      if (live === 0) fail(s.step, 'searches before any row is live (insert rows first).');
      if (live < k) fail(s.step, `searches ${live} live rows, fewer than k = ${k}.`);
      searches++;
    } else {
      if (s.end > rows) fail(s.step, `(${s.operation}) reaches row ${s.end - 1}, outside the ${rows} base rows of the dataset (rows 0 to ${rows - 1}).`);
      for (let r = s.start; r < s.end; r++) {
        const was = state[r];
        if (s.operation === 'insert') {
          if (was > 0) fail(s.step, `inserts row ${r}, already live since step ${was}.`);
          if (was < 0) fail(s.step, `inserts row ${r} again (deleted at step ${-was}); each row is inserted once.`);
          state[r] = s.step;
        } else {
          if (was === 0) fail(s.step, `deletes row ${r}, which was never inserted.`);
          if (was < 0) fail(s.step, `deletes row ${r}, already deleted at step ${-was}.`);
          state[r] = -s.step;
        }
      }
      const n = s.end - s.start;
      if (s.operation === 'insert') {
        live += n;
        inserted += n;
        if (live > rb.maxPts) fail(s.step, `leaves ${live} rows live, more than max_pts = ${rb.maxPts}.`);
      } else {
        live -= n;
        deletes++;
      }
    }
    liveAfter.push(live);
  }
  if (searches === 0) throw new InputError(`--runbook ${rb.file}: no step searches, so there is nothing to measure.`);
  return { liveAfter, searches, inserted, deletes };
}

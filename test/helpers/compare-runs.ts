// Run folders for the `vqbench compare` tests: `base`, a real run made by the task runner (runTask)
// on a tiny seeded .npy (a quantize cell and an ivfpq index cell swept over nprobe 1 and 8, with raw
// per-query results), and `other`, its copy relabelled as a run of another task. Built once per test-runner
// process and shared by its files (each file is a child of the runner: same `process.ppid`), as
// test/report/fixtures.ts shares its run. Variants (an injected regression, a truncated raw file)
// are copies made by the tests.
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpy } from '../../src/data/npy.js';
import { readAnnResult, writeAnnResult } from '../../src/eval/raw-results.js';
import type { IndexRecord } from '../../src/run/index-job.js';
import type { QuantizeResult } from '../../src/run/quantize.js';
import type { CellResult } from '../../src/run/result.js';
import { runTask } from '../../src/run/runner.js';
import { sharedPerRunner } from './shared-fixture.js';
import { mixture } from './data.js';

export const INDEX_CELL = 'index.tiny.ivfpq.nlist-8.m-4';
export const QUANTIZE_CELL = 'quantize.tiny.pq.books-2.size-16';

/** A small task file over `dir`/tiny.npy (the runner tests' shape), written to `dir`/<name>.json. */
export function writeTask(dir: string, name: string, grid: Record<string, unknown>): string {
  const p = join(dir, `${name}.json`);
  writeFileSync(p, JSON.stringify({
    name, description: `test task ${name}`, paper: '-', seed: 3, report: false,
    scale: { small: { base: 1500, queries: 100, trainSize: 1000, evalSize: 100 }, full: {} },
    grid: { datasets: [join(dir, 'tiny.npy')], ...grid },
  }));
  return p;
}

async function build(root: string): Promise<void> {
  writeNpy(join(root, 'tiny.npy'), mixture(2400, 16, 8, 11));
  const quiet = { print: () => undefined, resultsDir: join(root, 'results') };
  const base = writeTask(root, 'cmp', {
    quantizers: [{ method: 'pq', books: 2, size: 16 }],
    indexes: [{ index: 'ivfpq', build: { nlist: 8, m: 4 }, sweep: { nprobe: [1, 8] }, warmup: 5 }],
  });
  const s = await runTask({ task: base, ...quiet });
  if (s.counts.ok !== s.selected) throw new Error(`compare fixture: ${base} did not finish every cell (${JSON.stringify(s.counts)})`);
  // a run of another task: the same cells under another task's name (a second real run would double the time)
  const other = join(root, 'results', 'cmp-other-small');
  cpSync(join(root, 'results', 'cmp-small'), other, { recursive: true });
  for (const name of readdirSync(other).filter((n) => n.endsWith('.json'))) {
    const j = JSON.parse(readFileSync(join(other, name), 'utf8')) as { task: string; run: string };
    writeFileSync(join(other, name), JSON.stringify({ ...j, task: 'cmp-other', run: 'cmp-other-small' }, null, 2));
  }
}

/** `{ base, other }`: the two run folders (results/cmp-small, results/cmp-other-small). */
export async function sharedCompareRuns(): Promise<{ base: string; other: string }> {
  const root = await sharedPerRunner('vqbench-compare-fixture-', join('results', 'cmp-other-small', 'run.json'), build);
  return { base: join(root, 'results', 'cmp-small'), other: join(root, 'results', 'cmp-other-small') };
}

/** A copy of a run folder under `parent` (same folder name: the run id must match its cells). */
export function copyRun(runDir: string, parent: string): string {
  const to = join(parent, runDir.split(/[\\/]/).pop()!);
  cpSync(runDir, to, { recursive: true });
  return to;
}

export const readCell = <M>(runDir: string, cell: string): CellResult<M> => JSON.parse(readFileSync(join(runDir, `${cell}.json`), 'utf8')) as CellResult<M>;
export const writeCell = (runDir: string, c: CellResult): void => writeFileSync(join(runDir, `${c.cell}.json`), JSON.stringify(c, null, 2));

/**
 * Injects a recall regression into one configuration (`nprobe`) of the index cell: the raw file's
 * answers of every query but each fifth are replaced by padding (-1, +inf), as an index that
 * returns nothing for them would write. Returns the record's raw path.
 */
export async function injectRecallRegression(runDir: string, nprobe: number): Promise<string> {
  const cell = readCell<IndexRecord[]>(runDir, INDEX_CELL);
  const rec = cell.metrics!.find((r) => r.params.search.nprobe === nprobe)!;
  const path = join(runDir, rec.raw!);
  const r = await readAnnResult(path);
  for (let q = 0; q < r.nq; q++) {
    if (q % 5 === 0) continue;
    r.neighbors.fill(-1, q * r.k, (q + 1) * r.k);
    r.distances.fill(Infinity, q * r.k, (q + 1) * r.k);
  }
  await writeAnnResult(path, r);
  return rec.raw!;
}

/** The cell result files of a run folder, sorted. */
export const cellFiles = (runDir: string): string[] => readdirSync(runDir).filter((f) => f.endsWith('.json') && f !== 'run.json').sort();

/**
 * A run of the compare task made another way (queue workers, a Slurm array) has the local run's
 * cells and non-timing metrics: the quantize cell's loss figures, and per index configuration its
 * recalls, bytes and raw file (which must exist where the record says).
 */
export function assertSameNonTiming(local: string, runDir: string): IndexRecord[] {
  assert.deepEqual(cellFiles(runDir), cellFiles(local));
  const read = <M>(p: string) => JSON.parse(readFileSync(p, 'utf8')) as CellResult<M>;
  const qa = read<QuantizeResult>(join(local, `${QUANTIZE_CELL}.json`)).metrics!, qb = read<QuantizeResult>(join(runDir, `${QUANTIZE_CELL}.json`)).metrics!;
  for (const k of ['loss', 'relativeLoss', 'bitsPerVector', 'trainRows', 'evalRows', 'lossCI'] as const) assert.deepEqual(qb[k], qa[k], k);
  const ia = read<IndexRecord[]>(join(local, `${INDEX_CELL}.json`)).metrics!, ib = read<IndexRecord[]>(join(runDir, `${INDEX_CELL}.json`)).metrics!;
  assert.deepEqual(ib.map((r) => [r.params, r.recall, r.nnRecall, r.indexBytes, r.raw]), ia.map((r) => [r.params, r.recall, r.nnRecall, r.indexBytes, r.raw]));
  for (const r of ib) assert.ok(existsSync(join(runDir, r.raw!)), r.raw);
  return ib;
}

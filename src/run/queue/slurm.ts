/**
 * `vqbench run TASK --emit slurm`: the run folder prepared as for a local run (the plan, run.json,
 * the dataset subsets in the cache) plus `slurm/cells.json`, the cells in a fixed order, and an
 * sbatch array script printed on stdout whose task i runs `vqbench run-cell RUN_DIR i`
 * (src/run/queue/run-cell.ts). The array lists only the cells not done yet; their indexes never
 * move, so a script emitted again after a partial run still points at the same cells.
 *
 * Resources: time = the longest cell's limit (its timeout, else 3 × its estimate) plus 10 minutes;
 * memory = 1 GiB plus 8 × the largest dataset's float32 rows (the cells hold the subset, its codes
 * and the index); cpus = VQBENCH_THREADS when set, else 4 (the script passes SLURM_CPUS_PER_TASK on
 * as the kernels' threads). Edit the #SBATCH lines for your cluster (partition, account).
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { datasetShape } from '../../data/registry.js';
import { cacheDir } from '../../data/cache.js';
import { prepareDataset } from '../datasets.js';
import { acquireLock } from '../lock.js';
import { makeFolder, writeOutput } from '../output.js';
import { planRun, printPlan, type PlanOptions, type RunPlan } from '../plan.js';
import { runFileOf } from '../runner.js';
import type { CellPlan } from '../kinds/types.js';
import { ConfigError } from '../../core/errors.js';

export const SLURM_CELLS_SCHEMA = 'vqbench.slurm-cells/1';

/** `<runDir>/slurm/cells.json`: what `vqbench run-cell` needs, with no task file at hand. */
export interface SlurmCells {
  schema: typeof SLURM_CELLS_SCHEMA;
  run: string;
  task: string;
  scale: RunPlan['scale'];
  seed: number;
  /** In array-index order; `timeout` already resolved (--timeout, else the scale's). */
  cells: { cell: CellPlan; timeout: number | null }[];
}

export const slurmCellsPath = (runDir: string) => join(runDir, 'slurm', 'cells.json');

/** `0-3,5,7-9`: the indexes as sbatch's --array wants them. */
export function arraySpec(indexes: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < indexes.length; i++) {
    let j = i;
    while (j + 1 < indexes.length && indexes[j + 1] === indexes[j] + 1) j++;
    parts.push(i === j ? String(indexes[i]) : `${indexes[i]}-${indexes[j]}`);
    i = j;
  }
  return parts.join(',');
}

/** Seconds as sbatch's D-HH:MM:SS, rounded up to the minute. */
export function slurmTime(seconds: number): string {
  const m = Math.ceil(seconds / 60);
  const d = Math.floor(m / 1440);
  const hh = Math.floor((m % 1440) / 60);
  const mm = m % 60;
  return `${d}-${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}:00`;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Prepares the run folder and returns the sbatch script; the plan and notes go to `note` (stderr: stdout is the script). */
export async function emitSlurm(opts: PlanOptions, note: (line: string) => void): Promise<string> {
  const plan = planRun(opts);
  printPlan(plan, note);
  const todo = plan.selected.map((c, i) => ({ c, i })).filter(({ c }) => !plan.done.get(c.id));
  if (!todo.length) throw new ConfigError(`every selected cell of run ${plan.run} is done already (${plan.runDir}); nothing to submit.`);
  const release = acquireLock(plan.runDir, `run ${plan.run}`);
  try {
    const startedAt = new Date().toISOString();
    const file = runFileOf(plan, { pid: process.pid, startedAt, finishedAt: null, only: plan.filters, selected: plan.selected.length, skipped: plan.selected.length - todo.length, ran: 0, counts: null });
    // not finished until every cell is written: run-cell marks it finished then (a --resume run would too)
    writeOutput(join(plan.runDir, 'run.json'), JSON.stringify({ ...file, status: 'interrupted' }, null, 2) + '\n', 'the run description');
    const cells: SlurmCells = { schema: SLURM_CELLS_SCHEMA, run: plan.run, task: plan.task.name, scale: plan.scale, seed: plan.seed, cells: plan.selected.map((c) => ({ cell: c, timeout: plan.timeoutOf(c) })) };
    writeOutput(slurmCellsPath(plan.runDir), JSON.stringify(cells, null, 2) + '\n', 'the Slurm cell list');
    makeFolder(join(plan.runDir, 'logs'), 'the log folder');
  } finally {
    release();
  }
  await prepareSubsets(plan, note);
  return script(plan, todo.map((t) => t.i), todo.map((t) => t.c));
}

/** Writes the subsets the cells to run need into the cache (once, here, instead of in every array task). */
export async function prepareSubsets(plan: Pick<RunPlan, 'toRun' | 'seed'>, note: (line: string) => void): Promise<void> {
  const seen = new Set<string>();
  for (const c of plan.toRun) {
    if (!c.dataset?.subset) continue;
    const key = JSON.stringify([c.dataset.spec, c.dataset.subset]);
    if (seen.has(key)) continue;
    seen.add(key);
    const p = await prepareDataset(c.dataset.spec, c.dataset.subset, plan.seed);
    note(`dataset ${c.dataset.name}: ${p.rows ? `${p.rows.base} base rows, ${p.rows.queries} queries` : 'whole'} in ${p.data}`);
  }
}

function script(plan: RunPlan, indexes: number[], cells: CellPlan[]): string {
  const limit = Math.max(...cells.map((c) => plan.timeoutOf(c) ?? 3 * plan.estimates.get(c.id)!.seconds));
  const rows = Math.max(0, ...cells.map((c) => {
    const s = c.dataset ? datasetShape(c.dataset.spec) : null;
    return s ? (Math.min(s.base, c.dataset!.subset?.base ?? Infinity) + Math.min(s.queries, c.dataset!.subset?.queries ?? Infinity)) * s.dim * 4 : 0;
  }));
  const memMiB = Math.ceil((2 ** 30 + 8 * rows) / 2 ** 20);
  const cpus = Number(process.env.VQBENCH_THREADS) > 0 ? Number(process.env.VQBENCH_THREADS) : 4;
  const bin = fileURLToPath(new URL('../../../bin/vqbench.mjs', import.meta.url));
  return [
    '#!/bin/bash',
    `#SBATCH --job-name=vqbench-${plan.run}`,
    `#SBATCH --array=${arraySpec(indexes)}`,
    `#SBATCH --time=${slurmTime(limit + 600)}`,
    `#SBATCH --cpus-per-task=${cpus}`,
    `#SBATCH --mem=${memMiB}M`,
    `#SBATCH --output=${join(plan.runDir, 'logs', 'slurm-%A_%a.out')}`,
    `# vqbench run ${plan.task.name} --emit slurm: ${indexes.length} of ${plan.selected.length} cells of run ${plan.run}, one array task each.`,
    '# Submit with sbatch; afterwards: vqbench report ' + quote(plan.runDir),
    'set -euo pipefail',
    `cd ${quote(process.cwd())}`,
    `export VQBENCH_CACHE="\${VQBENCH_CACHE:-${cacheDir().replace(/["\\$`]/g, '\\$&')}}"`,
    'export VQBENCH_THREADS="${VQBENCH_THREADS:-${SLURM_CPUS_PER_TASK:-' + cpus + '}}"',
    ': "${SLURM_ARRAY_TASK_ID:?submit this script with sbatch (or set SLURM_ARRAY_TASK_ID to a cell index)}"',
    '# VQBENCH_BIN: how to call vqbench on the nodes (default: this checkout)',
    `if [ -n "\${VQBENCH_BIN:-}" ]; then read -r -a VQBENCH <<< "$VQBENCH_BIN"; else VQBENCH=(node ${quote(bin)}); fi`,
    `"\${VQBENCH[@]}" run-cell ${quote(plan.runDir)} "$SLURM_ARRAY_TASK_ID"`,
    '',
  ].join('\n');
}

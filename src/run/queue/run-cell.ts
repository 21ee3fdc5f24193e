/**
 * `vqbench run-cell RUN_DIR INDEX`: one cell of a run folder prepared by `--emit slurm` (its
 * `slurm/cells.json`), run as the local runner runs it (its own child process, its timeout), its
 * result written atomically into the run folder and nothing else touched. Idempotent: a cell whose
 * result says ok for the same configuration is skipped with a line. When every cell of the list
 * has its result file, run.json is marked finished.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../../core/errors.js';
import { captureEnvironment } from '../env.js';
import { blasName, executeCellProcess, usesFaiss } from '../execute.js';
import { writeOutput } from '../output.js';
import { completedResult } from '../plan.js';
import { readJson, readRunFile } from '../run-file.js';
import type { CellResult, CellStatus } from '../result.js';
import { cellLine, writeCellFiles } from '../runner.js';
import { SLURM_CELLS_SCHEMA, slurmCellsPath, type SlurmCells } from './slurm.js';

export interface RunCellOutcome {
  cell: string;
  status: CellStatus | 'skipped';
}

function readCells(runDir: string): SlurmCells {
  const p = slurmCellsPath(runDir);
  const j = readJson<SlurmCells>(p);
  if (!j || j.schema !== SLURM_CELLS_SCHEMA || !Array.isArray(j.cells)) {
    throw new InputError(`${existsSync(p) ? `${p} is not a cell list of ${SLURM_CELLS_SCHEMA}` : `${runDir} has no slurm/cells.json`}; prepare the run folder with vqbench run TASK --emit slurm.`);
  }
  return j;
}

/** Runs cell `index` of the run folder; prints its line. */
export async function runCellAt(runDirArg: string, indexArg: string, print: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<RunCellOutcome> {
  const runDir = resolve(runDirArg);
  const list = readCells(runDir);
  const index = /^\s*\d+\s*$/.test(indexArg) ? Number(indexArg) : NaN;
  if (!(Number.isInteger(index) && index >= 0 && index < list.cells.length)) {
    throw new InputError(`cell index ${JSON.stringify(indexArg)} is not one of 0 to ${list.cells.length - 1} (the cells of ${slurmCellsPath(runDir)}).`);
  }
  const { cell, timeout } = list.cells[index];
  const prior = completedResult(runDir, cell);
  if (prior) {
    print(`skipped ${cell.id}: done already (ok, ${prior.timing.startedAt}).`);
    return { cell: cell.id, status: 'skipped' };
  }
  const env = captureEnvironment();
  const ctx = { run: list.run, task: list.task, scale: list.scale, seed: list.seed, env, blas: usesFaiss(cell) ? blasName() : null, prepared: new Map(), runDir };
  const { result, output } = await executeCellProcess(cell, timeout, ctx, () => undefined);
  const log = writeCellFiles(runDir, result, output);
  print(`[${index}] ${cellLine(result)}${log ? ` (log: ${log})` : ''}`);
  markFinishedWhenComplete(runDir, list);
  return { cell: cell.id, status: result.status };
}

/** run.json "finished" once every listed cell has a result file (the last array task to end does it; a repeat writes the same). */
function markFinishedWhenComplete(runDir: string, list: SlurmCells): void {
  const results = list.cells.map(({ cell }) => readJson<CellResult>(join(runDir, `${cell.id}.json`)));
  if (results.some((r) => r === null)) return;
  const run = readRunFile(runDir);
  if (!run || run.status === 'finished') return;
  const counts: Record<CellStatus, number> = { ok: 0, failed: 0, timeout: 0, 'not-run': 0 };
  for (const r of results) counts[r!.status]++;
  const finishedAt = new Date().toISOString();
  const invocations = run.invocations.map((inv, i) => (i === run.invocations.length - 1 ? { ...inv, finishedAt, counts } : inv));
  writeOutput(join(runDir, 'run.json'), JSON.stringify({ ...run, status: 'finished', finishedAt, invocations }, null, 2) + '\n', 'the run description');
}

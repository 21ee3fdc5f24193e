/** `vqbench run-cell RUN_DIR INDEX`: one cell of a run folder prepared by `vqbench run --emit slurm` (a Slurm array task). */
import type { Argv } from 'yargs';
import { runCellAt } from '../run/queue/run-cell.js';

export function runCellCommand(y: Argv): Argv {
  return y.command(
    'run-cell <run-dir> <index>',
    'run one cell of a run folder prepared by vqbench run --emit slurm (skipped when done); the Slurm array task calls it with $SLURM_ARRAY_TASK_ID',
    (a) =>
      a
        .positional('run-dir', { type: 'string', demandOption: true, describe: 'the run folder (results/<run>)' })
        .positional('index', { type: 'string', demandOption: true, describe: "the cell's index in <run-dir>/slurm/cells.json" }),
    async (raw) => {
      const argv = raw as unknown as { 'run-dir': string; index: string };
      const r = await runCellAt(argv['run-dir'], String(argv.index));
      if (r.status === 'failed' || r.status === 'timeout') process.exitCode = 1;
    },
  );
}

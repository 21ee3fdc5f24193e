/** `vqbench run <task>`: a task file → its cells, each in its own process (here, on queue workers, or as a Slurm array) → results/<run>/<cell>.json. */
import type { Argv } from 'yargs';
import { InputError } from '../core/errors.js';
import { parseRedisAddress } from '../run/queue/connection.js';
import { emitSlurm } from '../run/queue/slurm.js';
import { runTask } from '../run/runner.js';
import { oneSentence } from '../run/cell-job.js';
import type { Scale } from '../run/task.js';

interface RunArgs {
  task: string;
  scale?: string;
  only?: string[];
  resume: boolean;
  run?: string;
  timeout?: number;
  'dry-run': boolean;
  'results-dir': string;
  report?: boolean;
  queue?: string;
  'queue-name'?: string;
  retries?: number;
  emit?: string;
}

export function runCommand(y: Argv): Argv {
  return y.command(
    'run <task>',
    'run a task file (tasks/*.json): every cell in its own process, results in results/<run>/, resumable',
    (a) =>
      a
        .positional('task', { type: 'string', demandOption: true, describe: 'task file, or the name of a shipped task (quickstart, table2-recall, ...)' })
        .option('scale', { type: 'string', choices: ['small', 'full'], describe: "size preset: small (default) or full (the paper's sizes); --resume: the run's own" })
        .option('only', { type: 'string', array: true, describe: 'run only the cells whose id contains S, or whose config has key=value (key=a,b: either; !F negates); repeatable, all must match' })
        .option('resume', { type: 'boolean', default: false, describe: 'continue an existing run (the latest of this task, or --run); a plain re-run resumes too' })
        .option('run', { type: 'string', describe: 'run id, the folder under the results folder (default <task>-<scale>)' })
        .option('timeout', { type: 'number', describe: "seconds a cell may run before it is stopped and recorded as timeout (default: the task scale's, else none)" })
        .option('dry-run', { type: 'boolean', default: false, describe: 'print the plan (cells and expected times) and exit' })
        .option('results-dir', { type: 'string', default: 'results', describe: 'folder of the run folders (the report goes to reports/<run> beside results/, to <name>-reports/<run> beside any other folder <name>)' })
        .option('report', { type: 'boolean', describe: "write the report when the run ends (default: the task's setting, true); --no-report skips it" })
        .option('queue', { type: 'string', describe: 'run the cells on `vqbench worker`s through a BullMQ queue in Redis at redis://HOST:PORT; results come back through Redis and are written here' })
        .option('queue-name', { type: 'string', describe: 'the BullMQ queue (default vqbench; the workers must be given the same)' })
        .option('retries', { type: 'number', describe: 'with --queue: attempts after the first for a cell that crashes or times out (default 0), 2 s apart' })
        .option('emit', { type: 'string', choices: ['slurm'], describe: 'prepare the run folder and print an sbatch array script (one array task per cell: vqbench run-cell) instead of running' }),
    async (raw) => {
      const argv = raw as unknown as RunArgs;
      if (argv.emit !== undefined && argv.queue !== undefined) throw new InputError('--emit slurm and --queue are two ways to run a grid; give one.');
      if (argv.queue === undefined && (argv['queue-name'] !== undefined || argv.retries !== undefined)) throw new InputError(`--${argv.retries !== undefined ? 'retries' : 'queue-name'} needs --queue redis://HOST:PORT.`);
      if (argv.retries !== undefined && !(Number.isInteger(argv.retries) && argv.retries >= 0 && argv.retries <= 100)) throw new InputError(`--retries must be an integer from 0 to 100, got ${argv.retries}.`);
      if (argv.emit === 'slurm') {
        process.stdout.write(await emitSlurm({ task: argv.task, scale: argv.scale as Scale | undefined, only: argv.only?.map(String), resume: argv.resume, run: argv.run, timeout: argv.timeout, resultsDir: argv['results-dir'] }, (l: string) => process.stderr.write(l + '\n')));
        return;
      }
      const engine = argv.queue === undefined ? undefined : (await import('../run/queue/coordinator.js')).queueEngine({ address: parseRedisAddress(argv.queue), queueName: argv['queue-name'], retries: argv.retries });
      const summary = await runTask({
        engine,
        task: argv.task,
        scale: argv.scale as Scale | undefined,
        only: argv.only?.map(String),
        resume: argv.resume,
        run: argv.run,
        timeout: argv.timeout,
        dryRun: argv['dry-run'],
        resultsDir: argv['results-dir'],
        report: argv.report,
        writeReport: writeRunReport,
      });
      // a backend that cannot run here is reported as not run, by design: only failures, timeouts and
      // failed sweep configurations inside ok cells (as `vqbench index` counts them) fail the command
      if (summary.counts.failed + summary.counts.timeout + summary.failedConfigurations > 0) process.exitCode = 1;
    },
  );
}

/** The report module (chart.js, node-canvas) is loaded only when a run ends: a failure to load it is a note, not a failed run. */
async function writeRunReport(runDir: string): Promise<{ path: string | null; note: string | null }> {
  let report: typeof import('../report/index.js');
  try {
    report = await import('../report/index.js');
  } catch (e) {
    return { path: null, note: `the report was not written: src/report/index.ts could not be loaded (${oneSentence((e as Error).message).replace(/\.$/, '')}); the results are in ${runDir}.` };
  }
  try {
    return { path: (await report.writeReport(runDir)).html, note: null };
  } catch (e) {
    return { path: null, note: `the report failed: ${oneSentence((e as Error).message)}` };
  }
}

/** The vqbench command line: yargs commands only; each parses, calls one job, prints. */
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { InputError } from './core/errors.js';
import { shutdownWorkers } from './core/parallel.js';
import { exitWithError } from './cli/output.js';
import { indexCommand } from './cli/index.js';
import { quantizeCommand } from './cli/quantize.js';
import { reportCommand } from './cli/report.js';
import { runCommand } from './cli/run.js';
import { datasetsCommand } from './cli/datasets.js';
import { embedCommand } from './cli/embed.js';
import { mtebCommand } from './cli/mteb.js';
import { metricsCommand } from './cli/metrics.js';
import { compareCommand } from './cli/compare.js';
import { workerCommand } from './cli/worker.js';
import { runCellCommand } from './cli/run-cell.js';
import { streamCommand } from './cli/stream.js';
// One line per command module (each exports `(cli: Argv) => Argv`).
const COMMANDS = [quantizeCommand, indexCommand, streamCommand, datasetsCommand, embedCommand, mtebCommand, runCommand, reportCommand, metricsCommand, compareCommand, workerCommand, runCellCommand];

let cli: Argv;

/** A single-value flag given twice (`--method pq --method wrvq`) is an error naming it, not a TypeError later. */
function refuseRepeatedFlags(argv: Record<string, unknown>): void {
  const arrays = new Set((cli as unknown as { getOptions(): { array: string[] } }).getOptions().array); // getOptions is untyped in @types/yargs
  for (const [key, v] of Object.entries(argv)) {
    if (key === '_' || !Array.isArray(v) || arrays.has(key) || /[A-Z]/.test(key)) continue;
    throw new InputError(`--${key} was given ${v.length} times (${v.map(String).join(', ')}); give it once.`);
  }
}

async function main(): Promise<void> {
  cli = yargs(hideBin(process.argv))
    .scriptName('vqbench')
    .strict()
    .demandCommand(1, 'name a command (see --help)')
    .recommendCommands()
    .help()
    .version()
    .middleware(refuseRepeatedFlags)
    .fail((msg, err) => {
      // yargs' own complaints (unknown flag, missing value) become one-sentence input errors
      throw err ?? new InputError(msg.replace(/\n/g, ' '));
    });
  for (const add of COMMANDS) cli = add(cli);
  await cli.parseAsync();
  await shutdownWorkers();
}

main().catch(exitWithError);

/** `vqbench compare <runA> <runB>`: two run folders of one task, cell by cell and metric by metric, with verdicts (src/report/compare.ts). */
import type { Argv } from 'yargs';
import { compareRuns, formatComparison, regressionSummary } from '../report/compare.js';

export function compareCommand(y: Argv): Argv {
  return y.command(
    'compare <runA> <runB>',
    'compare two run folders of the same task: per cell and metric A, B, B − A with its 95% interval, and a verdict (better / worse / not significant) in the metric\'s direction',
    (a) =>
      a
        .positional('runA', { type: 'string', demandOption: true, describe: 'the baseline run folder, results/<run>/' })
        .positional('runB', { type: 'string', demandOption: true, describe: 'the run compared with it (verdicts say whether B is better or worse than A)' })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON document (per cell, per configuration, per metric: a, b, diff, lo, hi, verdict, method) instead of tables' })
        .option('fail-on-regression', { type: 'boolean', default: false, describe: 'exit 1 when any metric of B is significantly worse than A\'s (quality, size, or timing on the same machine), listing them on stderr' }),
    async (argv) => {
      const c = await compareRuns(argv.runA as string, argv.runB as string);
      process.stdout.write(argv.json ? JSON.stringify(c, null, 2) + '\n' : formatComparison(c));
      if (argv.failOnRegression && c.regressions.length > 0) {
        process.stderr.write(regressionSummary(c) + '\n');
        process.exitCode = 1;
      }
    },
  );
}

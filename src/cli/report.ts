/** `vqbench report <results/run> [--out dir]`: a run folder → charts, index.html, report.md and exports. */
import type { Argv } from 'yargs';
import { dirname, relative } from 'node:path';
import { writeReport } from '../report/index.js';

export function reportCommand(y: Argv): Argv {
  return y.command(
    'report <run>',
    'turn a run folder (results/<run>/) into charts, one self-contained HTML page, markdown tables and MTEB / ann-benchmarks exports',
    (a) =>
      a
        .positional('run', { type: 'string', demandOption: true, describe: 'the run folder, results/<run>/ (run.json and one JSON per cell)' })
        .option('out', { type: 'string', describe: 'output folder (default: derived from the results folder: results/<run> → reports/<run>, <name>/<run> → <name>-reports/<run>, beside it)' }),
    async (argv) => {
      const run = argv.run as string;
      const files = await writeReport(run, argv.out);
      const rel = (p: string) => relative(process.cwd(), p) || '.';
      process.stdout.write(
        [
          `report: ${rel(files.html)}`,
          `markdown: ${rel(files.markdown)}`,
          `charts: ${files.charts.length} PNG${files.charts.length === 1 ? '' : 's'}${files.charts.length ? ` in ${rel(dirname(files.charts[0]))}` : ''}`,
          `exports: ${files.exports.length} file${files.exports.length === 1 ? '' : 's'} (MTEB per-task JSON, ann-benchmarks summaries)`,
        ].join('\n') + '\n',
      );
    },
  );
}

/**
 * `vqbench stream`: flags → runStreamJob → a table of the runbook's steps (seconds, live rows, index
 * bytes, recall@k and QPS of each search) and big-ann-benchmarks' score (mean recall over the search
 * steps), or the result as JSON with --json. The index flags are those of `vqbench index`.
 */
import type { Argv } from 'yargs';
import { assertWritable } from '../core/atomic.js';
import { emitResult } from './output.js';
import { InputError } from '../core/errors.js';
import { fmt, table } from '../core/format.js';
import { setThreads } from '../core/parallel.js';
import { progressBar } from '../core/progress.js';
import { runStreamJob, type StreamResult } from '../run/stream-job.js';
import { RUN_FLAGS, indexParams, withIndexFlags } from './index.js';
import { readFlags } from './flags.js';

function stepRow(s: StreamResult['steps'][number]): (string | number)[] {
  const range = s.start === null ? '' : `[${s.start}, ${s.end})`;
  return [s.step, s.operation, range, s.seconds, s.live, s.indexBytes / 2 ** 20, s.recall === null ? '-' : s.recall.toFixed(4), s.qps ?? '-'];
}

export function streamCommand(y: Argv): Argv {
  return y.command(
    'stream',
    "run a streaming runbook (big-ann-benchmarks' format: insert, delete, search steps) against an index: recall at each search step among the live rows, seconds and bytes per step",
    (a) => withIndexFlags(a, RUN_FLAGS)
      .option('runbook', { type: 'string', demandOption: true, describe: "runbook file, YAML or JSON: top key = dataset name, max_pts, steps 1, 2, 3, ... each {operation: insert|delete, start, end} or {operation: search} (e.g. runbooks/quickstart.yaml)" })
      .alias('out', 'output')
      .option('raw', { type: 'string', describe: "also write every search step's answers (base row numbers) as big-ann-benchmarks' streaming results: one HDF5 file, neighbors_step{n} per search step" }),
    async (raw) => {
      const argv = raw as unknown as { data: string; json: boolean; out?: string; runbook: string; raw?: string };
      const f = readFlags(raw, RUN_FLAGS);
      const { d, build, search } = indexParams(raw);
      if (f.threads !== null) setThreads(f.threads);
      if (argv.raw === '') throw new InputError('--raw needs a file to write the streaming results into.');
      for (const path of [argv.out, argv.raw]) if (path) assertWritable(path); // before the run, not after it
      const bar = progressBar(`stream ${d.id}`, 'step');
      const r = await runStreamJob({
        data: argv.data, index: d.id, build, search, runbook: argv.runbook, k: f.k, queries: f.queries ?? undefined, seed: f.seed, onProgress: bar.update, ...(argv.raw !== undefined && { raw: argv.raw }),
      });
      bar.finish();
      emitResult(r, argv, () =>
        `${r.label} on ${r.dataset}, runbook ${r.runbook.file} (${r.runbook.steps} steps, max_pts ${r.runbook.maxPts}); ${r.queries} queries one at a time, k = ${r.k}; ` +
        `exact neighbours per step ${r.truthCached ? 'from the cache' : 'computed and cached'}\n` +
        table(['step', 'operation', 'rows', 'seconds', 'live', 'index MiB', `R@${r.k}`, 'QPS'], r.steps.map(stepRow)) + '\n' +
        `mean recall@${r.k} over the search steps (big-ann-benchmarks' streaming score): ${fmt(r.meanRecall)}\n` +
        r.notes.map((n) => `note: ${n}\n`).join('') +
        (r.loadWarning ? `warning: ${r.loadWarning}\n` : ''),
      );
    },
  );
}

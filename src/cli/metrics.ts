/**
 * `vqbench metrics <raw.hdf5> --data <dataset>`: every metric of the registry
 * (src/eval/metric-registry.ts: ann-benchmarks' set plus vqbench's recalls) for one raw result file
 * written by `vqbench index --raw`, against the dataset's exact ground truth of the file's queries
 * (its first nq queries, split with --seed as the index run did).
 */
import type { Argv } from 'yargs';
import { InputError } from '../core/errors.js';
import { fmt, table } from '../core/format.js';
import type { ParamSpecs } from '../core/params.js';
import { annTruth, computeAll, METRIC_IDS, METRICS } from '../eval/metric-registry.js';
import { annDistanceName, readAnnResult } from '../eval/raw-results.js';
import { datasetWithTruth } from '../run/index-job.js';
import { COMMON_FLAGS, declareFlags, readFlags } from './flags.js';

const METRICS_FLAGS = {
  k: { default: null, type: 'number', min: 1, describe: "ann-benchmarks' count: neighbours scored per query (default: the file's k)" },
  seed: COMMON_FLAGS.seed,
} as const satisfies ParamSpecs;

export function metricsCommand(y: Argv): Argv {
  return y.command(
    'metrics <raw>',
    "every registry metric (ann-benchmarks' k-nn, epsilon, largeepsilon, rel, qps, p50–p999, build, indexsize, queriessize; vqbench's recall, nnRecall) of one raw result file",
    (a) =>
      declareFlags(
        a
          .positional('raw', { type: 'string', demandOption: true, describe: 'a raw result file written by `vqbench index --raw` ({k}/{index}/{label}.hdf5)' })
          .option('data', { type: 'string', demandOption: true, describe: 'the dataset the file was measured on (as given to `vqbench index --data`)' })
          .option('json', { type: 'boolean', default: false, describe: 'one JSON object {metric id: value} on stdout' }),
        METRICS_FLAGS,
      ),
    async (raw) => {
      const argv = raw as unknown as { raw: string; data: string; json: boolean };
      const f = readFlags(raw, METRICS_FLAGS);
      const run = await readAnnResult(argv.raw);
      const k = f.k ?? run.k;
      const { ds, queries, truth } = await datasetWithTruth({ data: argv.data, queries: run.nq, seed: f.seed }, Math.max(k, run.k));
      if (queries.rows < run.nq) throw new InputError(`${argv.raw} holds ${run.nq} queries, more than the ${queries.rows} of ${argv.data}.`);
      const distance = run.attrs.distance;
      if (typeof distance === 'string' && distance !== annDistanceName(ds.metric)) {
        throw new InputError(`${argv.raw} was measured with distance '${distance}', but ${argv.data} uses '${annDistanceName(ds.metric)}'.`);
      }
      const values = computeAll(run, annTruth(truth, run.nq, ds.metric), { k });
      if (argv.json) {
        process.stdout.write(JSON.stringify(values) + '\n');
        return;
      }
      process.stdout.write(
        table(['metric', 'value', 'unit', 'better'], METRIC_IDS.map((id) => {
          const m = METRICS[id], v = values[id];
          return [id, v === null ? 'not defined' : fmt(v, 6), m.unit, m.higherIsBetter ? 'higher' : 'lower'];
        })) +
          `\n${run.nq} queries, k = ${k}; definitions (ann-benchmarks' ann_benchmarks/plotting/metrics.py, then vqbench's):\n` +
          METRIC_IDS.map((id) => `  ${id}: ${METRICS[id].definition}`).join('\n') + '\n',
      );
    },
  );
}

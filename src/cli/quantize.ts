/**
 * `vqbench quantize`: flags → runQuantize → a table, or one JSON object with --json. Every flag but
 * --data, --method, --out and --json is generated: the quantizers' parameters from their descriptors
 * (src/quant/*.ts), the job's options from QUANTIZE_JOB_PARAMS (src/run/quantize.ts), --seed and
 * --threads from COMMON_FLAGS; each value is checked against its declared range.
 */
import type { Argv } from 'yargs';
import path from 'node:path';
import { InputError } from '../core/errors.js';
import { assertWritable, assertWritableDir, writeFileAtomic } from '../core/atomic.js';
import { progressBar } from '../core/progress.js';
import { setThreads } from '../core/parallel.js';
import { kebab, resolveParams, type ParamValue } from '../core/params.js';
import { QUANTIZERS, QUANTIZER_IDS, quantizerDescriptor, splitQuantizerSpec, type QuantizerConfig } from '../quant/registry.js';
import { QUANTIZE_JOB_PARAMS, rowErrorsFileName, runQuantize } from '../run/quantize.js';
import type { TrainerKind } from '../quant/types.js';
import { fmt, keyValueTable } from '../core/format.js';
import { COMMON_FLAGS, declareFlags, declareMethodFlags, mergeSpecAndFlags, readFlags, readMethodFlags, type MethodTable } from './flags.js';

const OWN_FLAGS = ['data', 'method', 'out', 'raw', 'json', ...Object.keys(QUANTIZE_JOB_PARAMS).map(kebab), ...Object.keys(COMMON_FLAGS)];
const TABLES: MethodTable[] = Object.values(QUANTIZERS).map((d) => ({ id: d.id, specs: d.params }));

/**
 * The quantizer of the command line: `--method` (an id or a whole spec, `pq:m=12,nbits=8`) and the
 * method's parameter flags; a parameter given in both with different values is an error.
 */
export function quantizerFromArgs(argv: Record<string, unknown>): QuantizerConfig {
  const text = String(argv.method);
  const { id, params } = splitQuantizerSpec(text, '--method'); // the spec alone: unknown names, repeats, ranges
  const d = quantizerDescriptor(id, '--method');
  const [flagValues] = readMethodFlags(argv, TABLES, { id, groups: [d.params] });
  const merged = mergeSpecAndFlags(d.params, params, flagValues, `${id} parameter`, { flag: '--method', text });
  return { id, params: resolveParams(d.params, merged, `${id} parameter`) as Record<string, ParamValue> };
}

export function quantizeCommand(y: Argv): Argv {
  return y.command(
    'quantize',
    'train a quantizer on a dataset and measure its loss, bits and speed',
    (a) => {
      let b: Argv = a
        .option('data', { type: 'string', demandOption: true, describe: 'dataset name (glove-100, synthetic-gmm) or file (.fvecs, .bvecs, .npy, .hdf5); append :limit=N to use only its first N rows' })
        .option('method', { type: 'string', default: 'wrvq', describe: `quantizer: ${QUANTIZER_IDS.join(', ')}, or a whole spec such as pq:m=12,nbits=8 or wrvq:books=8,weights=gain` })
        .option('out', { type: 'string', describe: 'also write the result JSON to this file (atomically)' })
        .option('raw', { type: 'string', describe: 'also write the squared error of each held-out row to DIR/<spec>.row-errors.npy (float64; its mean is the loss)' })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout instead of a table' });
      b = declareMethodFlags(b, TABLES, OWN_FLAGS);
      b = declareFlags(b, QUANTIZE_JOB_PARAMS);
      return declareFlags(b, COMMON_FLAGS);
    },
    async (raw) => {
      const argv = raw as Record<string, unknown>;
      const q = quantizerFromArgs(argv);
      const job = readFlags(argv, QUANTIZE_JOB_PARAMS);
      const common = readFlags(argv, COMMON_FLAGS);
      if (common.threads !== null) setThreads(common.threads);
      if (argv.out) assertWritable(argv.out as string); // before the run, not after it
      const rawDir = argv.raw === undefined ? undefined : String(argv.raw);
      if (rawDir !== undefined) {
        if (rawDir.trim() === '') throw new InputError('--raw needs a folder to write the per-row errors into.');
        assertWritableDir(rawDir);
      }
      const bar = progressBar(`train ${q.id}`, 'step');
      const result = await runQuantize({
        data: argv.data as string,
        method: q.id,
        params: q.params,
        trainer: job.trainer as TrainerKind,
        trainSize: job.trainSize,
        evalSize: job.evalSize,
        adamIters: job.adamIters,
        adamLr: job.adamLr,
        seed: common.seed,
        onProgress: bar.update,
        ...(rawDir !== undefined && { raw: rawDir, rawName: rowErrorsFileName }),
      });
      bar.finish();
      if (rawDir !== undefined && result.raw) result.raw.rowErrors = path.join(rawDir, result.raw.rowErrors);
      const json = JSON.stringify(result, null, 2);
      if (argv.out) writeFileAtomic(argv.out as string, json + '\n');
      if (argv.json === true) {
        process.stdout.write(JSON.stringify(result) + '\n');
        return;
      }
      process.stdout.write(
        keyValueTable([
          ['quantizer', result.label],
          ['dataset', `${result.dataset} (d = ${result.dim}, ${result.trainRows} training rows, loss on ${result.evalRows} held-out rows)`],
          ['trainer', result.trainer],
          ['bits per vector', `${result.bitsPerVector} (every stored bit; honest ratio ${fmt(result.honestRatio)}× vs float32)`],
          ['code layout', result.codeLayout ?? `${result.books} × ${result.size}`],
          ...(result.paperRatio === null ? [] : [['paper ratio', `${fmt(result.paperRatio)} (eq. ${result.method === 'wrvq' ? 9 : 6}, the paper's units)`] as [string, string]]),
          ['loss', `${fmt(result.loss)} (mean ||x − x̂||², eq. 5)${result.lossCI ? `, 95% CI [${fmt(result.lossCI.lo)}, ${fmt(result.lossCI.hi)}]` : ''}`],
          ...(result.raw ? [['row errors', `${result.raw.rowErrors} (||x − x̂||² of each held-out row)`] as [string, string]] : []),
          ['relative loss', fmt(result.relativeLoss)],
          ['train', `${fmt(result.trainSeconds, 3)} s`],
          ['encode', `${fmt(result.encodeSeconds, 3)} s (${fmt(result.encodeVectorsPerSecond, 3)} vectors/s)`],
          ...result.notes.map((n): [string, string] => ['note', n]),
        ]) + '\n',
      );
    },
  );
}

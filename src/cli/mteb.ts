/** `vqbench mteb`: flags → runMteb → a table of main scores (original vs quantized), or JSON. */
import path from 'node:path';
import type { Argv } from 'yargs';
import { InputError } from '../core/errors.js';
import { assertWritable, assertWritableDir, writeFileAtomic } from '../core/atomic.js';
import { setThreads } from '../core/parallel.js';
import { progressBar } from '../core/progress.js';
import { rebasePerItemPaths, runMteb, type MtebQuantizerSpec } from '../run/mteb.js';
import { canonicalName } from '../core/params.js';
import { QUANTIZER_IDS, pickQuantizerParams, quantizerDescriptor, resolveQuantizerParams, splitQuantizerSpec } from '../quant/registry.js';
import { mtebResultFiles } from '../report/mteb-results.js';
import { WEIGHT_RULES } from '../quant/wrvq.js';
import { fmt, table } from '../core/format.js';
import type { ParamSpecs } from '../core/params.js';
import { COMMON_FLAGS, declareFlags, readFlags } from './flags.js';

/** The numeric flags of `vqbench mteb`, each checked with its range (src/cli/flags.ts). */
export const MTEB_FLAGS = {
  trainSize: { default: 10000, min: 1, describe: 'rows of the training corpus used for training (seeded sample)' },
  seed: COMMON_FLAGS.seed,
  threads: COMMON_FLAGS.threads,
} as const satisfies ParamSpecs;

/**
 * `--quantizer wrvq`, `--quantizer pq:m=12,nbits=8` or `--quantizer pq:books=12,size=256` (repeatable;
 * grammar: src/core/spec.ts). `defaults` (--books, --size, --weights) apply to the parameters the
 * spec leaves out, for the methods that take them.
 */
export function mtebQuantizer(text: string, defaults: Record<string, unknown>): MtebQuantizerSpec {
  const { id, params: inSpec } = splitQuantizerSpec(text, '--quantizer'); // the spec alone: id, names, ranges
  const specs = quantizerDescriptor(id).params;
  const given = new Set(Object.keys(inSpec).map((n) => canonicalName(specs, n)?.name));
  const fromDefaults = Object.entries(pickQuantizerParams(id, defaults)).filter(([n]) => !given.has(canonicalName(specs, n)?.name));
  const params = resolveQuantizerParams(id, { ...Object.fromEntries(fromDefaults), ...inSpec }, '--quantizer');
  return { method: id, params };
}

export function mtebCommand(y: Argv): Argv {
  return y.command(
    'mteb',
    'score an embedder on MTEB-style tasks, original vs quantized embeddings',
    (a) =>
      declareFlags(a, MTEB_FLAGS)
        .option('model', { type: 'string', default: 'use-lite', describe: 'embedder: use-lite, glove-avg, bge-large, precomputed, or a transformers.js model id' })
        .option('model-path', { type: 'string', describe: 'local model folder (transformers.js layout) for bge-large or a model id' })
        .option('vectors', { type: 'string', describe: 'precomputed: .npy/.fvecs file aligned with the task texts' })
        .option('dtype', { type: 'string', describe: 'transformers.js dtype: fp32 or q8' })
        .option('offline', { type: 'boolean', default: false, describe: 'transformers.js: never try to download a model (use --model-path or the local cache)' })
        .option('tasks', { type: 'string', array: true, demandOption: true, describe: 'prepared task names, task types (e.g. Classification) or task folders (BEIR / MTEB JSONL)' })
        .option('quantizer', { type: 'string', array: true, default: [] as string[], describe: `quantizer to compare (repeatable): ${QUANTIZER_IDS.join(', ')}, or a whole spec: wrvq:books=4,size=256,weights=gain, pq:m=12,nbits=8 (pq also takes books/size)` })
        .option('books', { type: 'string', describe: "codebooks (pq: m) of every --quantizer spec that does not give them; else the quantizer's default" })
        .option('size', { type: 'string', describe: "codewords per codebook (pq: 2^nbits) of every --quantizer spec that does not give it; else the quantizer's default" })
        .option('weights', { type: 'string', describe: `WRVQ weight rule (${WEIGHT_RULES.join(', ')}) of every wrvq --quantizer spec that does not give it` })
        .option('train-corpus', { type: 'string', default: 'wordnet-glosses-50k', describe: 'text corpus the quantizers are trained on' })
        .option('out', { type: 'string', describe: 'also write the result JSON to this file (atomically)' })
        .option('raw', { type: 'string', describe: 'also write each variant\'s per-item values (per-query nDCG, per-pair similarities and gold, ...) as .npy files under DIR/<task>/' })
        .option('output-folder', { type: 'string', describe: "also write MTEB's results in its current layout: <folder>/<model>/<revision>/<task>.json, each quantized variant under experiments/<name>/ (output_dtypes_int8, ...), model_meta.json beside" })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout instead of a table' }),
    async (argv) => {
      const flags = readFlags(argv, MTEB_FLAGS);
      if (flags.threads !== null) setThreads(flags.threads);
      if (argv.out) assertWritable(argv.out); // before the run, not after it
      if (argv['output-folder']) assertWritableDir(argv['output-folder']);
      const rawDir = argv.raw;
      if (rawDir !== undefined) {
        if (rawDir.trim() === '') throw new InputError('--raw needs a folder to write the per-item values into.');
        assertWritableDir(rawDir);
      }
      const defaults = { books: argv.books, size: argv.size, weights: argv.weights };
      const quantizers = (argv.quantizer as string[]).map((s) => mtebQuantizer(s, defaults));
      const bar = progressBar('embed', 'text');
      const result = await runMteb({
        model: argv.model,
        modelPath: argv['model-path'],
        vectors: argv.vectors,
        dtype: argv.dtype,
        offline: argv.offline,
        tasks: argv.tasks as string[],
        quantizers,
        trainCorpus: argv['train-corpus'],
        trainSize: flags.trainSize,
        seed: flags.seed,
        onProgress: bar.update,
        onTask: argv.json ? undefined : (line) => { bar.finish(); process.stderr.write(`${line}\n`); },
        ...(rawDir !== undefined && { raw: rawDir }),
      });
      bar.finish();
      // paths as the user can open them
      if (rawDir !== undefined) rebasePerItemPaths(result, (p) => path.join(rawDir, p));
      if (argv.out) writeFileAtomic(argv.out, JSON.stringify(result, null, 2) + '\n');
      if (argv['output-folder']) {
        const rows = result.tasks.flatMap((t) => t.variants.map((v) => ({
          model: result.model, modelRevision: result.embedderVersion, embedderId: result.embedderId, dim: result.dim, task: t.task, split: t.split, languages: t.languages,
          datasetRevision: t.checksum, variant: v.variant, scores: v.scores, mainScore: v.main_score, evaluationSeconds: v.evaluationSeconds,
        })));
        for (const f of mtebResultFiles(rows)) writeFileAtomic(path.join(argv['output-folder'], f.path), f.data);
      }
      if (argv.json) {
        process.stdout.write(JSON.stringify(result) + '\n');
        return;
      }
      const variants = result.tasks[0]?.variants.map((v) => v.variant) ?? [];
      const bits = result.tasks[0]?.variants.map((v) => v.bitsPerVector) ?? [];
      const header = ['task', 'type', 'metric', ...variants.map((v, i) => `${v} (${bits[i]} b)`)];
      const ci = (c: { lo: number; hi: number } | null | undefined) => (c ? ` [${fmt(c.lo, 3)}, ${fmt(c.hi, 3)}]` : '');
      const signed = (x: number) => `${x >= 0 ? '+' : ''}${fmt(x, 3)}`;
      const rows = result.tasks.map((t) => [
        t.task, t.type, t.mainScore,
        ...t.variants.map((v) => (v.variant === 'original'
          ? `${fmt(v.main_score)}${ci(v.mainScoreCI)}`
          : `${fmt(v.main_score)} (${signed(v.delta)}${v.deltaCI ? ` [${signed(v.deltaCI.lo)}, ${signed(v.deltaCI.hi)}]${v.deltaCI.significant ? '' : ' n.s.'}` : ''})`)),
      ]);
      process.stdout.write(`${result.embedderId} (d = ${result.dim}); quantizers trained on ${result.trainRows} rows of ${result.trainCorpus ?? '-'}; ` +
        `embedding ${fmt(result.embedSeconds, 3)} s, wall ${fmt(result.wallSeconds, 3)} s\n`);
      process.stdout.write(table(header, rows) + '\n');
      process.stdout.write('main_score per MTEB task type with its 95% bootstrap interval; in parentheses: quantized minus original and its paired 95% interval (n.s.: the interval contains 0).\n');
      if (rawDir !== undefined) process.stdout.write(`per-item values: ${rawDir}/<task>/<variant>.<series>.npy\n`);
    },
  );
}

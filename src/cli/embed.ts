/**
 * `vqbench embed`: a text corpus or task → one .npy of vectors, usable as `--data` elsewhere.
 * Embedded in resumable chunks of `--chunk-rows` texts, each a cache entry (src/embed/chunked.ts),
 * then assembled into the output atomically; `--emit-task FILE` instead writes a task whose cells are
 * the chunks, for `vqbench run` (locally or spread over workers), after which this command, with the
 * same flags, assembles the output from the cache.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Argv } from 'yargs';
import { assertWritable, writeFileAtomic } from '../core/atomic.js';
import { InputError } from '../core/errors.js';
import { setThreads } from '../core/parallel.js';
import { progressBar } from '../core/progress.js';
import { cacheDir } from '../data/cache.js';
import { DEFAULT_CHUNK_SIZE } from '../embed/cache.js';
import { assembleChunks, describeGroup, fillChunks } from '../embed/chunked.js';
import { DEVICES } from '../embed/devices.js';
import { checkEmbedderId, createEmbedder } from '../embed/registry.js';
import { textGroups } from '../embed/text-groups.js';
import { fmt, keyValueTable } from '../core/format.js';
import type { ParamSpecs } from '../core/params.js';
import { embedTaskFile } from '../run/kinds/embed.js';
import { writeStreamAtomic } from '../embed/stream-write.js';
import { COMMON_FLAGS, declareFlags, readFlags } from './flags.js';

/** The flags of `vqbench embed` that are parameter specs, each checked with its range or choices (src/cli/flags.ts). */
export const EMBED_FLAGS = {
  limit: { default: null, type: 'number', min: 1, describe: 'embed only the first N texts of each group (default: all)' },
  batchSize: { default: null, type: 'number', min: 1, max: 65536, describe: 'texts per model call, for the embedders that batch (transformers.js models, use-lite) (default: the embedder\'s own)' },
  chunkRows: { default: DEFAULT_CHUNK_SIZE, min: 1, max: 1e9, describe: 'texts per cached chunk: a killed run resumes at the first missing chunk; --emit-task makes one cell per chunk' },
  device: { default: 'cpu', choices: DEVICES, describe: 'where the transformers.js model runs: cpu, cuda (onnxruntime-node\'s CUDA execution provider) or auto (cuda if it starts, else cpu with a note)' },
  threads: COMMON_FLAGS.threads,
} as const satisfies ParamSpecs;

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_');

export function embedCommand(y: Argv): Argv {
  return y.command(
    'embed',
    'embed a text corpus or task into a .npy of vectors (cached in chunks, resumable; --emit-task spreads the chunks as task cells)',
    (a) =>
      declareFlags(a, EMBED_FLAGS)
        .option('dataset', { type: 'string', demandOption: true, describe: 'prepared corpus or task name, a folder (BEIR, MS MARCO, MTEB JSONL), alpaca_data.json, .txt or .jsonl' })
        .option('model', { type: 'string', default: 'use-lite', describe: 'embedder: use-lite, glove-avg, bge-large, or a transformers.js model id' })
        .option('model-path', { type: 'string', describe: 'local model folder (transformers.js layout)' })
        .option('dtype', { type: 'string', describe: 'transformers.js dtype: fp32 or q8' })
        .option('offline', { type: 'boolean', default: false, describe: 'transformers.js: never try to download a model (use --model-path or the local cache)' })
        .option('out', { type: 'string', describe: 'output .npy (default: datasets/cache/vectors/<dataset>-<model>.npy)' })
        .option('emit-task', { type: 'string', describe: 'write a task file whose cells are the chunks (run it with vqbench run, then run this command again without --emit-task to assemble) instead of embedding' })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout instead of a table' }),
    async (argv) => {
      const flags = readFlags(argv, EMBED_FLAGS);
      if (flags.threads !== null) setThreads(flags.threads);
      const options = {
        modelPath: argv['model-path'], dtype: argv.dtype, offline: argv.offline || undefined, batchSize: flags.batchSize ?? undefined,
        device: flags.device === 'cpu' ? undefined : flags.device, threads: flags.threads ?? undefined,
      };
      const emit = argv['emit-task'];
      if (emit !== undefined) {
        if (emit === '') throw new InputError('--emit-task is empty: give the task file to write.');
        if (argv.out !== undefined) throw new InputError('--out: the output is written by the command that assembles the chunks (without --emit-task); leave --out out here.');
        checkEmbedderId(argv.model);
        assertWritable(emit);
        const { name, groups } = await textGroups(argv.dataset, flags.limit ?? undefined);
        // the cells run elsewhere, maybe from another folder: a dataset given as a path is written absolute
        const dataset = existsSync(argv.dataset) ? path.resolve(argv.dataset) : argv.dataset;
        const task = embedTaskFile({
          name, dataset, model: argv.model, chunkRows: flags.chunkRows, ...(flags.limit !== null && { limit: flags.limit }),
          groups: groups.map(describeGroup), options: { ...options, ...(options.modelPath !== undefined && { modelPath: path.resolve(options.modelPath) }) },
        });
        writeFileAtomic(emit, JSON.stringify(task, null, 2) + '\n');
        const cells = groups.reduce((n, g) => n + Math.ceil(g.texts.length / flags.chunkRows), 0);
        const summary = { task: emit, cells, rows: groups.reduce((n, g) => n + g.texts.length, 0), chunkRows: flags.chunkRows };
        if (argv.json) { process.stdout.write(JSON.stringify(summary) + '\n'); return; }
        process.stdout.write(keyValueTable([
          ['task', `${emit} (${cells} cells, one per chunk of ${flags.chunkRows} texts)`],
          ['next', `vqbench run ${emit} (every worker with the same VQBENCH_CACHE), then this command without --emit-task assembles the .npy`],
        ]) + '\n');
        return;
      }
      if (argv.out === '') throw new InputError('--out is empty: give the .npy file to write.');
      if (argv.out !== undefined) assertWritable(argv.out); // before the embedding, not after
      const { name, groups } = await textGroups(argv.dataset, flags.limit ?? undefined);
      const embedder = await createEmbedder(argv.model, options);
      const t0 = performance.now();
      const bar = progressBar(`embed ${groups.map((g) => `${g.role}s`).join(' + ')}`, 'text');
      let stats;
      try {
        stats = await fillChunks(embedder, groups, { chunkRows: flags.chunkRows, onProgress: bar.update });
      } finally {
        bar.finish();
      }
      const out = argv.out ?? path.join(cacheDir('vectors'), `${safe(name)}-${safe(embedder.id)}.npy`);
      assembleChunks(embedder, groups, out, { chunkRows: flags.chunkRows });
      const seconds = (performance.now() - t0) / 1000;
      const rows = stats.rows;
      let offset = 0;
      const manifest = {
        dataset: name, model: argv.model, embedderId: embedder.id, embedderVersion: embedder.version, dim: embedder.dim, rows,
        groups: groups.map((g) => { const r = { role: g.role, offset, rows: g.texts.length }; offset += g.texts.length; return r; }),
        device: embedder.device ?? 'cpu', ...(embedder.batchSize !== undefined && { batchSize: embedder.batchSize }),
        chunkRows: flags.chunkRows, chunks: stats.chunks, computedChunks: stats.computedChunks, computedRows: stats.computedRows,
        embedSeconds: stats.embedSeconds, seconds, textsPerSecond: rows / seconds, file: out,
      };
      // Row → (role, text), so `--model precomputed --vectors <out>` can serve any group of the task.
      writeStreamAtomic(`${out}.texts.jsonl`, (function* () { for (const g of groups) for (const text of g.texts) yield JSON.stringify({ role: g.role, text }) + '\n'; })());
      writeFileAtomic(`${out}.json`, JSON.stringify(manifest, null, 2) + '\n');
      await embedder.dispose?.();
      if (argv.json) { process.stdout.write(JSON.stringify(manifest) + '\n'); return; }
      const computed = stats.computedRows > 0 ? `${fmt(stats.computedRows / stats.embedSeconds, 3)} texts/s on ${manifest.device}` : 'nothing computed';
      process.stdout.write(keyValueTable([
        ['dataset', `${name} (${rows} texts: ${groups.map((g) => `${g.texts.length} ${g.role}s`).join(', ')})`],
        ['model', `${embedder.id} (d = ${embedder.dim}, ${manifest.device}${embedder.batchSize !== undefined ? `, batches of ${embedder.batchSize}` : ''})`],
        ['chunks', `${stats.chunks} of ${flags.chunkRows} texts: ${stats.computedChunks} computed now, ${stats.chunks - stats.computedChunks} from the cache`],
        ['vectors', `${out} (rows in that order; ${out}.json lists the groups)`],
        ['time', `${fmt(seconds, 3)} s (${computed})`],
      ]) + '\n');
    },
  );
}

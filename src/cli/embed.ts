/** `vqbench embed`: a text corpus or task → one .npy of vectors (cached), usable as `--data` elsewhere. */
import path from 'node:path';
import type { Argv } from 'yargs';
import { assertWritable, writeFileAtomic } from '../core/atomic.js';
import { InputError } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import { setThreads } from '../core/parallel.js';
import { progressBar } from '../core/progress.js';
import { encodeNpy } from '../data/npy.js';
import { loadTextCorpus, loadTextTask, textsOf } from '../data/text/registry.js';
import { embedWithCache } from '../embed/cache.js';
import { createEmbedder } from '../embed/registry.js';
import type { EmbedRole } from '../embed/types.js';
import { cacheDir } from '../data/cache.js';
import { fmt, keyValueTable } from '../core/format.js';
import type { ParamSpecs } from '../core/params.js';
import { COMMON_FLAGS, declareFlags, readFlags } from './flags.js';

/** The numeric flags of `vqbench embed`, each checked with its range (src/cli/flags.ts). */
export const EMBED_FLAGS = {
  limit: { default: null, type: 'number', min: 1, describe: 'embed only the first N texts of each group (default: all)' },
  batchSize: { default: null, type: 'number', min: 1, max: 65536, describe: 'texts per embedder call (default: the embedder\'s own)' },
  threads: COMMON_FLAGS.threads,
} as const satisfies ParamSpecs;

/** The texts of a corpus, or every text of a task grouped by role (queries first, as textsOf gives them). */
async function textGroups(spec: string): Promise<{ name: string; groups: { role: EmbedRole; texts: string[] }[] }> {
  try {
    const c = await loadTextCorpus(spec);
    return { name: c.name, groups: [{ role: 'document', texts: c.texts }] };
  } catch (corpusError) {
    try {
      const t = await loadTextTask(spec);
      return { name: t.meta.name, groups: textsOf(t) };
    } catch {
      throw corpusError; // neither a corpus nor a task: the corpus loader's sentence names the spec
    }
  }
}

export function embedCommand(y: Argv): Argv {
  return y.command(
    'embed',
    'embed a text corpus or task into a .npy of vectors (cached and resumable)',
    (a) =>
      declareFlags(a, EMBED_FLAGS)
        .option('dataset', { type: 'string', demandOption: true, describe: 'prepared corpus or task name, a folder (BEIR, MS MARCO, MTEB JSONL), alpaca_data.json, .txt or .jsonl' })
        .option('model', { type: 'string', default: 'use-lite', describe: 'embedder: use-lite, glove-avg, bge-large, or a transformers.js model id' })
        .option('model-path', { type: 'string', describe: 'local model folder (transformers.js layout)' })
        .option('dtype', { type: 'string', describe: 'transformers.js dtype: fp32 or q8' })
        .option('offline', { type: 'boolean', default: false, describe: 'transformers.js: never try to download a model (use --model-path or the local cache)' })
        .option('out', { type: 'string', describe: 'output .npy (default: datasets/cache/vectors/<dataset>-<model>.npy)' })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout instead of a table' }),
    async (argv) => {
      const flags = readFlags(argv, EMBED_FLAGS);
      if (flags.threads !== null) setThreads(flags.threads);
      if (argv.out === '') throw new InputError('--out is empty: give the .npy file to write.');
      if (argv.out !== undefined) assertWritable(argv.out); // before the embedding, not after
      const { name, groups } = await textGroups(argv.dataset);
      const limit = flags.limit ?? undefined;
      const embedder = await createEmbedder(argv.model, { modelPath: argv['model-path'], dtype: argv.dtype, offline: argv.offline, batchSize: flags.batchSize ?? undefined });
      const t0 = performance.now();
      const parts: { role: EmbedRole; texts: string[]; m: Matrix }[] = [];
      for (const g of groups) {
        const texts = limit !== undefined ? g.texts.slice(0, limit) : g.texts;
        const bar = progressBar(`embed ${g.role}s`, 'text');
        parts.push({ role: g.role, texts, m: await embedWithCache(embedder, texts, g.role, { onProgress: bar.update }) });
        bar.finish();
      }
      const seconds = (performance.now() - t0) / 1000;
      const rows = parts.reduce((s, p) => s + p.m.rows, 0);
      const all = Matrix.zeros(rows, embedder.dim);
      let off = 0;
      for (const p of parts) { all.data.set(p.m.data, off * embedder.dim); off += p.m.rows; }
      const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_');
      const out = argv.out ?? path.join(cacheDir('vectors'), `${safe(name)}-${safe(embedder.id)}.npy`);
      writeFileAtomic(out, encodeNpy(all));
      let offset = 0;
      const manifest = {
        dataset: name, model: argv.model, embedderId: embedder.id, embedderVersion: embedder.version, dim: embedder.dim, rows,
        groups: parts.map((p) => { const g = { role: p.role, offset, rows: p.m.rows }; offset += p.m.rows; return g; }),
        seconds, textsPerSecond: rows / seconds, file: out,
      };
      // Row → (role, text), so `--model precomputed --vectors <out>` can serve any group of the task.
      writeFileAtomic(`${out}.texts.jsonl`, parts.map((p) => p.texts.map((text) => JSON.stringify({ role: p.role, text }) + '\n').join('')).join(''));
      writeFileAtomic(`${out}.json`, JSON.stringify(manifest, null, 2) + '\n');
      await embedder.dispose?.();
      if (argv.json) { process.stdout.write(JSON.stringify(manifest) + '\n'); return; }
      process.stdout.write(keyValueTable([
        ['dataset', `${name} (${rows} texts: ${parts.map((p) => `${p.m.rows} ${p.role}s`).join(', ')})`],
        ['model', `${embedder.id} (d = ${embedder.dim})`],
        ['vectors', `${out} (rows in that order; ${out}.json lists the groups)`],
        ['time', `${fmt(seconds, 3)} s (${fmt(rows / seconds, 3)} texts/s, cache hits included)`],
      ]) + '\n');
    },
  );
}

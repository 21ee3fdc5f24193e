/** `vqbench quantize`: flags → runQuantize → a table, or one JSON object with --json. */
import type { Argv } from 'yargs';
import { writeFileAtomic } from '../core/atomic.js';
import { progressBar } from '../core/progress.js';
import { setThreads } from '../core/parallel.js';
import { QUANTIZER_IDS } from '../quant/registry.js';
import { TRAINERS } from '../quant/trainers/run.js';
import { WEIGHT_RULES, type WeightRule } from '../quant/wrvq.js';
import { runQuantize } from '../run/quantize.js';
import type { TrainerKind } from '../quant/types.js';
import { fmt, keyValueTable } from '../core/format.js';

export function quantizeCommand(y: Argv): Argv {
  return y.command(
    'quantize',
    'train a quantizer on a dataset and measure its loss, bits and speed',
    (a) =>
      a
        .option('data', { type: 'string', demandOption: true, describe: 'dataset name (glove-100, synthetic-gmm) or file (.fvecs, .bvecs, .npy, .hdf5)' })
        .option('method', { type: 'string', default: 'wrvq', describe: `quantizer: ${QUANTIZER_IDS.join(', ')}` })
        .option('books', { type: 'number', default: 4, describe: 'codebooks (PQ: sub-spaces)' })
        .option('size', { type: 'number', default: 256, describe: 'codewords per codebook' })
        .option('trainer', { type: 'string', default: 'kmeans', describe: `codebook trainer: ${TRAINERS.join(', ')} (the paper's L and T)` })
        .option('weights', { type: 'string', default: 'paper', describe: `WRVQ weight rule: ${WEIGHT_RULES.join(', ')}` })
        .option('beam', { type: 'number', describe: 'beam width (RVQ encoding, default 5; AVQ initial encoding, default 1)' })
        .option('train-size', { type: 'number', default: 50000, describe: 'training rows (a seeded sample)' })
        .option('eval-size', { type: 'number', default: 10000, describe: 'held-out rows the loss is measured on' })
        .option('adam-iters', { type: 'number', describe: 'Adam iterations (trainer adam), default 1000' })
        .option('adam-lr', { type: 'number', describe: 'Adam learning rate (trainer adam), default 0.001' })
        .option('seed', { type: 'number', default: 1234 })
        .option('threads', { type: 'number', describe: 'worker threads for the kernels (default: all cores)' })
        .option('out', { type: 'string', describe: 'also write the result JSON to this file (atomically)' })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout instead of a table' })
        .choices('trainer', TRAINERS as unknown as string[])
        .choices('weights', WEIGHT_RULES as unknown as string[]),
    async (argv) => {
      if (argv.threads !== undefined) setThreads(argv.threads);
      const bar = progressBar(`train ${argv.method}`, 'step');
      const result = await runQuantize({
        data: argv.data,
        method: argv.method,
        books: argv.books,
        size: argv.size,
        trainer: argv.trainer as TrainerKind,
        weights: argv.weights as WeightRule,
        beam: argv.beam,
        trainSize: argv['train-size'],
        evalSize: argv['eval-size'],
        adamIters: argv['adam-iters'],
        adamLr: argv['adam-lr'],
        seed: argv.seed,
        onProgress: bar.update,
      });
      bar.finish();
      const json = JSON.stringify(result, null, 2);
      if (argv.out) writeFileAtomic(argv.out, json + '\n');
      if (argv.json) {
        process.stdout.write(JSON.stringify(result) + '\n');
        return;
      }
      process.stdout.write(
        keyValueTable([
          ['quantizer', result.label],
          ['dataset', `${result.dataset} (d = ${result.dim}, ${result.trainRows} training rows, loss on ${result.evalRows} held-out rows)`],
          ['trainer', result.trainer],
          ['bits per vector', `${result.bitsPerVector} (every stored bit; honest ratio ${fmt(result.honestRatio)}× vs float32)`],
          ['paper ratio', `${fmt(result.paperRatio)} (eq. ${result.method === 'wrvq' ? 9 : 6}, the paper's units)`],
          ['loss', `${fmt(result.loss)} (mean ||x − x̂||², eq. 5)`],
          ['relative loss', fmt(result.relativeLoss)],
          ['train', `${fmt(result.trainSeconds, 3)} s`],
          ['encode', `${fmt(result.encodeSeconds, 3)} s (${fmt(result.encodeVectorsPerSecond, 3)} vectors/s)`],
          ...result.notes.map((n): [string, string] => ['note', n]),
        ]) + '\n',
      );
    },
  );
}

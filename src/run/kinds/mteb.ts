/**
 * MTEB cells (`grid.mteb`): one embedding model, its text tasks scored on the original embeddings
 * or after one quantizer's encode → decode (src/run/mteb.ts). They run on text tasks, not on the
 * task's vector datasets. Quantizer entries are checked and expanded by the quantize kind.
 */
import { VqbenchError } from '../../core/errors.js';
import { atScale, dropUndefined, idPiece, type Grid } from '../grid-values.js';
import type { MtebQuantizerSpec } from '../mteb.js';
import { oneSentence, TIMING_DEFINITIONS } from './common.js';
import { checkQuantizer, expandQuantizers, quantizerPieces, type QuantizerSpec } from './quantize.js';
import type { CellConfig, CellKindDef } from './types.js';

/** One entry of `grid.mteb`. */
export interface MtebSpec {
  models: string[];
  tasks: string[];
  quantizers?: QuantizerSpec[];
  original?: boolean;
  trainCorpus?: string;
  trainSize?: Grid<number>;
}

export interface MtebConfig extends CellConfig {
  kind: 'mteb';
  model: string;
  tasks: string[];
  trainCorpus?: string;
  trainSize?: number;
  /** null: the original embeddings. */
  quantizer: MtebQuantizerSpec | null;
  label?: string;
}

/** runMteb, loaded when an mteb cell runs (it pulls in the embedders), so a failure to load it fails only those cells. */
async function loadRunMteb(): Promise<typeof import('../mteb.js').runMteb> {
  try {
    return (await import('../mteb.js')).runMteb;
  } catch (e) {
    throw new VqbenchError(`runMteb could not be loaded (${oneSentence((e as Error).message).replace(/\.$/, '')}).`);
  }
}

export const mtebKind: CellKindDef<'mteb', 'mteb', MtebSpec[], MtebConfig> = {
  kind: 'mteb',
  gridKey: 'mteb',
  describe: "MTEB text tasks scored on a model's embeddings, original and after a quantizer's encode → decode",
  perDataset: false,
  schema: { type: 'array', items: { $ref: '#/$defs/mteb' } },
  definitions: {
    main_score: "the task type's MTEB main metric",
    delta: 'quantized main_score minus the original main_score',
    ...TIMING_DEFINITIONS,
  },
  check(section, at, fail) {
    section.forEach((m, i) => (m.quantizers ?? []).forEach((q, j) => checkQuantizer(q, [...at, i, 'quantizers', j], fail)));
  },
  expand(section, ctx) {
    return section.flatMap((m, i) => {
      const at = ['grid', 'mteb', i];
      const listed = m.trainSize !== undefined && Array.isArray(atScale(m.trainSize, ctx.scale));
      const trainSizes = m.trainSize === undefined ? [undefined] : ([] as (number | undefined)[]).concat(atScale(m.trainSize, ctx.scale));
      return m.models.flatMap((model) => trainSizes.flatMap((ts) => {
        const common = { kind: 'mteb' as const, model, tasks: m.tasks, trainCorpus: m.trainCorpus, trainSize: ts, seed: ctx.seed, scale: ctx.scale };
        const tsPiece = listed ? [idPiece('trainSize', ts)] : [];
        const original = (m.original ?? true) ? [{ at, pieces: ['mteb', model, 'original', ...tsPiece], config: dropUndefined<MtebConfig>({ ...common, quantizer: null }) }] : [];
        const quantized = (m.quantizers ?? []).flatMap((q) => expandQuantizers(q, ctx.scale).map((c) => ({
          at, pieces: ['mteb', model, ...quantizerPieces(c, q.label), ...tsPiece],
          config: dropUndefined<MtebConfig>({ ...common, quantizer: c, ...(q.label && { label: q.label }) }),
        })));
        return [...original, ...quantized];
      }));
    });
  },
  estimate: () => 300, // dominated by embedding the texts (cached across cells), which the model cannot know
  async execute(c, ctx) {
    const runMteb = await loadRunMteb();
    const r = await runMteb({
      model: c.model, tasks: c.tasks, seed: c.seed, onProgress: ctx.onProgress,
      ...(c.trainCorpus !== undefined && { trainCorpus: c.trainCorpus }),
      ...(c.trainSize !== undefined && { trainSize: c.trainSize }),
      ...(c.quantizer ? { quantizers: [c.quantizer] } : {}),
    });
    return { metrics: r, datasetChecksum: null, definitions: r.definitions };
  },
};

/**
 * A quantizer's descriptor: everything the harness knows about a method, declared in the method's
 * own file and listed once in src/quant/registry.ts. CLI flags, task-file checks, help text, spec
 * labels (`pq:m=12,nbits=8`) and the run estimator are all generated from it.
 */
import type { DataShape } from '../core/cost.js';
import type { ParamSpecs, Resolved } from '../core/params.js';
import type { CodebookQuantizer } from './codebook-quantizer.js';
import type { QuantizerState, TrainerKind } from './types.js';

/** What a quantizer cell trains on and measures, for the cost model. */
export interface QuantizerWork {
  shape: DataShape;
  trainRows: number;
  evalRows: number;
  trainer: TrainerKind;
}

export interface QuantizerDescriptor<P extends ParamSpecs = ParamSpecs, I extends string = string> {
  /** Registry id and the spec's first word: 'pq', 'rvq', 'avq', 'wrvq'. */
  readonly id: I;
  /** One line: what the method is. */
  readonly describe: string;
  /** Its parameters (default, range, description, aliases): the flags, task fields and spec names. */
  readonly params: P;
  /** A new, untrained quantizer (params already resolved against `params`). */
  create(p: Resolved<P>): CodebookQuantizer;
  fromJSON(s: QuantizerState): CodebookQuantizer;
  /** Expected seconds to train on `work.trainRows` rows and encode + decode `work.evalRows`. */
  cost(p: Resolved<P>, work: QuantizerWork): number;
}

/** Identity, for type inference of a descriptor literal in the method's file (its parameters and its id). */
export function defineQuantizer<P extends ParamSpecs, const I extends string>(d: QuantizerDescriptor<P, I>): QuantizerDescriptor<P, I> {
  return d;
}

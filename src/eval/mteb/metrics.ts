/**
 * The metrics of the MTEB evaluators, one implementation each, with the semantics of the library
 * MTEB calls for it (scipy.stats, sklearn.metrics, trec_eval through pytrec_eval, or MTEB's own
 * loops). Everything is computed in float64; labels are small non-negative integers (see
 * `labelIndex`). These are cross-checked against scikit-learn / scipy in test/eval/mteb/.
 */

/** Arithmetic mean (NaN for an empty list). */
export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return xs.length ? s / xs.length : NaN;
}

/** Population standard deviation, numpy's np.std (ddof = 0). */
export function std(xs: ArrayLike<number>): number {
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - m) ** 2;
  return xs.length ? Math.sqrt(s / xs.length) : NaN;
}

/** Maps labels to 0..k−1 in sorted order of the distinct labels (numpy's np.unique order for strings and numbers). */
export function labelIndex<T extends string | number>(labels: readonly T[]): { ids: Int32Array; classes: T[] } {
  const classes = [...new Set(labels)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const pos = new Map<T, number>(classes.map((c, i) => [c, i]));
  const ids = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) ids[i] = pos.get(labels[i])!;
  return { ids, classes };
}

function checkSameLength(fn: string, a: ArrayLike<unknown>, b: ArrayLike<unknown>): void {
  if (a.length !== b.length) throw new RangeError(`${fn}: the two inputs have ${a.length} and ${b.length} values`);
}

/**
 * Pearson's r (scipy.stats.pearsonr); NaN when either side is constant. `weights` (optional) are
 * multiplicities, item i counted weights[i] times (a bootstrap resample); without them every item
 * counts once, and the sums run in the same order either way.
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>, weights?: ArrayLike<number>): number {
  checkSameLength('pearson', x, y);
  const n = x.length;
  let total = 0, sx = 0, sy = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i] : 1;
    total += w;
    sx += w * x[i];
    sy += w * y[i];
  }
  if (total < 2) return NaN;
  const mx = sx / total, my = sy / total;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i] : 1;
    const a = x[i] - mx, b = y[i] - my;
    sxy += w * a * b;
    sxx += w * a * a;
    syy += w * b * b;
  }
  if (sxx === 0 || syy === 0) return NaN;
  const r = sxy / Math.sqrt(sxx * syy);
  return Math.max(-1, Math.min(1, r));
}

/** Indices 0 … n−1 sorted by ascending x (a rank's order; computed once when many resamples are ranked). */
export function ascendingOrder(x: ArrayLike<number>): Uint32Array {
  return Uint32Array.from({ length: x.length }, (_, i) => i).sort((a, b) => x[a] - x[b]);
}

/**
 * 1-based ranks with ties given their average rank (scipy.stats.rankdata, method 'average').
 * `counts` (optional): multiplicities of a resample, item i standing for counts[i] tied copies (an
 * item drawn 0 times gets a rank that weighs nothing); `order`: ascendingOrder(x), if known.
 */
export function rankAverage(x: ArrayLike<number>, counts?: ArrayLike<number>, order: ArrayLike<number> = ascendingOrder(x)): Float64Array {
  const n = x.length;
  const ranks = new Float64Array(n);
  let before = 0; // copies ranked below the current group of tied values
  for (let i = 0; i < n;) {
    let j = i, copies = 0;
    for (; j < n && x[order[j]] === x[order[i]]; j++) copies += counts ? counts[order[j]] : 1;
    const r = (before + 1 + (before + copies)) / 2; // mean of ranks before+1 .. before+copies
    for (let t = i; t < j; t++) ranks[order[t]] = r;
    before += copies;
    i = j;
  }
  return ranks;
}

/** Spearman's ρ (scipy.stats.spearmanr): Pearson's r of the average ranks. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkSameLength('spearman', x, y);
  return pearson(rankAverage(x), rankAverage(y));
}

/** How often each of n items occurs in `indices` (a bootstrap resample). */
export function multiplicities(indices: ArrayLike<number>, n: number, out = new Float64Array(n)): Float64Array {
  out.fill(0);
  for (let i = 0; i < indices.length; i++) out[indices[i]]++;
  return out;
}

/** Indices 0 … n−1 sorted by descending score (ties in input order). */
export function descendingOrder(scores: ArrayLike<number>): Uint32Array {
  return Uint32Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
}

/**
 * sklearn.metrics.average_precision_score for binary labels (1 = positive): the step-wise area
 * Σ (R_t − R_{t−1}) · P_t over the distinct score thresholds t, highest first, so tied scores enter
 * together. NaN when there is no positive label. `counts` (optional): multiplicities of a resample,
 * item i counted counts[i] times; `order`: descendingOrder(scores), if known.
 */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>, counts?: ArrayLike<number>, order: ArrayLike<number> = descendingOrder(scores)): number {
  checkSameLength('averagePrecision', labels, scores);
  const n = labels.length;
  let positives = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) positives += counts ? counts[i] : 1;
  if (positives === 0) return NaN;
  let tp = 0, fp = 0, prevRecall = 0, ap = 0;
  for (let i = 0; i < n;) {
    const s = scores[order[i]];
    for (; i < n && scores[order[i]] === s; i++) {
      const c = counts ? counts[order[i]] : 1;
      if (labels[order[i]] === 1) tp += c;
      else fp += c;
    }
    if (tp + fp === 0) continue; // a threshold no drawn item sits at
    const recall = tp / positives;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
  }
  return ap;
}

/** Fraction of equal entries. */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkSameLength('accuracy', yTrue, yPred);
  let ok = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) ok++;
  return yTrue.length ? ok / yTrue.length : NaN;
}

/**
 * sklearn's precision_score / recall_score / f1_score with average 'macro' (unweighted mean over
 * the labels present in yTrue or yPred) or 'weighted' (mean weighted by each label's count in
 * yTrue), zero_division = 0.
 */
export function precisionRecallF1(
  yTrue: ArrayLike<number>, yPred: ArrayLike<number>, average: 'macro' | 'weighted',
): { precision: number; recall: number; f1: number } {
  checkSameLength('precisionRecallF1', yTrue, yPred);
  const n = yTrue.length;
  let k = 0;
  for (let i = 0; i < n; i++) k = Math.max(k, yTrue[i] + 1, yPred[i] + 1);
  const tp = new Float64Array(k), predicted = new Float64Array(k), support = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    support[yTrue[i]]++;
    predicted[yPred[i]]++;
    if (yTrue[i] === yPred[i]) tp[yTrue[i]]++;
  }
  let p = 0, r = 0, f = 0, wsum = 0;
  for (let c = 0; c < k; c++) {
    if (support[c] === 0 && predicted[c] === 0) continue; // not a label of this problem
    const w = average === 'macro' ? 1 : support[c];
    const pc = predicted[c] > 0 ? tp[c] / predicted[c] : 0;
    const rc = support[c] > 0 ? tp[c] / support[c] : 0;
    const fc = pc + rc > 0 ? (2 * pc * rc) / (pc + rc) : 0;
    p += w * pc;
    r += w * rc;
    f += w * fc;
    wsum += w;
  }
  return wsum > 0 ? { precision: p / wsum, recall: r / wsum, f1: f / wsum } : { precision: 0, recall: 0, f1: 0 };
}

/** Indices sorted by score, best first (higher first when `higherIsBetter`), ties in input order (Python's stable sort). */
function stableOrder(scores: ArrayLike<number>, higherIsBetter: boolean): number[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  return higherIsBetter ? idx.sort((a, b) => scores[b] - scores[a]) : idx.sort((a, b) => scores[a] - scores[b]);
}

/**
 * MTEB's PairClassificationEvaluator.find_best_acc_and_threshold: walk the pairs from most to least
 * similar, predicting "positive" for the first i+1 of them; keep the best accuracy (strictly better
 * only) and the midpoint threshold between pair i and i+1. The last pair is never a cut point.
 */
export function bestAccuracyThreshold(
  scores: ArrayLike<number>, labels: ArrayLike<number>, higherIsMoreSimilar: boolean,
): { accuracy: number; threshold: number } {
  checkSameLength('bestAccuracyThreshold', scores, labels);
  const n = scores.length;
  const order = stableOrder(scores, higherIsMoreSimilar);
  let best = 0, threshold = -1, positives = 0, remainingNegatives = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 0) remainingNegatives++;
  for (let i = 0; i < n - 1; i++) {
    if (labels[order[i]] === 1) positives++;
    else remainingNegatives--;
    const acc = (positives + remainingNegatives) / n;
    if (acc > best) {
      best = acc;
      threshold = (scores[order[i]] + scores[order[i + 1]]) / 2;
    }
  }
  return { accuracy: best, threshold };
}

/** MTEB's find_best_f1_and_threshold: the same walk, keeping the best F1 with its precision and recall. */
export function bestF1Threshold(
  scores: ArrayLike<number>, labels: ArrayLike<number>, higherIsMoreSimilar: boolean,
): { f1: number; precision: number; recall: number; threshold: number } {
  checkSameLength('bestF1Threshold', scores, labels);
  const n = scores.length;
  const order = stableOrder(scores, higherIsMoreSimilar);
  let totalPositives = 0;
  for (let i = 0; i < n; i++) totalPositives += labels[i];
  let best = 0, bestP = 0, bestR = 0, threshold = 0, extracted = 0, correct = 0;
  for (let i = 0; i < n - 1; i++) {
    extracted++;
    if (labels[order[i]] === 1) correct++;
    if (correct > 0) {
      const p = correct / extracted, r = correct / totalPositives;
      const f1 = (2 * p * r) / (p + r);
      if (f1 > best) {
        best = f1;
        bestP = p;
        bestR = r;
        threshold = (scores[order[i]] + scores[order[i + 1]]) / 2;
      }
    }
  }
  return { f1: best, precision: bestP, recall: bestR, threshold };
}

/** Entropy (natural log) of a count vector with the given total. */
function entropy(counts: Float64Array, total: number): number {
  let h = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (c > 0) h -= (c / total) * Math.log(c / total);
  }
  return h;
}

/**
 * sklearn.metrics.homogeneity_completeness_v_measure (beta = 1): h = 1 − H(C|K)/H(C),
 * c = 1 − H(K|C)/H(K), v = 2hc/(h + c); h (c) is 1 when the true (predicted) labelling has one class.
 */
export function vMeasure(labelsTrue: ArrayLike<number>, labelsPred: ArrayLike<number>, beta = 1): { homogeneity: number; completeness: number; v_measure: number } {
  checkSameLength('vMeasure', labelsTrue, labelsPred);
  const n = labelsTrue.length;
  if (n === 0) return { homogeneity: 1, completeness: 1, v_measure: 1 };
  let nc = 0, nk = 0;
  for (let i = 0; i < n; i++) {
    nc = Math.max(nc, labelsTrue[i] + 1);
    nk = Math.max(nk, labelsPred[i] + 1);
  }
  const joint = new Float64Array(nc * nk), ct = new Float64Array(nc), kt = new Float64Array(nk);
  for (let i = 0; i < n; i++) {
    joint[labelsTrue[i] * nk + labelsPred[i]]++;
    ct[labelsTrue[i]]++;
    kt[labelsPred[i]]++;
  }
  const hC = entropy(ct, n), hK = entropy(kt, n);
  // mutual information I(C;K) = Σ n_ck/n · log(n·n_ck / (n_c·n_k)); H(C|K) = H(C) − I, H(K|C) = H(K) − I
  let mi = 0;
  for (let c = 0; c < nc; c++) {
    for (let k = 0; k < nk; k++) {
      const v = joint[c * nk + k];
      if (v > 0) mi += (v / n) * Math.log((n * v) / (ct[c] * kt[k]));
    }
  }
  mi = Math.max(0, mi);
  const h = hC > 0 ? mi / hC : 1;
  const c = hK > 0 ? mi / hK : 1;
  const v = h + c > 0 ? ((1 + beta) * h * c) / (beta * h + c) : 0;
  return { homogeneity: h, completeness: c, v_measure: v };
}

/** MTEB's mrr_at_k_score: 1/rank of the first relevant item among the first k of `ranking` (0 if none). */
export function reciprocalRankAtK(ranking: ArrayLike<number>, isRelevant: ArrayLike<boolean | number>, k: number): number {
  for (let r = 0; r < Math.min(k, ranking.length); r++) if (isRelevant[ranking[r]]) return 1 / (r + 1);
  return 0;
}

/** One query's retrieved documents (any order; ranked inside `rankingMetrics`) and their scores. */
export interface RankedList { ids: readonly string[]; scores: ArrayLike<number> }

/**
 * trec_eval's order of a run: score descending, ties broken by document id descending (strcmp
 * order, trec_eval's comp_sim_docno). trec_eval holds scores as C floats, so scores are compared
 * after rounding to float32: two scores equal in float32 are a tie. Returns indices into `list`.
 */
export function trecOrder(list: RankedList): number[] {
  const { ids } = list;
  const s = Float32Array.from(list.scores);
  return Array.from({ length: ids.length }, (_, i) => i).sort((a, b) =>
    s[b] - s[a] || (ids[a] < ids[b] ? 1 : ids[a] > ids[b] ? -1 : 0));
}

/** The k values at which MTEB reports retrieval metrics. */
export const MTEB_K_VALUES: readonly number[] = [1, 3, 5, 10, 20, 100, 1000];

/**
 * BEIR / MTEB retrieval metrics with trec_eval semantics (pytrec_eval `ndcg_cut`, `map_cut`,
 * `recall`, `P`; MTEB's own `mrr`), averaged over the queries of `qrels`:
 *   - a document is relevant when its grade is ≥ 1; num_rel counts the relevant documents in qrels;
 *   - ndcg_at_k: Σ_{i≤k} grade_i / log2(i+1) over the ranked list, divided by the same sum over the
 *     ideal ordering of all judged grades (linear gain, trec_eval's default);
 *   - map_at_k: Σ precision@i over relevant ranks i ≤ k, divided by num_rel (not by min(k, num_rel));
 *   - recall_at_k: relevant in the top k / num_rel; precision_at_k: relevant in the top k / k;
 *   - mrr_at_k: 1 / rank of the first relevant document within the top k.
 * A query with no relevant document scores 0 everywhere (trec_eval); a query of qrels missing from
 * `run` counts as an empty list. Unlike MTEB, values are not rounded to 5 decimals.
 */
export function rankingMetrics(
  run: Map<string, RankedList>, qrels: Map<string, Map<string, number>>, kValues: readonly number[] = MTEB_K_VALUES,
): Record<string, number> {
  const perQuery = rankingMetricsPerQuery(run, qrels, kValues);
  const out: Record<string, number> = {};
  for (const [key, values] of Object.entries(perQuery)) out[key] = qrels.size ? mean(values) : NaN;
  return out;
}

/**
 * The values `rankingMetrics` averages: metric name → one value per query of `qrels`, in qrels'
 * order (their in-order mean is its score, bit for bit; a bootstrap resamples them).
 */
export function rankingMetricsPerQuery(
  run: Map<string, RankedList>, qrels: Map<string, Map<string, number>>, kValues: readonly number[] = MTEB_K_VALUES,
): Record<string, Float64Array> {
  const perQuery: Record<string, Float64Array> = {};
  const names = ['ndcg', 'map', 'recall', 'precision', 'mrr'];
  for (const m of names) for (const k of kValues) perQuery[`${m}_at_${k}`] = new Float64Array(qrels.size);
  const kMax = Math.max(...kValues);
  const rel = new Float64Array(kMax);
  let q = -1;
  for (const [qid, judged] of qrels) {
    q++;
    const list = run.get(qid) ?? { ids: [], scores: [] };
    const order = trecOrder(list);
    const depth = Math.min(kMax, order.length);
    for (let i = 0; i < depth; i++) rel[i] = judged.get(list.ids[order[i]]) ?? 0;
    const grades = [...judged.values()].filter((g) => g > 0).sort((a, b) => b - a);
    const numRel = grades.length;
    if (numRel === 0) continue;
    for (const k of kValues) {
      let dcg = 0, idcg = 0, hits = 0, apSum = 0, rr = 0;
      for (let i = 0; i < Math.min(k, depth); i++) {
        const g = rel[i];
        if (g > 0) {
          dcg += g / Math.log2(i + 2);
          hits++;
          apSum += hits / (i + 1);
          if (rr === 0) rr = 1 / (i + 1);
        }
      }
      for (let i = 0; i < Math.min(k, numRel); i++) idcg += grades[i] / Math.log2(i + 2);
      perQuery[`ndcg_at_${k}`][q] = idcg > 0 ? dcg / idcg : 0;
      perQuery[`map_at_${k}`][q] = apSum / numRel;
      perQuery[`recall_at_${k}`][q] = hits / numRel;
      perQuery[`precision_at_${k}`][q] = hits / k;
      perQuery[`mrr_at_${k}`][q] = rr;
    }
  }
  return perQuery;
}

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { bootstrapMean, bootstrapStatistic, pairedBootstrapDiff, pairedBootstrapStatistic } from '../../src/eval/bootstrap.js';
import { spearman } from '../../src/eval/mteb/metrics.js';
import { spearmanOfResample } from '../../src/eval/mteb/resampled.js';

const inputError = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof InputError, `expected an InputError, got ${(e as Error)?.stack}`);
  assert.match((e as Error).message, pattern);
  assert.doesNotMatch((e as Error).message, /\n/);
  return true;
};

function bernoulli(rng: Rng, n: number, p: number): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.float() < p ? 1 : 0;
  return x;
}

test('bootstrapMean: the same seed gives the same interval, another seed another one', () => {
  const rng = new Rng(1);
  const v = Float64Array.from({ length: 300 }, () => rng.normal());
  const a = bootstrapMean(v, { seed: 42 }), b = bootstrapMean(Array.from(v), { seed: 42 });
  assert.deepEqual(a, b);
  assert.equal(a.method, 'percentile');
  assert.equal(a.resamples, 1000);
  assert.equal(a.level, 0.95);
  assert.ok(a.lo <= a.mean && a.mean <= a.hi && a.lo < a.hi);
  const c = bootstrapMean(v, { seed: 43 });
  assert.equal(c.mean, a.mean);
  assert.ok(c.lo !== a.lo || c.hi !== a.hi);
});

test('bootstrapMean: the mean and the percentile rule on a hand-computed case', () => {
  // two items {0, 1}: a replicate mean is 0, 1/2 or 1; with level 0.5 and 100 resamples the interval
  // is the 25th and 75th percentiles (numpy linear) of the sorted replicate means
  const r = bootstrapMean([0, 1], { seed: 3, resamples: 100, level: 0.5 });
  assert.equal(r.mean, 0.5);
  // reproduce the replicates by hand from the same stream (xoshiro128** seeded by four words of Rng(3))
  const rng = new Rng(3);
  const st = [rng.nextU32() | 0, rng.nextU32() | 0, rng.nextU32() | 0, rng.nextU32() | 0];
  const next = () => {
    const m = Math.imul(st[1], 5);
    const u = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = st[1] << 9;
    st[2] ^= st[0]; st[3] ^= st[1]; st[1] ^= st[2]; st[0] ^= st[3]; st[2] ^= t;
    st[3] = (st[3] << 11) | (st[3] >>> 21);
    return u;
  };
  const means: number[] = [];
  for (let i = 0; i < 100; i++) means.push((Math.floor((next() * 2) / 4294967296) + Math.floor((next() * 2) / 4294967296)) / 2);
  means.sort((p, q) => p - q);
  const q = (p: number) => { const h = 99 * p, lo = Math.floor(h); return means[lo] + (h - lo) * (means[lo + 1] - means[lo]); };
  assert.equal(r.lo, q(0.25));
  assert.equal(r.hi, q(0.75));
  // with these draws about a quarter are 0, half 1/2, a quarter 1: the central half is [0, 1/2] or [1/2, 1] or [1/2, 1/2]
  assert.ok(r.lo >= 0 && r.lo <= 0.5 && r.hi >= 0.5 && r.hi <= 1);

  // a constant sample: every replicate is the constant
  assert.deepEqual(bootstrapMean([2.5, 2.5, 2.5], { seed: 1 }), { mean: 2.5, lo: 2.5, hi: 2.5, resamples: 1000, level: 0.95, method: 'percentile' });
  // a single item: the same
  const one = bootstrapMean([0.25], { seed: 9, resamples: 100 });
  assert.equal(one.lo, 0.25);
  assert.equal(one.hi, 0.25);
  // mean of 1..5 = 3 (summed in order), interval inside the range of the data
  const five = bootstrapMean(Float64Array.from([1, 2, 3, 4, 5]), { seed: 5 });
  assert.equal(five.mean, 3);
  assert.ok(five.lo >= 1 && five.hi <= 5 && five.lo < 3 && five.hi > 3);
});

// coverage over many seeds: recall-like Bernoulli(p) values and loss-like skewed (exponential) ones, n = 200
const COVERAGE_CASES = [
  { name: 'Bernoulli(0.3), 95%', trials: 400, level: 0.95, truth: 0.3, draw: (rng: Rng) => bernoulli(rng, 200, 0.3) },
  { name: 'Bernoulli(0.9), 90%', trials: 300, level: 0.9, truth: 0.9, draw: (rng: Rng) => bernoulli(rng, 200, 0.9) },
  { name: 'Exponential(1), 95%', trials: 300, level: 0.95, truth: 1, draw: (rng: Rng) => Float64Array.from({ length: 200 }, () => -Math.log(1 - rng.float())) },
];

for (const c of COVERAGE_CASES) {
  test(`bootstrapMean: the interval of the mean of ${c.name.replace(/, .*/, '')} (n = 200) covers it at about ${c.level * 100}% over ${c.trials} seeds`, () => {
    let covered = 0;
    for (let s = 0; s < c.trials; s++) {
      const ci = bootstrapMean(c.draw(new Rng(10_000 + s)), { seed: s, level: c.level });
      if (ci.lo <= c.truth && c.truth <= ci.hi) covered++;
    }
    const rate = covered / c.trials;
    // binomial sd of the observed rate at the nominal level, and 3.5 of them (the percentile bootstrap
    // also runs slightly narrow at this n, which the margin leaves room for); seeded, so not flaky
    const sd = Math.sqrt((c.level * (1 - c.level)) / c.trials);
    console.log(`# coverage ${c.name}: ${covered}/${c.trials} = ${rate.toFixed(4)} (sd ${sd.toFixed(4)})`);
    assert.ok(Math.abs(rate - c.level) <= 3.5 * sd, `coverage ${rate} is more than 3.5 sd (${sd}) from ${c.level}`);
  });
}

test('pairedBootstrapDiff: identical inputs differ by 0, not significantly', () => {
  const a = bernoulli(new Rng(2), 500, 0.6);
  const r = pairedBootstrapDiff(a, Float64Array.from(a), { seed: 1 });
  assert.deepEqual(r, { diff: 0, lo: 0, hi: 0, significant: false, resamples: 1000, level: 0.95, method: 'percentile' });
});

test('pairedBootstrapDiff: a shift of a few standard errors is significant, noise alone is not', () => {
  const rng = new Rng(4);
  const n = 400;
  const base = new Float64Array(n), noise = new Float64Array(n), shifted = new Float64Array(n);
  for (let i = 0; i < n; i++) base[i] = rng.normal(); // shared per-item difficulty
  for (let i = 0; i < n; i++) noise[i] = base[i] + 0.1 * rng.normal();
  // sd of the item-wise difference is 0.1·√2 ≈ 0.14, its standard error 0.14/√400 ≈ 0.007: shift by 5 se
  const shift = 5 * (0.1 * Math.SQRT2) / Math.sqrt(n);
  for (let i = 0; i < n; i++) shifted[i] = base[i] + 0.1 * rng.normal() + shift;
  const sig = pairedBootstrapDiff(shifted, noise, { seed: 7 });
  assert.ok(sig.significant, JSON.stringify(sig));
  assert.ok(sig.lo > 0 && sig.lo < sig.diff && sig.diff < sig.hi);
  assert.ok(Math.abs(sig.diff - shift) < 3 * (0.1 * Math.SQRT2) / Math.sqrt(n));
  // the reverse order: the same interval mirrored
  const rev = pairedBootstrapDiff(noise, shifted, { seed: 7 });
  assert.ok(rev.significant && rev.hi < 0);
  // two noisy copies of the same items without a shift: not significant
  const other = new Float64Array(n);
  for (let i = 0; i < n; i++) other[i] = base[i] + 0.1 * rng.normal();
  assert.equal(pairedBootstrapDiff(other, noise, { seed: 7 }).significant, false);
  // unpaired, the same shift hides in the per-item spread (sd 1): the interval of mean(shifted) covers mean(noise)
  const ci = bootstrapMean(shifted, { seed: 7 });
  assert.ok(ci.lo < bootstrapMean(noise, { seed: 7 }).mean);
});

test('bad input is refused with one sentence', () => {
  assert.throws(() => bootstrapMean([], { seed: 1 }), inputError(/not defined on 0 items/));
  assert.throws(() => bootstrapMean([1, NaN], { seed: 1 }), inputError(/finite values, but values\[1\] is NaN/));
  assert.throws(() => bootstrapMean([1, Infinity], { seed: 1 }), inputError(/values\[1\] is Infinity/));
  assert.throws(() => bootstrapMean([1, 2], { seed: 1, resamples: 99 }), inputError(/at least 100, got 99/));
  assert.throws(() => bootstrapMean([1, 2], { seed: 1, resamples: 100.5 }), inputError(/resamples/));
  assert.throws(() => bootstrapMean([1, 2], { seed: 1, level: 1 }), inputError(/strictly between 0 and 1, got 1/));
  assert.throws(() => pairedBootstrapDiff([1, 2], [1], { seed: 1 }), inputError(/one has 2 values and the other 1/));
  assert.throws(() => pairedBootstrapDiff([], [], { seed: 1 }), inputError(/not defined on 0 items/));
  assert.throws(() => pairedBootstrapDiff([1], [-Infinity], { seed: 1 }), inputError(/but b\[0\] is -Infinity/));
});

test('bootstrapMean: 1,000 resamples of 10,000 items take well under 100 ms', () => {
  const v = bernoulli(new Rng(8), 10_000, 0.5);
  bootstrapMean(v, { seed: 0 }); // warm-up (JIT)
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    bootstrapMean(v, { seed: i + 1 });
    best = Math.min(best, performance.now() - t0);
  }
  console.log(`# 1000 × 10000: ${best.toFixed(1)} ms`);
  // generous for a loaded shared machine; measured ~50 ms
  assert.ok(best < 250, `${best} ms`);
});

/** n pairs whose y follows x with noise: a Spearman's ρ of about 0.7, gold scores on a 0–5 half-point scale (ties, as STS). */
function correlatedPairs(seed: number, n: number): { x: Float64Array; y: Float64Array } {
  const rng = new Rng(seed);
  const x = new Float64Array(n), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = rng.normal();
    y[i] = Math.max(0, Math.min(5, Math.round(2 * (2.5 + x[i] + 0.9 * rng.normal())) / 2));
  }
  return { x, y };
}

test('bootstrapStatistic: the mean as a statistic gives bootstrapMean\'s interval bit for bit (one resample stream)', () => {
  const v = bernoulli(new Rng(12), 700, 0.4);
  const mean = (idx: Uint32Array) => {
    let s = 0;
    for (let i = 0; i < idx.length; i++) s += v[idx[i]];
    return s / idx.length;
  };
  const a = bootstrapStatistic(v.length, mean, { seed: 99 }), b = bootstrapMean(v, { seed: 99 });
  assert.deepEqual([a.value, a.lo, a.hi], [b.mean, b.lo, b.hi]);
  const pa = pairedBootstrapStatistic(v.length, mean, () => 0.25, { seed: 5 });
  const pb = pairedBootstrapDiff(v, new Float64Array(v.length).fill(0.25), { seed: 5 });
  assert.ok(Math.abs(pa.lo - pb.lo) < 1e-15 && Math.abs(pa.hi - pb.hi) < 1e-15, `${JSON.stringify(pa)} vs ${JSON.stringify(pb)}`);
});

test('bootstrapStatistic of Spearman\'s ρ: reproduces for a seed, brackets the point estimate, ~1/√n wide', () => {
  const { x, y } = correlatedPairs(3, 1500);
  const rho = spearman(y, x);
  const a = bootstrapStatistic(x.length, spearmanOfResample(y, x), { seed: 17 });
  assert.equal(a.value, rho, 'the identity resample is the plain statistic, bit for bit');
  assert.deepEqual(bootstrapStatistic(x.length, spearmanOfResample(y, x), { seed: 17 }), a);
  assert.notDeepEqual(bootstrapStatistic(x.length, spearmanOfResample(y, x), { seed: 18 }), a);
  assert.ok(a.lo < rho && rho < a.hi, `${rho} in [${a.lo}, ${a.hi}]`);
  // Fisher's z: se ≈ (1 − ρ²)/√(n − 3) · ~1.03 for Spearman; the 95% width is about 3.9 se
  const se = (1 - rho * rho) / Math.sqrt(x.length - 3);
  const width = a.hi - a.lo;
  assert.ok(width > 2.5 * se && width < 6 * se, `width ${width} vs se ${se}`);
  assert.equal(a.resamples, 1000);
  assert.equal(a.method, 'percentile');
});

test('bootstrapStatistic of Spearman\'s ρ (n = 120) covers the true ρ at about 95% over 200 seeds', () => {
  // the population ρ of the generating model, estimated once on a large sample
  const big = correlatedPairs(1, 200_000);
  const truth = spearman(big.y, big.x);
  let covered = 0;
  const trials = 200;
  for (let s = 0; s < trials; s++) {
    const { x, y } = correlatedPairs(1000 + s, 120);
    const ci = bootstrapStatistic(x.length, spearmanOfResample(y, x), { seed: s });
    if (ci.lo <= truth && truth <= ci.hi) covered++;
  }
  const rate = covered / trials;
  console.log(`# Spearman coverage: ${covered}/${trials} = ${rate.toFixed(3)} (true ρ ${truth.toFixed(4)})`);
  // percentile intervals of a correlation run slightly narrow at small n; 3.5 binomial sd (0.054) around 0.95 below, 0.99 above
  assert.ok(rate >= 0.895 && rate <= 0.99, `coverage ${rate}`);
});

test('pairedBootstrapStatistic: identical inputs give the zero-width interval at 0, a real gap is significant', () => {
  const { x, y } = correlatedPairs(5, 800);
  const stat = spearmanOfResample(y, x);
  assert.deepEqual(pairedBootstrapStatistic(x.length, stat, spearmanOfResample(y, Float64Array.from(x)), { seed: 2 }),
    { diff: 0, lo: 0, hi: 0, significant: false, resamples: 1000, level: 0.95, method: 'percentile' });
  // a noisier similarity on the same pairs correlates less: the paired difference excludes 0
  const rng = new Rng(6);
  const noisy = x.map((v) => v + 1.5 * rng.normal());
  const d = pairedBootstrapStatistic(x.length, spearmanOfResample(y, noisy), stat, { seed: 2 });
  assert.equal(d.diff, spearman(y, noisy) - spearman(y, x));
  assert.ok(d.significant && d.hi < 0 && d.lo < d.diff && d.diff < d.hi, JSON.stringify(d));
});

test('bootstrapStatistic: 1,000 resamples of Spearman over 3,000 pairs take well under a second', () => {
  const { x, y } = correlatedPairs(8, 3000);
  const stat = spearmanOfResample(y, x);
  bootstrapStatistic(x.length, stat, { seed: 0, resamples: 100 }); // warm-up (JIT)
  let best = Infinity;
  for (let i = 0; i < 2; i++) {
    const t0 = performance.now();
    bootstrapStatistic(x.length, stat, { seed: i + 1 });
    best = Math.min(best, performance.now() - t0);
  }
  console.log(`# Spearman 1000 × 3000: ${best.toFixed(1)} ms`);
  assert.ok(best < 1000, `${best} ms`);
});

test('bootstrapStatistic: a statistic undefined on a resample, or on the data, is one sentence', () => {
  // Spearman of two pairs: a resample drawing one pair twice has constant ranks
  assert.throws(() => bootstrapStatistic(2, spearmanOfResample([1, 2], [1, 2]), { seed: 1 }), inputError(/not defined \(NaN\): 2 items are too few or too uniform/));
  assert.throws(() => bootstrapStatistic(3, () => NaN, { seed: 1 }), inputError(/finite statistic, but it is NaN on all 3 items/));
  assert.throws(() => bootstrapStatistic(0, () => 0, { seed: 1 }), inputError(/not defined on 0 items/));
  assert.throws(() => pairedBootstrapStatistic(3, () => 1, () => Infinity, { seed: 1 }), inputError(/finite statistics, but they are 1 and Infinity/));
  assert.throws(() => bootstrapStatistic(3, () => 1, { seed: 1, resamples: 10 }), inputError(/at least 100, got 10/));
});

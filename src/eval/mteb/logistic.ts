/**
 * L2-regularised logistic regression as scikit-learn's `LogisticRegression()` fits it with the
 * defaults MTEB uses (solver 'lbfgs', penalty 'l2', C = 1, fit_intercept, tol = 1e-4, MTEB's
 * max_iter = 100), so that MTEB's Classification protocol can run on our embeddings:
 *
 *   - more than two classes: the multinomial model (sklearn's multi_class='auto' with lbfgs), one
 *     weight row and intercept per class, minimising
 *         Σ_i [logsumexp(z_i) − z_i,y_i] + ||W||² / (2C),   z_i = W x_i + b;
 *   - two classes: sklearn's binary model, a single weight row for class 1 against class 0,
 *         Σ_i [log(1 + e^z_i) − y_i z_i] + ||w||² / (2C)
 *     (not the 2-class multinomial, whose minimiser differs: it is the binary one with 2C).
 *   The intercepts are not penalised. Prediction is the argmax of the decision values (ties to
 *   the lower class index), or class 1 when the binary decision value is > 0. Labels are
 *   0..nClasses−1 in sklearn's classes_ order (sorted), which the caller maps.
 *
 * The optimiser is L-BFGS (10 correction pairs, as scipy's L-BFGS-B) with a strong-Wolfe line
 * search (sufficient decrease 1e-3, curvature 0.9, at most 20 evaluations: scipy's dcsrch
 * constants) and scipy's stopping rules as sklearn calls it: max |gradient| ≤ tol, or relative
 * decrease (f_k − f_k+1)/max(|f_k|, |f_k+1|, 1) ≤ 2.2e-9 (scipy's default ftol), or maxIter iterations.
 *
 * Mixed precision, for speed on flat Float32Arrays: the two products per evaluation (X·Wᵀ and the
 * gradient Rᵀ·X) first run in the float32 wasm SIMD kernel of core/distance.ts; once an iteration
 * decreases the objective by less than 1e-7 (relative; the float32 noise of the objective measured
 * 1e-11..2e-9 relative), or the gradient is within tol, or a line search fails, the fit switches to
 * float64 products for the end game, so that the stopping rules are tested on exact values as
 * scipy does. Predictions are those
 * of the float64 decision values (see `predictLogistic`).
 */
import { InputError } from '../../core/errors.js';
import { innerProducts } from '../../core/distance.js';
import type { Matrix } from '../../core/matrix.js';

export interface LogisticOptions {
  /** Inverse regularisation strength. Default 1 (sklearn's default). */
  C?: number;
  /** L-BFGS iterations. Default 100 (MTEB's logRegClassificationEvaluator max_iter). */
  maxIter?: number;
  /** Stop when max |gradient| ≤ tol. Default 1e-4 (sklearn's tol, passed to scipy as gtol). */
  tol?: number;
  /** Default true. */
  fitIntercept?: boolean;
  /** 'mixed' (default): float32 products until close to the optimum, then float64; 'float64': float64 throughout. */
  precision?: 'mixed' | 'float64';
}

export interface LogisticModel {
  nClasses: number;
  dim: number;
  /** True for the two-class model: one weight row, class 1 against class 0. */
  binary: boolean;
  /** Weight rows, row-major (1 × dim when binary, else nClasses × dim). */
  coef: Float64Array;
  /** One intercept per weight row. */
  intercept: Float64Array;
  /** The objective above at the returned weights. */
  objective: number;
  iterations: number;
  evaluations: number;
  /** True when a stopping rule other than maxIter ended the fit. */
  converged: boolean;
  message: string;
}

// The float64 products loop over blocks of 4 weight rows outside and over the rows of X inside, so
// that the block (4·d doubles) stays in L1 cache while X streams past it once per block.

/** Row-major Z[n × r] = X[n × d] · W[r × d]ᵀ in float64. */
function productsF64(x: Float32Array, n: number, d: number, w: Float64Array, r: number, z: Float64Array): void {
  let k = 0;
  for (; k + 3 < r; k += 4) {
    const w0 = k * d, w1 = w0 + d, w2 = w1 + d, w3 = w2 + d;
    for (let i = 0; i < n; i++) {
      const xo = i * d;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let j = 0; j < d; j++) {
        const v = x[xo + j];
        s0 += v * w[w0 + j];
        s1 += v * w[w1 + j];
        s2 += v * w[w2 + j];
        s3 += v * w[w3 + j];
      }
      const zo = i * r + k;
      z[zo] = s0;
      z[zo + 1] = s1;
      z[zo + 2] = s2;
      z[zo + 3] = s3;
    }
  }
  for (; k < r; k++) {
    const w0 = k * d;
    for (let i = 0; i < n; i++) {
      const xo = i * d;
      let s = 0;
      for (let j = 0; j < d; j++) s += x[xo + j] * w[w0 + j];
      z[i * r + k] = s;
    }
  }
}

/** G[r × d] = Rᵀ·X in float64, where R is n × r row-major. */
function gradientF64(x: Float32Array, n: number, d: number, rm: Float64Array, r: number, g: Float64Array): void {
  g.fill(0, 0, r * d);
  let k = 0;
  for (; k + 3 < r; k += 4) {
    const g0 = k * d, g1 = g0 + d, g2 = g1 + d, g3 = g2 + d;
    for (let i = 0; i < n; i++) {
      const xo = i * d, ro = i * r + k;
      const r0 = rm[ro], r1 = rm[ro + 1], r2 = rm[ro + 2], r3 = rm[ro + 3];
      for (let j = 0; j < d; j++) {
        const v = x[xo + j];
        g[g0 + j] += r0 * v;
        g[g1 + j] += r1 * v;
        g[g2 + j] += r2 * v;
        g[g3 + j] += r3 * v;
      }
    }
  }
  for (; k < r; k++) {
    const g0 = k * d;
    for (let i = 0; i < n; i++) {
      const xo = i * d, rv = rm[i * r + k];
      for (let j = 0; j < d; j++) g[g0 + j] += rv * x[xo + j];
    }
  }
}

/** The objective and its gradient over θ = [W (r × d), b (r)]. */
class Objective {
  readonly r: number;
  readonly size: number;
  private readonly xt: Float32Array;
  private readonly w32: Float32Array;
  private readonly z32: Float32Array;
  private readonly rt32: Float32Array;
  private readonly g32: Float32Array;
  private readonly z64: Float64Array;
  private readonly r64: Float64Array;
  private readonly g64: Float64Array;

  constructor(
    private readonly x: Float32Array, private readonly n: number, private readonly d: number,
    private readonly y: Int32Array, readonly nClasses: number, readonly binary: boolean,
    private readonly invC: number, private readonly fitIntercept: boolean,
  ) {
    this.r = binary ? 1 : nClasses;
    this.size = this.r * d + this.r;
    // Xᵀ (d × n), so that the gradient Rᵀ·X is one call of the row-by-row inner-product kernel
    this.xt = new Float32Array(d * n);
    transposeInto(this.xt, x, n, d);
    this.w32 = new Float32Array(this.r * d);
    this.z32 = new Float32Array(n * this.r);
    this.rt32 = new Float32Array(this.r * n);
    this.g32 = new Float32Array(this.r * d);
    this.z64 = new Float64Array(n * this.r);
    this.r64 = new Float64Array(n * this.r);
    this.g64 = new Float64Array(this.r * d);
  }

  /** f(θ); writes ∇f(θ) into grad. `exact`: float64 products, else the float32 kernel. */
  evaluate(theta: Float64Array, grad: Float64Array, exact: boolean): number {
    const { n, d, r, y } = this;
    const wd = r * d;
    const z = this.z64, rm = this.r64;
    if (exact) {
      productsF64(this.x, n, d, theta, r, z);
    } else {
      copyInto(this.w32, theta, wd);
      innerProducts(this.x, 0, n, this.w32, 0, r, d, this.z32, r);
      copyInto(z, this.z32, n * r);
    }
    grad.fill(0);
    const loss = this.binary ? binaryLoss(z, theta[wd], y, n, rm) : softmaxLoss(z, theta, wd, y, n, r, rm);
    if (this.fitIntercept) columnSums(rm, n, r, grad, wd);
    if (exact) {
      gradientF64(this.x, n, d, rm, r, this.g64);
      copyInto(grad, this.g64, wd);
    } else {
      transposeInto(this.rt32, rm, n, r);
      innerProducts(this.rt32, 0, r, this.xt, 0, d, n, this.g32, d);
      copyInto(grad, this.g32, wd);
    }
    return loss + ridge(theta, grad, wd, this.invC);
  }
}

// The element loops of the objective and of L-BFGS live in small functions of their own: called
// every evaluation, they are optimised early, where loops inline in a long function run
// unoptimised (and box every double) until on-stack replacement catches up.

function copyInto(dst: Float32Array | Float64Array, src: Float32Array | Float64Array, len: number): void {
  for (let t = 0; t < len; t++) dst[t] = src[t];
}

/** Σ_i log(1 + e^z_i) − y_i z_i with z_i += b, and rm_i = σ(z_i) − y_i, without overflow. */
function binaryLoss(z: Float64Array, b: number, y: Int32Array, n: number, rm: Float64Array): number {
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const zi = z[i] + b;
    const e = Math.exp(-Math.abs(zi));
    const yi = y[i];
    loss += (zi > 0 ? zi : 0) + Math.log1p(e) - yi * zi;
    rm[i] = (zi >= 0 ? 1 / (1 + e) : e / (1 + e)) - yi;
  }
  return loss;
}

/** Σ_i logsumexp(z_i + b) − (z_i + b)_{y_i}, and rm_i = softmax(z_i + b) − onehot(y_i). */
function softmaxLoss(z: Float64Array, theta: Float64Array, wd: number, y: Int32Array, n: number, r: number, rm: Float64Array): number {
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const o = i * r;
    let m = -Infinity;
    for (let k = 0; k < r; k++) {
      const v = z[o + k] + theta[wd + k];
      z[o + k] = v;
      if (v > m) m = v;
    }
    let s = 0;
    for (let k = 0; k < r; k++) {
      const e = Math.exp(z[o + k] - m);
      rm[o + k] = e;
      s += e;
    }
    loss += m + Math.log(s) - z[o + y[i]];
    const inv = 1 / s;
    for (let k = 0; k < r; k++) rm[o + k] *= inv;
    rm[o + y[i]] -= 1;
  }
  return loss;
}

/** out[off + k] += Σ_i rm[i·r + k]. */
function columnSums(rm: Float64Array, n: number, r: number, out: Float64Array, off: number): void {
  for (let i = 0; i < n; i++) for (let k = 0; k < r; k++) out[off + k] += rm[i * r + k];
}

/** dst (r × n) = srcᵀ (src is n × r). */
function transposeInto(dst: Float32Array, src: Float32Array | Float64Array, n: number, r: number): void {
  for (let i = 0; i < n; i++) for (let k = 0; k < r; k++) dst[k * n + i] = src[i * r + k];
}

/** grad[0..wd) += θ / C; returns ||θ[0..wd)||² / (2C). */
function ridge(theta: Float64Array, grad: Float64Array, wd: number, invC: number): number {
  let reg = 0;
  for (let t = 0; t < wd; t++) {
    reg += theta[t] * theta[t];
    grad[t] += invC * theta[t];
  }
  return 0.5 * invC * reg;
}

/** y += a·x */
function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] += a * x[i];
}

/** x *= a */
function scaleInPlace(x: Float64Array, a: number): void {
  for (let i = 0; i < x.length; i++) x[i] *= a;
}

/** out = x + a·d */
function stepInto(out: Float64Array, x: Float64Array, a: number, d: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = x[i] + a * d[i];
}

/** out = −x */
function negInto(out: Float64Array, x: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = -x[i];
}

/** out = a − b */
function diffInto(out: Float64Array, a: Float64Array, b: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i] - b[i];
}

function dotF64(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function supNorm(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Minimiser of the cubic through (a, fa, da) and (b, fb, db), or NaN when it has none. */
function cubicMin(a: number, fa: number, da: number, b: number, fb: number, db: number): number {
  const d1 = da + db - 3 * (fa - fb) / (a - b);
  const disc = d1 * d1 - da * db;
  if (!(disc >= 0)) return NaN;
  const d2 = Math.sign(b - a) * Math.sqrt(disc);
  return b - (b - a) * ((db + d2 - d1) / (db - da + 2 * d2));
}

export interface LbfgsOptions {
  maxIter: number;
  gtol: number;
  ftol?: number;
  memory?: number;
  maxLineSearch?: number;
  /** Start with inexact (fast) evaluations and switch to exact ones near the optimum. */
  mixed?: boolean;
}

export interface LbfgsResult { x: Float64Array; f: number; iterations: number; evaluations: number; converged: boolean; message: string }

/** Relative decrease below which a mixed-precision run switches to exact evaluations. */
const SWITCH_RTOL = 1e-7;
const C1 = 1e-3;
const C2 = 0.9;

/**
 * Unconstrained L-BFGS with scipy L-BFGS-B's stopping rules (see the file comment). `fg(x, g,
 * exact)` returns f(x) and writes ∇f(x) into g.
 */
export function lbfgs(fg: (x: Float64Array, g: Float64Array, exact: boolean) => number, x0: Float64Array, opts: LbfgsOptions): LbfgsResult {
  const n = x0.length;
  const m = opts.memory ?? 10;
  const ftol = opts.ftol ?? 2.220446049250313e-9;
  const maxLs = opts.maxLineSearch ?? 20;
  let exact = !opts.mixed;
  const x = x0.slice(), g = new Float64Array(n);
  const xt = new Float64Array(n), gt = new Float64Array(n), dir = new Float64Array(n);
  const S: Float64Array[] = [], Y: Float64Array[] = [], rho: number[] = [];
  const alphas = new Float64Array(m);
  let evaluations = 0;
  const evalAt = (p: Float64Array, grad: Float64Array) => {
    evaluations++;
    return fg(p, grad, exact);
  };
  let f = evalAt(x, g);
  const goExact = () => {
    exact = true;
    f = evalAt(x, g);
  };
  // the reported f is always an exact evaluation
  const done = (converged: boolean, message: string, iterations: number): LbfgsResult => {
    if (!exact) goExact();
    return { x, f, iterations, evaluations, converged, message };
  };
  if (supNorm(g) <= opts.gtol) {
    if (!exact) goExact();
    if (supNorm(g) <= opts.gtol) return done(true, 'max |gradient| <= tol', 0);
  }
  let iter = 0;
  let restarted = false;
  while (iter < opts.maxIter) {
    // search direction −H·g by the two-loop recursion, H0 = (s·y / y·y) I
    negInto(dir, g);
    const count = S.length;
    for (let j = count - 1; j >= 0; j--) {
      const a = rho[j] * dotF64(S[j], dir);
      alphas[j] = a;
      axpy(-a, Y[j], dir);
    }
    if (count > 0) {
      const gamma = 1 / (rho[count - 1] * dotF64(Y[count - 1], Y[count - 1]));
      scaleInPlace(dir, gamma);
    }
    for (let j = 0; j < count; j++) {
      const b = rho[j] * dotF64(Y[j], dir);
      axpy(alphas[j] - b, S[j], dir);
    }
    let gd = dotF64(g, dir);
    if (!(gd < 0)) {
      S.length = Y.length = rho.length = 0;
      negInto(dir, g);
      gd = dotF64(g, dir);
    }
    // scipy's first step is 1/||d||, later ones 1
    const step0 = S.length === 0 ? Math.min(1 / Math.sqrt(dotF64(dir, dir)), 1e10) : 1;
    const ls = lineSearch(f, gd, step0);
    if (!ls.ok) {
      if (!exact) {
        goExact();
        continue;
      }
      if (!restarted && S.length > 0) {
        // scipy's reaction to a failed line search: drop the memory, retry along −g
        restarted = true;
        S.length = Y.length = rho.length = 0;
        continue;
      }
      return done(false, 'line search failed', iter);
    }
    restarted = false;
    // accept the trial point (xt, gt, ls.f): update the memory with s = xt − x, y = gt − g
    const s = new Float64Array(n), yv = new Float64Array(n);
    diffInto(s, xt, x);
    diffInto(yv, gt, g);
    const sy = dotF64(s, yv), yy = dotF64(yv, yv);
    if (sy > 2.220446049250313e-16 * yy) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(yv);
      rho.push(1 / sy);
    }
    const fOld = f;
    x.set(xt);
    g.set(gt);
    f = ls.f;
    iter++;
    const rel = (fOld - f) / Math.max(Math.abs(fOld), Math.abs(f), 1);
    // near the optimum, continue with exact evaluations; the stopping rules see exact values only
    const switching = !exact && (rel <= SWITCH_RTOL || supNorm(g) <= opts.gtol);
    if (switching) goExact();
    if (exact && supNorm(g) <= opts.gtol) return done(true, 'max |gradient| <= tol', iter);
    if (exact && !switching && rel <= ftol) return done(true, 'relative decrease <= ftol', iter);
  }
  return done(false, `maxIter (${opts.maxIter}) iterations reached`, iter);

  /** Strong-Wolfe line search from x along dir (Nocedal & Wright, algorithms 3.5–3.6, cubic interpolation). */
  function lineSearch(f0: number, d0: number, step0: number): { ok: boolean; f: number } {
    let evals = 0;
    const trial = (a: number) => {
      evals++;
      stepInto(xt, x, a, dir);
      const ft = evalAt(xt, gt);
      return { f: ft, d: dotF64(gt, dir) };
    };
    let aPrev = 0, fPrev = f0, dPrev = d0;
    let a = step0;
    for (;;) {
      const t = trial(a);
      if (!Number.isFinite(t.f) || t.f > f0 + C1 * a * d0 || (evals > 1 && t.f >= fPrev)) return zoom(aPrev, fPrev, dPrev, a, t.f, t.d);
      if (Math.abs(t.d) <= -C2 * d0) return { ok: true, f: t.f };
      if (t.d >= 0) return zoom(a, t.f, t.d, aPrev, fPrev, dPrev);
      if (evals >= maxLs) return { ok: false, f: t.f };
      // extrapolate: the minimiser of the cubic through the last two points, kept within [2a, 10a]
      const c = cubicMin(aPrev, fPrev, dPrev, a, t.f, t.d);
      const next = Number.isFinite(c) && c > a ? Math.min(Math.max(c, 2 * a), 10 * a) : 4 * a;
      aPrev = a;
      fPrev = t.f;
      dPrev = t.d;
      a = next;
    }

    function zoom(lo: number, flo: number, dlo: number, hi: number, fhi: number, dhi: number): { ok: boolean; f: number } {
      for (;;) {
        if (evals >= maxLs) return { ok: false, f: flo };
        const width = Math.abs(hi - lo);
        if (width <= 1e-14 * Math.max(Math.abs(lo), Math.abs(hi), 1e-300)) return { ok: false, f: flo };
        let a = Number.isFinite(fhi) ? cubicMin(lo, flo, dlo, hi, fhi, dhi) : NaN;
        const lower = Math.min(lo, hi) + 0.1 * width, upper = Math.max(lo, hi) - 0.1 * width;
        if (!(a >= lower && a <= upper)) a = (lo + hi) / 2;
        const t = trial(a);
        if (!Number.isFinite(t.f) || t.f > f0 + C1 * a * d0 || t.f >= flo) {
          hi = a;
          fhi = t.f;
          dhi = t.d;
        } else {
          if (Math.abs(t.d) <= -C2 * d0) return { ok: true, f: t.f };
          if (t.d * (hi - lo) >= 0) {
            hi = lo;
            fhi = flo;
            dhi = dlo;
          }
          lo = a;
          flo = t.f;
          dlo = t.d;
        }
      }
    }
  }
}

/**
 * Fits the model on rows of x with labels y in 0..nClasses−1 (every class present). Throws an
 * InputError for fewer than two classes or mismatched lengths.
 */
export function fitLogistic(x: Matrix, y: ArrayLike<number>, nClasses: number, opts: LogisticOptions = {}): LogisticModel {
  const n = x.rows, d = x.dim;
  if (y.length !== n) throw new InputError(`Logistic regression: ${n} training vectors but ${y.length} labels.`);
  if (nClasses < 2) throw new InputError('Logistic regression needs at least two classes in the training set.');
  const labels = Int32Array.from(y);
  const seen = new Uint8Array(nClasses);
  for (const v of labels) {
    if (!(v >= 0 && v < nClasses)) throw new RangeError(`fitLogistic: label ${v} outside 0..${nClasses - 1}`);
    seen[v] = 1;
  }
  if (seen.includes(0)) throw new InputError(`Logistic regression: some of the ${nClasses} classes have no training vector.`);
  const C = opts.C ?? 1;
  if (!(C > 0)) throw new InputError(`Logistic regression: C must be positive, got ${C}.`);
  const binary = nClasses === 2;
  const obj = new Objective(x.data, n, d, labels, nClasses, binary, 1 / C, opts.fitIntercept ?? true);
  const res = lbfgs((t, g, exact) => obj.evaluate(t, g, exact), new Float64Array(obj.size), {
    maxIter: opts.maxIter ?? 100, gtol: opts.tol ?? 1e-4, mixed: (opts.precision ?? 'mixed') === 'mixed',
  });
  const wd = obj.r * d;
  return {
    nClasses, dim: d, binary,
    coef: res.x.slice(0, wd), intercept: res.x.slice(wd),
    objective: res.f, iterations: res.iterations, evaluations: res.evaluations, converged: res.converged, message: res.message,
  };
}

/** Decision values, n × rows(coef) row-major, in float64. */
export function decisionFunction(model: LogisticModel, x: Matrix): Float64Array {
  if (x.dim !== model.dim) throw new InputError(`Logistic regression: the model has dimension ${model.dim}, the vectors ${x.dim}.`);
  const r = model.binary ? 1 : model.nClasses;
  const z = new Float64Array(x.rows * r);
  productsF64(x.data, x.rows, x.dim, model.coef, r, z);
  for (let i = 0; i < x.rows; i++) for (let k = 0; k < r; k++) z[i * r + k] += model.intercept[k];
  return z;
}

/**
 * Predicted class per row: the argmax of the float64 decision values (ties to the lower class),
 * class 1 when the binary decision value is > 0. The decision values are first computed by the
 * float32 kernel; a row whose winning margin is within that kernel's error bound
 * (|error| ≲ (d + 2)·2⁻²⁴·||x||·||w|| per value: float32 weights, a d-term float32 sum, the
 * rounded result; twice that is used) is
 * recomputed in float64, so the answer is the float64 one at float32 speed.
 */
export function predictLogistic(model: LogisticModel, x: Matrix): Int32Array {
  const d = model.dim, n = x.rows;
  if (x.dim !== d) throw new InputError(`Logistic regression: the model has dimension ${d}, the vectors ${x.dim}.`);
  const r = model.binary ? 1 : model.nClasses;
  const w32 = Float32Array.from(model.coef);
  let wNorm = 0;
  for (let k = 0; k < r; k++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += model.coef[k * d + j] ** 2;
    wNorm = Math.max(wNorm, Math.sqrt(s));
  }
  const z = new Float32Array(n * r);
  innerProducts(x.data, 0, n, w32, 0, r, d, z, r);
  const out = new Int32Array(n);
  const zi = new Float64Array(r);
  for (let i = 0; i < n; i++) {
    let xNorm = 0;
    for (let j = i * d, e = j + d; j < e; j++) xNorm += x.data[j] * x.data[j];
    const bound = (d + 2) * 2 ** -23 * Math.sqrt(xNorm) * wNorm; // twice the estimate, for safety
    for (let k = 0; k < r; k++) zi[k] = z[i * r + k] + model.intercept[k];
    if (!decided(zi, r, 2 * bound, model.binary)) {
      productsF64(x.data.subarray(i * d, i * d + d), 1, d, model.coef, r, zi);
      addInto(zi, model.intercept);
    }
    out[i] = model.binary ? (zi[0] > 0 ? 1 : 0) : argmax(zi, r);
  }
  return out;
}

/** True when the winner of zi cannot change under perturbations of each value by less than margin / 2. */
function decided(zi: Float64Array, r: number, margin: number, binary: boolean): boolean {
  if (binary) return Math.abs(zi[0]) > margin / 2;
  const b = argmax(zi, r);
  for (let k = 0; k < r; k++) if (k !== b && zi[b] - zi[k] <= margin) return false;
  return true;
}

function argmax(z: Float64Array, r: number): number {
  let best = 0;
  for (let k = 1; k < r; k++) if (z[k] > z[best]) best = k;
  return best;
}

function addInto(y: Float64Array, x: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] += x[i];
}

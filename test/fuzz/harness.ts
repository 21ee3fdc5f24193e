// The fuzz harness: seeded mutations of bytes and of JSON, and a runner that classifies each case
// as a clean load (then checked for self-consistency), an InputError / ConfigError naming the file,
// or a failure (any other exception, a message that does not name the file or spans lines, an
// inconsistent result, or a case slower than the limit). Every case is reproducible from its seed.
import fs, { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, InputError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';

/** Cases per loader: VQBENCH_FUZZ_CASES, else `dflt`. */
export function fuzzCases(dflt: number): number {
  const v = Number(process.env.VQBENCH_FUZZ_CASES);
  return Number.isInteger(v) && v > 0 ? v : dflt;
}

/** First seed: VQBENCH_FUZZ_SEED, else 1. */
export function fuzzSeed(): number {
  const v = Number(process.env.VQBENCH_FUZZ_SEED);
  return Number.isInteger(v) && v >= 0 ? v : 1;
}

/** A seconds limit per case: a slower case is a failure (a hang or a huge allocation in the making). */
export const CASE_LIMIT_MS = Number(process.env.VQBENCH_FUZZ_CASE_MS) || 5000;

/** One generated input: what it is (the mutation category), and how to load and check it. */
export interface FuzzCase {
  category: string;
  /** Text an error message must contain (the file or folder name). */
  names: string | string[];
  load(): unknown | Promise<unknown>;
  /** Checks a clean load's result; returns a problem or null. */
  check(result: unknown): string | null;
}

export interface FuzzTarget {
  name: string;
  /** Builds the case of one seed inside `dir` (a fresh, empty folder). */
  make(rng: Rng, dir: string): FuzzCase | Promise<FuzzCase>;
  /** One-time start-up kept out of the per-case time (h5wasm compiles its wasm on first use: seconds on a loaded machine). */
  warmup?(): Promise<void>;
}

export type Outcome = 'clean' | 'error' | 'failure';

export interface CaseResult {
  seed: number;
  category: string;
  outcome: Outcome;
  detail: string;
  ms: number;
}

export interface TargetSummary {
  target: string;
  cases: number;
  clean: number;
  errors: number;
  failures: CaseResult[];
  byCategory: Map<string, { cases: number; clean: number; errors: number; failures: number }>;
  slowestMs: number;
}

export async function runCase(target: FuzzTarget, seed: number, root: string): Promise<CaseResult> {
  const dir = join(root, `${target.name}-${seed}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(seed);
  let category = '?';
  const t0 = performance.now();
  const done = (outcome: Outcome, detail: string): CaseResult => {
    const ms = performance.now() - t0;
    if (outcome !== 'failure' && ms > CASE_LIMIT_MS) return { seed, category, outcome: 'failure', detail: `took ${ms.toFixed(0)} ms (limit ${CASE_LIMIT_MS}): ${detail}`, ms };
    return { seed, category, outcome, detail, ms };
  };
  try {
    const c = await target.make(rng, dir);
    category = c.category;
    let result: unknown;
    const leaked = captureStderr();
    try {
      result = await c.load();
    } catch (e) {
      const out = leaked.stop();
      if (out) return done('failure', `wrote to stderr: ${out.trim().slice(0, 200)}`);
      if (e instanceof InputError || e instanceof ConfigError) {
        const msg = e.message;
        const names = Array.isArray(c.names) ? c.names : [c.names];
        if (!names.some((n) => msg.includes(n))) return done('failure', `${e.name} does not name ${names.join(' or ')}: ${msg}`);
        if (msg.includes('\n')) return done('failure', `${e.name} spans several lines: ${msg}`);
        return done('error', msg);
      }
      return done('failure', `${(e as Error)?.name ?? typeof e}: ${(e as Error)?.message ?? String(e)}`.slice(0, 400));
    }
    const out = leaked.stop();
    if (out) return done('failure', `wrote to stderr: ${out.trim().slice(0, 200)}`);
    const problem = c.check(result);
    return problem ? done('failure', `clean load but ${problem}`) : done('clean', 'ok');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Collects what is written to stderr (process.stderr and fd 2) until stop(): a loader must say nothing besides its error. */
function captureStderr(): { stop(): string } {
  let out = '';
  const write = process.stderr.write;
  const writeSync = fs.writeSync;
  process.stderr.write = ((chunk: unknown) => {
    out += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  (fs as { writeSync: unknown }).writeSync = function (fd: number, ...rest: unknown[]) {
    if (fd === 2) {
      out += typeof rest[0] === 'string' ? rest[0] : Buffer.from(rest[0] as Uint8Array).toString('utf8');
      return typeof rest[0] === 'string' ? Buffer.byteLength(rest[0]) : (rest[0] as Uint8Array).length;
    }
    return (writeSync as (...a: unknown[]) => number).call(fs, fd, ...rest);
  };
  return {
    stop() {
      process.stderr.write = write;
      fs.writeSync = writeSync;
      return out;
    },
  };
}

/** Runs `cases` seeds from `first`; `onCase` sees each result (the bench prints progress). */
export async function runTarget(target: FuzzTarget, cases: number, first: number, root: string, onCase?: (r: CaseResult) => void): Promise<TargetSummary> {
  const s: TargetSummary = { target: target.name, cases: 0, clean: 0, errors: 0, failures: [], byCategory: new Map(), slowestMs: 0 };
  await target.warmup?.();
  for (let seed = first; seed < first + cases; seed++) {
    const r = await runCase(target, seed, root);
    s.cases++;
    s.slowestMs = Math.max(s.slowestMs, r.ms);
    const cat = s.byCategory.get(r.category) ?? { cases: 0, clean: 0, errors: 0, failures: 0 };
    cat.cases++;
    if (r.outcome === 'clean') (s.clean++, cat.clean++);
    else if (r.outcome === 'error') (s.errors++, cat.errors++);
    else (s.failures.push(r), cat.failures++);
    s.byCategory.set(r.category, cat);
    onCase?.(r);
  }
  return s;
}

/** The failures as lines, for an assertion message. */
export function describeFailures(s: TargetSummary): string {
  return s.failures.map((f) => `  seed ${f.seed} [${f.category}]: ${f.detail}`).join('\n');
}

// ---- byte mutations ----

export function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

/** A copy cut to a random shorter length (sometimes to 0..16 bytes). */
export function truncate(rng: Rng, b: Uint8Array): Uint8Array {
  const n = rng.float() < 0.2 ? rng.int(Math.min(17, b.length)) : rng.int(b.length);
  return b.slice(0, n);
}

/** A copy with 1..8 random bytes replaced, within [from, to). */
export function flipBytes(rng: Rng, b: Uint8Array, from = 0, to = b.length): Uint8Array {
  const out = b.slice();
  const n = 1 + rng.int(8);
  for (let i = 0; i < n && to > from; i++) {
    const at = from + rng.int(to - from);
    out[at] = rng.float() < 0.5 ? out[at] ^ (1 << rng.int(8)) : rng.int(256);
  }
  return out;
}

/** A copy with a random run of bytes inserted or deleted. */
export function spliceBytes(rng: Rng, b: Uint8Array): Uint8Array {
  const at = rng.int(b.length + 1);
  if (rng.float() < 0.5 && b.length > 0) {
    const n = 1 + rng.int(Math.min(64, b.length - Math.min(at, b.length - 1)));
    return Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + n)]);
  }
  const ins = Uint8Array.from({ length: 1 + rng.int(32) }, () => rng.int(256));
  return Uint8Array.from([...b.subarray(0, at), ...ins, ...b.subarray(at)]);
}

/** One random byte-level mutation; returns [category, bytes]. */
export function mutateBytes(rng: Rng, b: Uint8Array): [string, Uint8Array] {
  const r = rng.float();
  if (r < 0.35) return ['truncate', truncate(rng, b)];
  if (r < 0.8) return ['byte flips', flipBytes(rng, b)];
  return ['insert/delete bytes', spliceBytes(rng, b)];
}

// ---- JSON mutations ----

/** Values that break JSON consumers; NAN_TOKEN etc. are replaced by bare (invalid or overflowing) JSON numbers after stringify. */
const BARE = { '\u0000NaN': 'NaN', '\u0000Inf': 'Infinity', '\u0000-Inf': '-Infinity', '\u00001e999': '1e999', '\u0000-1e999': '-1e999' } as const;

/** Deep nesting, as a placeholder that toJsonText expands (JSON.stringify itself would overflow the stack). */
function deep(rng: Rng): unknown {
  return `\u0000deep:${pick(rng, [10, 100, 1000, 10_000, 100_000])}:${pick(rng, ['[', '{"a":'])}`;
}

/** A random value of a random wrong (or right) type. */
export function weirdValue(rng: Rng, like?: unknown): unknown {
  const choices: (() => unknown)[] = [
    () => null, () => true, () => false, () => 0, () => -1, () => 1, () => 0.5, () => -0.5, () => 2 ** 31, () => 2 ** 53 + 2,
    () => 1e308, () => -1e308, () => 1e-320, () => Number.MAX_SAFE_INTEGER,
    () => '', () => ' ', () => 'x', () => '0', () => '1', () => '-1', () => 'NaN', () => 'x'.repeat(10_000), () => '\u0000\ud800', () => '../../etc/passwd',
    () => [], () => [1, 'a', null], () => Array.from({ length: 1000 }, (_, i) => i), () => ({}), () => ({ small: 1, full: 2 }), () => ({ small: [1, 2], full: 'x' }),
    () => pick(rng, Object.keys(BARE)), () => deep(rng),
  ];
  if (like !== undefined && rng.float() < 0.3) {
    // a near miss of the right type
    if (typeof like === 'number') return pick(rng, [like + 1, like - 1, -like, like * 1e6, like / 3, 0, Math.round(like * 1e12) + 0.5]);
    if (typeof like === 'string') return pick(rng, [like + 'x', like.slice(1), like.toUpperCase(), '', ` ${like}`]);
    if (Array.isArray(like)) return pick(rng, [[], [...like, ...like], like.slice(1), [like[0]]]);
  }
  return pick(rng, choices)();
}

type Path = (string | number)[];

/** Every path to a value inside v (objects and arrays; the root is []). */
function paths(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (out.length > 5000) return out;
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

function getAt(v: unknown, p: Path): unknown {
  let cur = v;
  for (const k of p) cur = (cur as Record<string | number, unknown>)[k];
  return cur;
}

/** Mutates a parsed JSON value in place (1..3 edits) and returns [category, new root]. */
export function mutateJson(rng: Rng, root: unknown): [string, unknown] {
  let category = '';
  const edits = 1 + rng.int(3);
  for (let e = 0; e < edits; e++) {
    const all = paths(root);
    const p = pick(rng, all);
    const parent = p.length ? getAt(root, p.slice(0, -1)) as Record<string | number, unknown> : null;
    const key = p[p.length - 1];
    const cur = getAt(root, p);
    const r = rng.float();
    let cat: string;
    if (r < 0.25 && parent) {
      cat = 'delete field';
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
    } else if (r < 0.4 && cur !== null && typeof cur === 'object') {
      cat = 'add field';
      const name = pick(rng, ['extra', 'x', '__proto__', 'constructor', 'toString', 'small', 'full', 'label', 'type', 'score', 'hasOwnProperty']);
      if (Array.isArray(cur)) cur.push(weirdValue(rng));
      else Object.defineProperty(cur, name, { value: weirdValue(rng), enumerable: true, configurable: true, writable: true });
    } else {
      const v = weirdValue(rng, cur);
      cat = typeof v === 'string' && v in BARE ? 'NaN/Inf/huge number' : typeof v === 'string' && v.startsWith('\u0000deep:') ? 'deep nesting' : typeof v === 'number' && (Math.abs(v) > 1e9 || v < 0) ? 'huge/negative number' : v !== null && typeof v === 'object' && paths(v).length > 50 ? 'long list' : 'wrong type/value';
      if (parent) parent[key] = v;
      else root = v;
    }
    category = category || cat;
  }
  return [category, root];
}

/** JSON text of v with the bare-number placeholders substituted. */
export function toJsonText(v: unknown, indent?: number): string {
  let s = JSON.stringify(v, null, indent) ?? 'null';
  for (const [k, bare] of Object.entries(BARE)) s = s.split(JSON.stringify(k)).join(bare);
  return s.replace(/"\\u0000deep:(\d+):(\[|\{\\"a\\":)"/g, (_, n: string, open: string) => {
    const o = open === '[' ? '[' : '{"a":';
    return o.repeat(Number(n)) + '1' + (o === '[' ? ']' : '}').repeat(Number(n));
  });
}

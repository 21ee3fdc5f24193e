/**
 * One interleaved peer comparison (issue 12 §3, §5): our index, native faiss and faiss-node, each a
 * long-lived peer (bench/peer-session.ts) built once, then timed A B C A B C ... per search setting
 * for `runs` runs (interleavedSchedule). Each run records the load average before and after it;
 * every timing carries its fingerprint, and a ratio is only taken between two timings with the
 * same one (fingerprintedRatios).
 */
import { cpus, loadavg } from 'node:os';
import {
  assertSameFingerprint, fingerprintedRatios, interleavedSchedule, loadExceeded, settingLabel, spread, type Fingerprint, type Spread,
} from './native-faiss-lib.js';
import { timingFingerprint, type MachineFingerprint, type PeerEvent, type PeerSession } from './peer-session.js';

export type Role = 'ours' | 'native' | 'faissNode';
export type Setting = Record<string, number>;

export interface SideSpec {
  role: Role;
  /** What the tables call it: 'ivfpq', 'native faiss IVF1024,PQ50np', 'faiss-node IVF1024,PQ50np'. */
  label: string;
  start: () => PeerSession;
}

export interface Measurement {
  qps: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  recall10: number;
  recall1: number | null;
  nnRecall10: number | null;
  /** Native faiss only: search(Q) on all cores. */
  batchQps: number | null;
  batchThreads: number | null;
  peakRssBytes: number | null;
  /** CPU seconds the peer spent on the single-query loop, warm-up included (what an idle machine's wall time would be). */
  cpuSeconds: number | null;
  fingerprint: Fingerprint;
}

export interface SessionRun {
  run: number;
  loadBefore: number[];
  loadAfter: number[];
  /** The 1-minute load average before or after the run exceeded half the cores. */
  loadExceeded: boolean;
  /** setting label → role → its timing, or the error its peer gave. */
  timings: Record<string, Partial<Record<Role, Measurement | { error: string }>>>;
}

export interface SettingSummary {
  setting: Setting;
  label: string;
  /** Run 1's recall@10 of each side (a search is deterministic; later runs are checked equal in `recallVaries`). */
  recall10: Partial<Record<Role, number>>;
  recallVaries: Role[];
  qps: Partial<Record<Role, Spread>>;
  p50Ms: Partial<Record<Role, Spread>>;
  /** Median and min–max over runs of ours / reference single-query QPS, paired per run. */
  ratio: Spread | null;
  ratioAgainst: Role | null;
  ratioError: string | null;
  nativeBatchQps: Spread | null;
  nativeBatchThreads: number | null;
  /** faiss-node p50 − native p50 per run, µs: what faiss-node adds to each call. */
  faissNodeAddedUsP50: Spread | null;
}

export interface SideResult {
  label: string;
  build: PeerEvent | null;
  error: string | null;
}

export interface SessionResult {
  order: string;
  runs: SessionRun[];
  sides: Partial<Record<Role, SideResult>>;
  summary: SettingSummary[];
  cores: number;
  seconds: { build: number; search: number };
  /** CPU seconds per side: its build, and its single-query loops summed over runs and settings (idle-machine wall time). */
  cpuSeconds: { build: Partial<Record<Role, number>>; search: Partial<Record<Role, number>> };
}

/** Per side, the CPU seconds its peer reported for the build and for every single-query loop. */
export function cpuTotals(sides: Partial<Record<Role, SideResult>>, runs: readonly SessionRun[]): SessionResult['cpuSeconds'] {
  const build: Partial<Record<Role, number>> = {}, search: Partial<Record<Role, number>> = {};
  for (const [role, side] of Object.entries(sides) as [Role, SideResult][]) {
    if (typeof side.build?.buildCpuSeconds === 'number') build[role] = side.build.buildCpuSeconds;
  }
  for (const r of runs) {
    for (const sidesAt of Object.values(r.timings)) {
      for (const [role, t] of Object.entries(sidesAt) as [Role, Measurement | { error: string }][]) {
        if (isTiming(t) && t.cpuSeconds !== null) search[role] = (search[role] ?? 0) + t.cpuSeconds;
      }
    }
  }
  return { build, search };
}

const load = (): number[] => loadavg().map((x) => Math.round(x * 100) / 100);

function measurement(e: PeerEvent, machine: MachineFingerprint): Measurement {
  const s = e.single as Record<string, number>;
  const b = (e.batch ?? null) as Record<string, number> | null;
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  return {
    qps: s.qps, p50Ms: s.p50Ms, p99Ms: s.p99Ms, meanMs: s.meanMs, recall10: e.recall10 as number,
    recall1: num(e.recall1), nnRecall10: num(e.nnRecall10), batchQps: b ? b.qps : null, batchThreads: b ? b.threads : null,
    peakRssBytes: num(e.peakRssBytes), cpuSeconds: num(s.cpuSeconds), fingerprint: timingFingerprint(machine, s.threads),
  };
}

const isTiming = (t: Measurement | { error: string } | undefined): t is Measurement => t !== undefined && !('error' in t);

/**
 * Builds each side in turn (never two at once, so each build is timed alone), then runs the
 * interleaved schedule. A side that fails to build is left out (its error recorded); ours failing
 * ends the session with an error.
 */
export async function runSession(sides: readonly SideSpec[], settings: readonly Setting[], runs: number, log: (s: string) => void): Promise<SessionResult> {
  const cores = cpus().length;
  const peers = new Map<Role, { session: PeerSession; machine: MachineFingerprint }>();
  const sideResults: Partial<Record<Role, SideResult>> = {};
  const t0 = performance.now();
  try {
    for (const spec of sides) {
      log(`${spec.label}: building ...`);
      const session = spec.start();
      try {
        const build = await session.built();
        peers.set(spec.role, { session, machine: build.fingerprint as MachineFingerprint });
        sideResults[spec.role] = { label: spec.label, build, error: null };
        log(`${spec.label}: built in ${(build.buildSeconds as number).toFixed(1)} s`);
      } catch (e) {
        session.kill();
        sideResults[spec.role] = { label: spec.label, build: null, error: (e as Error).message };
        if (spec.role === 'ours') throw e;
        log(`${spec.label}: not run: ${(e as Error).message}`);
      }
    }
    const tBuilt = performance.now();
    const roles = sides.map((s) => s.role).filter((r) => peers.has(r));
    const runRecords: SessionRun[] = [];
    const finish = (r: SessionRun) => {
      r.loadAfter = load();
      r.loadExceeded = loadExceeded(r.loadBefore, r.loadAfter, cores);
    };
    for (const step of interleavedSchedule(settings, roles, runs)) {
      if (runRecords.length < step.run) {
        if (runRecords.length > 0) finish(runRecords[runRecords.length - 1]);
        runRecords.push({ run: step.run, loadBefore: load(), loadAfter: [], loadExceeded: false, timings: {} });
        log(`run ${step.run}/${runs} (load ${runRecords[step.run - 1].loadBefore.join(' ')})`);
      }
      const current = runRecords[step.run - 1];
      const label = settingLabel(step.setting);
      const peer = peers.get(step.side as Role)!;
      let t: Measurement | { error: string };
      try {
        t = measurement(await peer.session.search(step.setting), peer.machine);
      } catch (e) {
        t = { error: (e as Error).message };
      }
      (current.timings[label] ??= {})[step.side as Role] = t;
    }
    if (runRecords.length > 0) finish(runRecords[runRecords.length - 1]);
    const tSearched = performance.now();
    for (const { session } of peers.values()) await session.close();
    peers.clear();
    return {
      order: `per run, per search setting: ${roles.join(', ')}`,
      runs: runRecords, sides: sideResults, summary: settings.map((s) => summarise(s, runRecords)), cores,
      seconds: { build: (tBuilt - t0) / 1000, search: (tSearched - tBuilt) / 1000 }, cpuSeconds: cpuTotals(sideResults, runRecords),
    };
  } finally {
    for (const { session } of peers.values()) session.kill();
  }
}

/** Per setting: recalls, QPS spreads, the fingerprint-checked median ratio, native batch QPS, faiss-node's added µs. */
export function summarise(setting: Setting, runs: readonly SessionRun[]): SettingSummary {
  const label = settingLabel(setting);
  const of = (role: Role): Measurement[] | null => {
    const ts = runs.map((r) => r.timings[label]?.[role]);
    return ts.length > 0 && ts.every(isTiming) ? (ts as Measurement[]) : null;
  };
  const by: Partial<Record<Role, Measurement[]>> = {};
  for (const role of ['ours', 'native', 'faissNode'] as const) {
    const m = of(role);
    if (m) by[role] = m;
  }
  const out: SettingSummary = {
    setting, label, recall10: {}, recallVaries: [], qps: {}, p50Ms: {}, ratio: null, ratioAgainst: null, ratioError: null,
    nativeBatchQps: null, nativeBatchThreads: null, faissNodeAddedUsP50: null,
  };
  for (const [role, ms] of Object.entries(by) as [Role, Measurement[]][]) {
    out.recall10[role] = ms[0].recall10;
    if (ms.some((m) => Math.abs(m.recall10 - ms[0].recall10) > 1e-12)) out.recallVaries.push(role);
    out.qps[role] = spread(ms.map((m) => m.qps));
    out.p50Ms[role] = spread(ms.map((m) => m.p50Ms));
  }
  const against: Role | null = by.native ? 'native' : by.faissNode ? 'faissNode' : null;
  if (by.ours && against) {
    out.ratioAgainst = against;
    try {
      out.ratio = fingerprintedRatios(by.ours, by[against]!, `${label}: ours / ${against}`);
    } catch (e) {
      out.ratioError = (e as Error).message;
    }
  }
  const batch = by.native?.map((m) => m.batchQps);
  if (batch && batch.every((b): b is number => b !== null)) {
    out.nativeBatchQps = spread(batch);
    out.nativeBatchThreads = by.native![0].batchThreads;
  }
  if (by.native && by.faissNode) {
    try {
      const native = by.native;
      by.faissNode.forEach((f, i) => assertSameFingerprint(f.fingerprint, native[i].fingerprint, `${label}: faiss-node − native, run ${i + 1}`));
      out.faissNodeAddedUsP50 = spread(by.faissNode.map((f, i) => (f.p50Ms - native[i].p50Ms) * 1000));
    } catch (e) {
      out.ratioError = [out.ratioError, (e as Error).message].filter(Boolean).join(' ');
    }
  }
  return out;
}

/**
 * Long-lived peer processes for interleaved timing (bench/indexes.ts, bench/native-faiss.ts).
 *
 * A peer builds one index once, then answers search requests for as long as the session lasts, so
 * a driver can time two sides A B A B ... on one build each. Two peers speak the same JSON-lines
 * protocol: bench/peers/faiss_index.py --serve (native faiss, /usr/bin/python3) and
 * bench/peers/serve-index.ts (any vqbench index, faiss-node included).
 *
 *   peer → driver  {"event": "build", ..., "fingerprint": {host, cpu, cpuFlags, cores, blas, runtime}}
 *   driver → peer  one line per request: a JSON object of search parameters ({"nprobe": 4}, {} ...)
 *   peer → driver  {"event": "search", "setting": {...}, "recall10": ..., "single": {qps, p50Ms, ...}, ...}
 *                  then {"event": "done"}; a request it cannot run gives {"event": "error", "message"}
 *   EOF on stdin ends the peer.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { blasDetails } from '../src/core/blas.js';
import type { Matrix } from '../src/core/matrix.js';
import { writeNpy } from '../src/data/npy.js';
import { encodeInt32Npy, type Fingerprint } from './native-faiss-lib.js';

export const PYTHON = '/usr/bin/python3';
const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const FAISS_PEER = join(ROOT, 'bench/peers/faiss_index.py');
export const VQBENCH_PEER = join(ROOT, 'bench/peers/serve-index.ts');

export type PeerEvent = Record<string, unknown> & { event: string };

/** The machine part of a fingerprint, as a peer reports it (threads and driver node are added per timing). */
export type MachineFingerprint = Omit<Fingerprint, 'threads' | 'node'>;

/** This process's machine fingerprint; bench/peers/faiss_index.py computes the same fields the same way. */
export function machineFingerprint(): MachineFingerprint {
  let cpu = cpus()[0]?.model.trim() ?? 'unknown';
  let flags = '';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    cpu = /^model name\s*:\s*(.*)$/m.exec(info)?.[1]?.trim() ?? cpu;
    flags = /^(?:flags|Features)\s*:\s*(.*)$/m.exec(info)?.[1] ?? '';
  } catch {
    // no /proc: the model from os.cpus(), no flags
  }
  const cpuFlags = createHash('sha1').update(flags.trim().split(/\s+/).join(' ')).digest('hex').slice(0, 12);
  return { host: hostname(), cpu, cpuFlags, cores: cpus().length, blas: blasDetails().blas.target ?? 'none', runtime: `node ${process.version}` };
}

/** A timing's full fingerprint: the peer's machine, the threads it searched on, the driver's Node. */
export function timingFingerprint(machine: MachineFingerprint, threads: number): Fingerprint {
  return { ...machine, threads, node: process.version };
}

let nativeFaiss: string | null | undefined;
/** Why native faiss cannot run here (null when /usr/bin/python3 imports faiss and numpy). Probed once. */
export function nativeFaissUnavailable(): string | null {
  if (nativeFaiss !== undefined) return nativeFaiss;
  const r = spawnSync(PYTHON, ['-c', 'import faiss, numpy'], { encoding: 'utf8', timeout: 60_000 });
  nativeFaiss = r.error ? `${PYTHON}: ${r.error.message}` : r.status !== 0 ? `${PYTHON} cannot import faiss: ${r.stderr.trim().split('\n').pop()}` : null;
  return nativeFaiss;
}

/** One peer child process speaking the JSON-lines protocol above. */
export class PeerSession {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private readonly exited: Promise<number | null>;
  stderr = '';

  constructor(readonly name: string, command: string, args: string[], opts: { echoStderr?: boolean; env?: NodeJS.ProcessEnv } = {}) {
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: ROOT });
    this.child.stderr.on('data', (b: Buffer) => {
      this.stderr += b.toString();
      if (this.stderr.length > 1 << 16) this.stderr = this.stderr.slice(-(1 << 15));
      if (opts.echoStderr ?? true) process.stderr.write(b);
    });
    this.child.stdin.on('error', () => undefined); // a peer that died is reported by next(), not by an EPIPE
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  /** The next JSON event; throws with the peer's last stderr line if it exited. */
  async next(): Promise<PeerEvent> {
    for (;;) {
      const r = await this.lines.next();
      if (r.done) {
        const code = await this.exited;
        throw new Error(`${this.name} exited (code ${code}): ${this.stderr.trim().split('\n').pop() ?? ''}`);
      }
      if (r.value.startsWith('{')) return JSON.parse(r.value) as PeerEvent;
    }
  }

  /** Waits for the build event (the peer's first). */
  async built(): Promise<PeerEvent> {
    const e = await this.next();
    if (e.event !== 'build') throw new Error(`${this.name} said ${JSON.stringify(e)} before building`);
    return e;
  }

  /** Sends one request line and returns its events up to 'done'; an 'error' event throws. */
  async request(line: string | Record<string, unknown>): Promise<PeerEvent[]> {
    this.child.stdin.write((typeof line === 'string' ? line : JSON.stringify(line)) + '\n');
    const out: PeerEvent[] = [];
    let error: string | null = null;
    for (;;) {
      const e = await this.next();
      if (e.event === 'done') break;
      if (e.event === 'error') error ??= String(e.message);
      else out.push(e);
    }
    // read up to 'done' first, so the next request starts on its own answer
    if (error !== null) throw new Error(`${this.name}: ${error}`);
    return out;
  }

  /** One search at one setting: its single 'search' event. */
  async search(setting: Record<string, number>): Promise<PeerEvent> {
    const events = await this.request(setting);
    const s = events.find((e) => e.event === 'search');
    if (!s) throw new Error(`${this.name} answered ${JSON.stringify(setting)} without a search event`);
    return s;
  }

  /** Ends stdin and waits for the peer to exit (killed after `graceMs`). */
  async close(graceMs = 10_000): Promise<void> {
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Stops the peer now (error paths). */
  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** Writes the split the python peer reads: base.npy, queries.npy (float32) and gt.npy (int32 top-k ids). */
export function writeSplitFiles(dir: string, base: Matrix, queries: Matrix, truthIds: Int32Array, k: number): { base: string; queries: string; gt: string } {
  const files = { base: join(dir, 'base.npy'), queries: join(dir, 'queries.npy'), gt: join(dir, 'gt.npy') };
  writeNpy(files.base, base);
  writeNpy(files.queries, queries);
  writeFileSync(files.gt, encodeInt32Npy(truthIds, queries.rows, k));
  return files;
}

export interface NativePeerOptions {
  files: { base: string; queries: string; gt: string };
  factory: string;
  k?: number;
  trainRows?: number;
  seed?: number;
  warmup?: number;
  /** Timed batch searches (all cores) per request; 0 = none. */
  batchRepeats?: number;
  /** HNSW efConstruction before add (faiss's default 40; vqbench's hnsw uses 200). */
  efConstruction?: number;
  metric?: 'l2' | 'ip';
}

/** Native faiss (python3-faiss) in --serve mode; call built() before searching. */
export function startNativePeer(o: NativePeerOptions): PeerSession {
  const args = [FAISS_PEER, '--base', o.files.base, '--queries', o.files.queries, '--gt', o.files.gt, '--factory', o.factory,
    '--k', String(o.k ?? 10), '--train-rows', String(o.trainRows ?? 100_000), '--seed', String(o.seed ?? 1234),
    '--warmup', String(o.warmup ?? 100), '--batch-repeats', String(o.batchRepeats ?? 3), '--build-threads', '1', '--serve'];
  if (o.efConstruction !== undefined) args.push('--ef-construction', String(o.efConstruction));
  if (o.metric) args.push('--metric', o.metric);
  return new PeerSession(`native faiss ${o.factory}`, PYTHON, args);
}

export interface VqbenchPeerOptions {
  data: string;
  queries: number;
  index: string;
  build: Record<string, unknown>;
  seed?: number;
  warmup?: number;
  name?: string;
}

/** A vqbench index (ours, or faiss-node through the 'faiss' index) in bench/peers/serve-index.ts. */
export function startVqbenchPeer(o: VqbenchPeerOptions): PeerSession {
  const args = ['--import', 'tsx', VQBENCH_PEER, '--data', o.data, '--queries', String(o.queries), '--index', o.index,
    '--build', JSON.stringify(o.build), '--seed', String(o.seed ?? 1234), '--warmup', String(o.warmup ?? 100)];
  return new PeerSession(o.name ?? o.index, process.execPath, args, { env: { ...process.env, VQBENCH_PROGRESS: '0' } });
}

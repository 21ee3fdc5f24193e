// A throw-away redis-server (Debian's /usr/bin/redis-server) on a free loopback port, without
// persistence: started once per test file, stopped (and restarted on the same port) by the tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../../src/data/npy.js';
import { mixture } from './data.js';

export const REDIS_SERVER = '/usr/bin/redis-server';
export const redisMissing = existsSync(REDIS_SERVER) ? false : `${REDIS_SERVER} is not installed (the set-up installs Debian's redis-server)`;

/** A port nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const accepts = (port: number) => new Promise<boolean>((resolve) => {
  const c = connect(port, '127.0.0.1');
  c.once('connect', () => { c.destroy(); resolve(true); });
  c.once('error', () => resolve(false));
});

export class RedisServer {
  private proc: ChildProcess | null = null;
  constructor(readonly port: number) {}
  get url(): string { return `redis://127.0.0.1:${this.port}`; }

  static async start(): Promise<RedisServer> {
    const r = new RedisServer(await freePort());
    await r.restart();
    return r;
  }

  /** Starts the server (again) on its port; resolves once it accepts connections. */
  async restart(): Promise<void> {
    this.proc = spawn(REDIS_SERVER, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!(await accepts(this.port))) {
      if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${this.port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops it (its data is gone: no persistence). */
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGKILL');
    await gone;
    this.proc = null;
  }
}

/**
 * A queue test file's setting: a temporary folder (its own dataset cache, and `tiny.npy`, the
 * seeded mixture the compare tasks read), fast coordinator polling, and its own Redis. `close()`
 * stops Redis, restores the environment and removes the folder.
 */
export async function queueTestBed(prefix: string): Promise<{ dir: string; redis: RedisServer; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const savedCache = process.env.VQBENCH_CACHE;
  process.env.VQBENCH_CACHE = join(dir, 'cache');
  process.env.VQBENCH_QUEUE_POLL_MS = '200';
  writeNpy(join(dir, 'tiny.npy'), mixture(2400, 16, 8, 11));
  const redis = await RedisServer.start();
  const close = async () => {
    await redis.stop();
    if (savedCache === undefined) delete process.env.VQBENCH_CACHE;
    else process.env.VQBENCH_CACHE = savedCache;
    delete process.env.VQBENCH_QUEUE_POLL_MS;
    delete process.env.VQBENCH_QUEUE_OUTAGE_S;
    rmSync(dir, { recursive: true, force: true });
  };
  return { dir, redis, close };
}

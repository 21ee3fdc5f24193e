/**
 * The Redis address of `--queue redis://HOST:PORT[/DB]`, and the connections BullMQ is given. An
 * unreachable address is one sentence naming it, after a bounded wait (ioredis would otherwise
 * retry for ever); once a run is under way the connections reconnect by themselves, and the
 * coordinator decides how long an outage it waits out (src/run/queue/coordinator.ts).
 */
import type { RedisOptions } from 'ioredis';
import { InputError } from '../../core/errors.js';

export interface RedisAddress {
  /** The address as the user wrote it, without a password: what every sentence names. */
  display: string;
  options: RedisOptions;
}

/** Parses `--queue`: redis:// or rediss:// with a host, an optional port (6379), password and database number. */
export function parseRedisAddress(url: string, flag = '--queue'): RedisAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InputError(`${flag} ${url} is not an address; give redis://HOST:PORT.`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new InputError(`${flag} ${url} is not a Redis address; give redis://HOST:PORT.`);
  if (!u.hostname) throw new InputError(`${flag} ${url} names no host; give redis://HOST:PORT.`);
  const port = u.port ? Number(u.port) : 6379;
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new InputError(`${flag} ${url}: the database number after the port must be an integer ≥ 0.`);
  const display = `${u.protocol}//${u.hostname}:${port}${db ? `/${db}` : ''}`;
  return {
    display,
    options: {
      host: u.hostname.replace(/^\[|\]$/g, ''), port, db,
      ...(u.username && { username: decodeURIComponent(u.username) }),
      ...(u.password && { password: decodeURIComponent(u.password) }),
      ...(u.protocol === 'rediss:' && { tls: {} }),
    },
  };
}

/** Milliseconds the first connection may take (VQBENCH_REDIS_CONNECT_MS, default 5000). */
function connectTimeout(): number {
  const v = Number(process.env.VQBENCH_REDIS_CONNECT_MS);
  return Number.isFinite(v) && v > 0 ? v : 5000;
}

/** Connects once, without retries, and PINGs: an unreachable or refusing server is one InputError naming the address. */
export async function assertReachable(addr: RedisAddress, flag = '--queue'): Promise<void> {
  const { Redis } = await import('ioredis'); // loaded on use: ioredis costs ~0.15 s at every CLI start
  const client = new Redis({ ...addr.options, lazyConnect: true, connectTimeout: connectTimeout(), maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  let cause: unknown = null;
  client.on('error', (e) => (cause ??= e)); // the socket's own error (ECONNREFUSED, ETIMEDOUT) beats ioredis' "Connection is closed"
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    const err = (cause ?? e) as NodeJS.ErrnoException;
    const why = (err.code ?? err.message ?? String(err)).replace(/\.$/, '');
    throw new InputError(`cannot reach Redis at ${addr.display} (${why}); start redis-server there or give ${flag} the right address.`);
  } finally {
    client.disconnect();
  }
}

/**
 * Options for BullMQ's own connections: reconnect every second at most while the server is away
 * (`maxRetriesPerRequest: null`, as BullMQ's workers require, so a command waits instead of failing).
 */
export function bullConnection(addr: RedisAddress): RedisOptions {
  return { ...addr.options, maxRetriesPerRequest: null, connectTimeout: connectTimeout(), retryStrategy: (times: number) => Math.min(200 * times, 1000) };
}

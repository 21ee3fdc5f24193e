/**
 * A PostgreSQL session for the pgvector index, from one of two places: an embedded PGlite
 * (`@electric-sql/pglite` + `@electric-sql/pglite-pgvector`, in memory, one per process and shared by
 * every pgvector index it builds: starting PGlite costs seconds) or a real server reached with the
 * `pg` client at a `postgres://` URL. Both answer the same three calls; the session makes sure the
 * vector extension is there (CREATE EXTENSION IF NOT EXISTS vector) or says how to install it.
 *
 * Both packages are imported on first use, so loading the index registry costs nothing.
 */
import { createRequire } from 'node:module';
import { InputError, UnavailableError } from '../core/errors.js';

export interface PgSession {
  /** Where the session runs, for notes and messages: 'embedded PGlite' or the URL (password hidden). */
  readonly where: string;
  /** The pgvector version the session's database has. */
  readonly vectorVersion: string;
  /** One statement, with $1.. parameters (text values); its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** One or more statements without parameters. */
  exec(sql: string): Promise<void>;
  /** Ends a server connection; the shared embedded database stays open for the next index. */
  close(): Promise<void>;
}

const PGLITE = '@electric-sql/pglite';
const PGLITE_VECTOR = '@electric-sql/pglite-pgvector';
const PG = 'pg';

/** Null when the package resolves from here, else the sentence saying how to install it. */
function missing(pkg: string, why: string): string | null {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return null;
  } catch {
    return `${pkg} is not installed; run npm install ${pkg} to ${why}.`;
  }
}

/** Null when the embedded database can start here, else why not (one sentence). */
export function embeddedMissing(): string | null {
  return missing(PGLITE, 'run pgvector embedded') ?? missing(PGLITE_VECTOR, 'run pgvector embedded');
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db` (for messages). */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

/**
 * Checks a --pg-url before anything connects: a postgres:// or postgresql:// URL without a password
 * (the URL is part of the index's label and result files; the password goes in PGPASSWORD or ~/.pgpass).
 */
export function checkPgUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InputError(`--pg-url: '${redactUrl(url)}' is not a URL; give postgres://USER@HOST:PORT/DATABASE.`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new InputError(`--pg-url: '${redactUrl(url)}' is not a postgres:// URL; give postgres://USER@HOST:PORT/DATABASE.`);
  }
  if (u.password !== '') {
    throw new InputError(`--pg-url: '${redactUrl(url)}' carries a password, which would be written into result labels; put it in PGPASSWORD or ~/.pgpass instead.`);
  }
}

/** The first line of an error's message (drivers add context lines). */
function firstLine(e: unknown): string {
  const err = e as { message?: string; code?: string };
  const msg = (err.message ?? String(e)).split('\n')[0].replace(/\.$/, '');
  return msg || (err.code ?? 'unknown error');
}

/** Creates the vector extension if needed; a database that has none is an UnavailableError saying how to install it. */
async function ensureVector(s: Omit<PgSession, 'vectorVersion'>): Promise<string> {
  try {
    await s.exec('CREATE EXTENSION IF NOT EXISTS vector');
  } catch (e) {
    throw new UnavailableError(
      `${s.where} has no pgvector extension (CREATE EXTENSION vector failed: ${firstLine(e)}); ` +
      'install pgvector on the server (e.g. apt install postgresql-16-pgvector, or https://github.com/pgvector/pgvector) and run CREATE EXTENSION vector in the database.',
    );
  }
  const rows = await s.query<{ v: string }>("SELECT extversion AS v FROM pg_extension WHERE extname = 'vector'");
  return rows[0]?.v ?? 'unknown';
}

// ---------------------------------------------------------------- embedded (PGlite)

interface PGliteLike {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  exec(sql: string): Promise<unknown>;
  close(): Promise<void>;
}

let embedded: Promise<PGliteLike> | null = null;

async function startEmbedded(): Promise<PGliteLike> {
  const why = embeddedMissing();
  if (why) throw new UnavailableError(why);
  const [{ PGlite }, { vector }] = await Promise.all([import(PGLITE), import(PGLITE_VECTOR)]);
  return (await PGlite.create({ extensions: { vector } })) as PGliteLike;
}

/** The process's embedded PGlite (started on first use, in memory); a failed start is retried next time. */
async function embeddedDb(): Promise<PGliteLike> {
  embedded ??= startEmbedded().catch((e) => {
    embedded = null;
    throw e;
  });
  return embedded;
}

/** Closes the shared embedded database (tests; a process exits without it). */
export async function closeEmbedded(): Promise<void> {
  const db = embedded;
  embedded = null;
  if (db) await (await db).close();
}

export async function openEmbedded(): Promise<PgSession> {
  const db = await embeddedDb();
  const base = {
    where: 'embedded PGlite',
    query: async <T>(sql: string, params?: readonly unknown[]) => (await db.query<T>(sql, params ? [...params] : undefined)).rows,
    exec: async (sql: string) => {
      await db.exec(sql);
    },
    close: async () => {},
  };
  return { ...base, vectorVersion: await ensureVector(base) };
}

// ---------------------------------------------------------------- a server (pg)

interface PgClientLike {
  connect(): Promise<void>;
  query<T>(sql: string | { text: string; values?: unknown[]; name?: string }, params?: unknown[]): Promise<{ rows: T[] }>;
  end(): Promise<void>;
  on(event: 'error', fn: (e: Error) => void): void;
}

/** Seconds to wait for a server to answer before giving up on the URL. */
const CONNECT_TIMEOUT_MS = 10_000;

export async function openServer(url: string): Promise<PgSession> {
  checkPgUrl(url);
  const why = missing(PG, 'benchmark pgvector on a server');
  if (why) throw new UnavailableError(why);
  const pg = (await import(PG)) as { default: { Client: new (c: object) => PgClientLike } };
  const where = `--pg-url ${redactUrl(url)}`;
  const client = new pg.default.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // a dropped connection surfaces at the next query; without a listener it would crash the process
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => {});
    throw new InputError(`${where}: cannot connect (${firstLine(e)}).`);
  }
  const base = {
    where,
    query: async <T>(sql: string, params?: readonly unknown[]) => (await client.query<T>(sql, params ? [...params] : undefined)).rows,
    exec: async (sql: string) => {
      await client.query(sql);
    },
    close: async () => {
      await client.end().catch(() => {});
    },
  };
  try {
    return { ...base, vectorVersion: await ensureVector(base) };
  } catch (e) {
    await base.close();
    throw e;
  }
}

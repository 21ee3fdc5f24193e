/**
 * pgvector, the vector index of the database most users already run: a table (id int4, emb vector(d))
 * loaded in batches, then ONE index built over it (after loading, as pgvector's docs advise):
 *
 *   type=hnsw     CREATE INDEX … USING hnsw (emb vector_l2_ops) WITH (m, ef_construction); search ef_search
 *   type=ivfflat  CREATE INDEX … USING ivfflat (emb vector_l2_ops) WITH (lists); search probes
 *   type=none     no index: an exact scan (a check of the rest)
 *
 * Embedded by default: PGlite with its vector extension in memory, nothing to start (src/index/pg-session.ts).
 * With `pgUrl` (the CLI's --pg-url, a task file's "pgUrl") the same SQL runs on a real PostgreSQL server
 * through the `pg` client, in a table of its own that close() drops.
 *
 * Distances: l2 uses `<->` (Euclidean), squared here to follow the SearchResult contract; ip uses
 * `<#>` (the NEGATED inner product), negated back. Each query is one statement,
 * `ORDER BY emb <op> $1 LIMIT k`, after a session SET of hnsw.ef_search / ivfflat.probes and
 * enable_seqscan = off (so the planner uses the index even on a small table).
 *
 * Memory: bytes on disk of the database's relations, not RAM: `vectors` = pg_table_size of the table
 * (heap + TOAST + free-space and visibility maps), `graph` (hnsw) or `lists` (ivfflat) =
 * pg_relation_size of the index. Read after build, add and remove.
 */
import { allowedIds, whereClause, type SearchFilter } from './filter.js';
import { InputError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import { resolveParams, type ParamSpecs, type Resolved } from '../core/params.js';
import { specLabel } from '../core/spec.js';
import { addSeconds, checkDim, checkK, numberOr, resolveIds } from './checks.js';
import { defineIndex } from './descriptor.js';
import { checkPgUrl, embeddedMissing, openEmbedded, openServer, type PgSession } from './pg-session.js';
import { vectorLiteral } from './pg-vector-text.js';
import {
  memoryBreakdown,
  type BuildOptions, type BuildReport, type IndexCapabilities, type IndexMetric, type MemoryBreakdown,
  type SearchOptions, type SearchParams, type SearchResult, type VectorIndex,
} from './types.js';

/** pgvector's limit on the dimension of an indexed `vector` column (hnsw and ivfflat). */
export const PGVECTOR_MAX_INDEX_DIM = 2000;
/** pgvector's limit on the dimension of any `vector` column. */
const PGVECTOR_MAX_DIM = 16000;

export const PGVECTOR_BUILD_PARAMS = {
  type: { default: 'hnsw', choices: ['hnsw', 'ivfflat', 'none'], describe: "'hnsw' (graph), 'ivfflat' (inverted lists of raw vectors) or 'none' (no index: exact scan). Default hnsw." },
  m: { default: null, type: 'number', min: 2, max: 100, describe: "hnsw: links per node; unset = pgvector's default 16. More = better recall, bigger index, slower build." },
  efConstruction: { default: null, type: 'number', min: 4, max: 1000, describe: "hnsw: candidate list while building; unset = pgvector's default 64 (at least 2·m). More = better graph, slower build." },
  lists: { default: null, type: 'number', min: 1, max: 32768, describe: 'ivfflat: inverted lists; unset = rows/1000 up to 1M rows, √rows above (pgvector\'s advice). More = fewer rows per probe, lower recall at equal probes.' },
  metric: { default: 'l2', choices: ['l2', 'ip'], describe: "'l2' (squared L2, vector_l2_ops <->) or 'ip' (inner product, vector_ip_ops <#>). Default l2." },
  pgUrl: { default: null, type: 'string', describe: 'postgres://USER@HOST:PORT/DATABASE of a PostgreSQL server with pgvector (password in PGPASSWORD); unset = embedded PGlite in memory.' },
} as const satisfies ParamSpecs;

export const PGVECTOR_SEARCH_PARAMS = {
  efSearch: { default: null, type: 'number', min: 1, max: 1000, describe: "hnsw: candidate list at query time (hnsw.ef_search); unset = pgvector's default 40. pgvector returns at most ef_search rows, so max(efSearch, k) is used." },
  probes: { default: null, type: 'number', min: 1, max: 32768, aliases: ['nprobe'], describe: "ivfflat: lists probed (ivfflat.probes); unset = pgvector's default 1. probes = lists is an exact search." },
  iterativeScan: {
    default: 'off', choices: ['off', 'relaxed_order', 'strict_order'],
    describe: "pgvector ≥ 0.8, filtered search: 'off' (default) filters the ef_search (or probed) rows only, so fewer than k may pass; 'relaxed_order' / 'strict_order' (hnsw only) scan on until k pass (hnsw.iterative_scan, ivfflat.iterative_scan); relaxed answers are re-sorted by distance.",
  },
} as const satisfies ParamSpecs;

/** pgvector 0.8 or later (iterative index scans), from the extension's version text. */
function hasIterativeScan(version: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major > 0 || (major === 0 && minor >= 8);
}

export type PgVectorBuildParams = Partial<Resolved<typeof PGVECTOR_BUILD_PARAMS>>;

/**
 * Async search, one statement per query; add (INSERT) and remove (DELETE) work on a built index;
 * memory is the relations' bytes on disk (exactMemory false: not RAM). batch: concurrent async
 * statements from one pool of clients (src/index/search-modes.ts); PGlite runs them one at a time.
 */
export const PGVECTOR_CAPABILITIES: IndexCapabilities = Object.freeze<IndexCapabilities>({
  add: true, remove: true, filter: true, batch: true, threads: false, metrics: ['l2', 'ip'], asyncSearch: true, exactMemory: false,
});

/** Rows per INSERT statement (2 parameters a row, far below the protocol's 65,535). */
const INSERT_ROWS = 1000;

/** pgvector's advice for ivfflat lists: rows/1000 up to 1M rows, √rows above. */
export function defaultLists(rows: number): number {
  return Math.max(1, rows <= 1_000_000 ? Math.round(rows / 1000) : Math.round(Math.sqrt(rows)));
}

/** A fresh table name, so several indexes can share one database. */
function tableName(): string {
  return `vqbench_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e9).toString(36)}`;
}

export class PgVectorIndex implements VectorIndex {
  readonly name = 'pgvector';
  readonly metric: IndexMetric;
  readonly capabilities: IndexCapabilities = PGVECTOR_CAPABILITIES;
  /** memoryBytes() counts the relations' bytes on disk, not RAM. */
  readonly memoryKind = 'on-disk' as const;
  readonly type: 'hnsw' | 'ivfflat' | 'none';
  private readonly params: Resolved<typeof PGVECTOR_BUILD_PARAMS>;
  private session: PgSession | null = null;
  private table: string | null = null;
  private dim = 0;
  private count = 0;
  private listsUsed = 0;
  private sizes = memoryBreakdown({});

  constructor(params: PgVectorBuildParams = {}) {
    // unset parameters come back as null from the registry's resolution: null means "not given"
    const given = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== null && v !== undefined));
    const p = resolveParams(PGVECTOR_BUILD_PARAMS, given, 'pgvector build parameter');
    this.params = p;
    this.type = p.type as PgVectorIndex['type'];
    this.metric = p.metric as IndexMetric;
    const notFor = (name: string, flag: string, v: unknown, type: string) => {
      if (v !== null && this.type !== type) throw new InputError(`${flag}: pgvector build parameter '${name}' applies to type=${type}, not type=${this.type}.`);
    };
    notFor('m', '--m', p.m, 'hnsw');
    notFor('efConstruction', '--ef-construction', p.efConstruction, 'hnsw');
    notFor('lists', '--lists', p.lists, 'ivfflat');
    const m = p.m ?? 16, efc = p.efConstruction ?? 64; // pgvector's defaults
    if (this.type === 'hnsw' && efc < 2 * m) {
      throw new InputError(`--ef-construction: pgvector needs ef_construction ≥ 2·m = ${2 * m}, got ${efc}${p.efConstruction === null ? ' (its default)' : ''}.`);
    }
    if (p.pgUrl !== null) checkPgUrl(p.pgUrl);
  }

  get label(): string {
    return specLabel('pgvector', [[PGVECTOR_BUILD_PARAMS, this.params]]);
  }

  get size(): number {
    return this.count;
  }

  /** Raw float32 vectors are what the table (and an ivfflat index) stores. */
  get bitsPerVector(): number {
    return 32 * this.dim;
  }

  /** The table holding the vectors (null before build / after close). */
  get tableName(): string | null {
    return this.table;
  }

  /** The session's pgvector version ('' before build). */
  get vectorVersion(): string {
    return this.session?.vectorVersion ?? '';
  }

  private get ops(): string {
    return this.metric === 'ip' ? 'vector_ip_ops' : 'vector_l2_ops';
  }

  private get operator(): string {
    return this.metric === 'ip' ? '<#>' : '<->';
  }

  async build(x: Matrix, opts: BuildOptions = {}): Promise<BuildReport> {
    await this.close();
    if (x.dim > PGVECTOR_MAX_DIM) throw new InputError(`pgvector: a vector column holds at most ${PGVECTOR_MAX_DIM} dimensions, the data has ${x.dim}.`);
    if (this.type !== 'none' && x.dim > PGVECTOR_MAX_INDEX_DIM) {
      throw new InputError(`--type: pgvector's ${this.type} index takes at most ${PGVECTOR_MAX_INDEX_DIM} dimensions (a vector column), the data has ${x.dim}; use type=none (exact scan) or fewer dimensions.`);
    }
    const t0 = performance.now();
    const session = this.params.pgUrl === null ? await openEmbedded() : await openServer(this.params.pgUrl);
    const started = performance.now();
    this.session = session;
    this.table = tableName();
    this.dim = x.dim;
    this.count = 0;
    const notes = [`${session.where}, pgvector ${session.vectorVersion}, table ${this.table} (started in ${((started - t0) / 1000).toFixed(1)} s, not counted)`];
    try {
      await session.exec(`CREATE TABLE ${this.table} (id int4 NOT NULL, emb vector(${x.dim}) NOT NULL)`);
      await this.insertRows(x, null, (done) => opts.onProgress?.(done, x.rows, 'pgvector insert'));
      this.count = x.rows;
      await this.createIndex(x.rows, notes);
      await this.refreshSizes();
    } catch (e) {
      await this.close().catch(() => {}); // a failed build leaves no table behind on a server
      throw e;
    }
    if (opts.trainRows !== undefined && this.type === 'ivfflat') notes.push('trainRows ignored: pgvector samples its own k-means rows');
    return { seconds: (performance.now() - started) / 1000, notes };
  }

  private async createIndex(rows: number, notes: string[]): Promise<void> {
    const session = this.requireSession();
    if (this.type === 'none') return;
    let withClause: string;
    if (this.type === 'hnsw') {
      const w: string[] = [];
      if (this.params.m !== null) w.push(`m = ${this.params.m}`);
      if (this.params.efConstruction !== null) w.push(`ef_construction = ${this.params.efConstruction}`);
      withClause = w.length ? ` WITH (${w.join(', ')})` : '';
    } else {
      this.listsUsed = this.params.lists ?? defaultLists(rows);
      withClause = ` WITH (lists = ${this.listsUsed})`;
      if (this.params.lists === null) notes.push(`lists = ${this.listsUsed} (rows/1000 or √rows)`);
    }
    // the graph or the k-means sample should fit in maintenance_work_mem, or the build slows down a lot
    await session.exec(`SET maintenance_work_mem = '${this.params.pgUrl === null ? '512MB' : '1GB'}'`);
    try {
      await session.exec(`CREATE INDEX ${this.table}_idx ON ${this.table} USING ${this.type} (emb ${this.ops})${withClause}`);
    } catch (e) {
      throw new InputError(`pgvector: CREATE INDEX (${this.label}) failed on ${rows} × ${this.dim} vectors: ${(e as Error).message.split('\n')[0]}`);
    }
  }

  /** Batched multi-row INSERTs; vectors as text literals that read back to the same float32. */
  private async insertRows(x: Matrix, ids: Int32Array | null, onBatch: (done: number) => void): Promise<void> {
    const session = this.requireSession();
    const first = this.count;
    for (let i0 = 0; i0 < x.rows; i0 += INSERT_ROWS) {
      const i1 = Math.min(x.rows, i0 + INSERT_ROWS);
      const values = new Array<string>(i1 - i0);
      const params = new Array<unknown>(2 * (i1 - i0));
      for (let i = i0; i < i1; i++) {
        const j = i - i0;
        values[j] = `($${2 * j + 1}::int4, $${2 * j + 2}::vector)`;
        params[2 * j] = ids ? ids[i] : first + i;
        params[2 * j + 1] = vectorLiteral(x.row(i));
      }
      await session.query(`INSERT INTO ${this.table} (id, emb) VALUES ${values.join(',')}`, params);
      onBatch(i1);
    }
  }

  /** INSERTs into the table; pgvector's hnsw and ivfflat indexes take new rows as they come (ivfflat keeps its lists). */
  async add(x: Matrix, ids?: Uint32Array): Promise<void> {
    this.requireSession();
    checkDim(x.dim, this.dim, 'added vectors', 'pgvector');
    const given = ids ? resolveIds(x.rows, this.count, ids, 'pgvector') : null;
    await this.insertRows(x, given, () => {});
    this.labelColumns.clear(); // new rows hold false in every label column: set again from the next filter
    this.count += x.rows;
    await this.refreshSizes();
  }

  /** DELETEs the rows with these ids; the number removed. */
  async remove(ids: Uint32Array): Promise<number> {
    const session = this.requireSession();
    const list = Array.from(ids, (v) => String(v)).join(',');
    const rows = await session.query<{ n: number | string }>(`WITH d AS (DELETE FROM ${this.table} WHERE id = ANY($1::int4[]) RETURNING 1) SELECT count(*)::int4 AS n FROM d`, [`{${list}}`]);
    const n = Number(rows[0]?.n ?? 0);
    this.count -= n;
    await this.refreshSizes();
    return n;
  }

  async search(q: Matrix, k: number, params: SearchParams = {}, opts: SearchOptions = {}): Promise<SearchResult> {
    const given = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== null && v !== undefined));
    const p = resolveParams(PGVECTOR_SEARCH_PARAMS, given, 'pgvector search parameter');
    const session = this.requireSession();
    checkK(k, this.count, 'pgvector');
    checkDim(q.dim, this.dim, 'queries', 'pgvector');
    if (p.efSearch !== null && this.type !== 'hnsw') throw new InputError(`--ef-search: pgvector search parameter 'efSearch' applies to type=hnsw, not type=${this.type}.`);
    if (p.probes !== null && this.type !== 'ivfflat') throw new InputError(`--probes: pgvector search parameter 'probes' applies to type=ivfflat, not type=${this.type}.`);
    if (p.probes !== null && p.probes > this.listsUsed) throw new InputError(`--probes: pgvector holds ${this.listsUsed} lists, fewer than probes = ${p.probes}.`);
    // session settings, one SET per search call (a shared embedded database: every index sets its own)
    const settings = [`SET enable_seqscan = ${this.type === 'none' ? 'on' : 'off'}`];
    if (this.type === 'hnsw') settings.push(`SET hnsw.ef_search = ${Math.min(1000, Math.max(p.efSearch ?? 40, k))}`);
    if (this.type === 'ivfflat') settings.push(`SET ivfflat.probes = ${p.probes ?? 1}`);
    const iterative = p.iterativeScan as 'off' | 'relaxed_order' | 'strict_order';
    if (iterative !== 'off' && this.type === 'none') throw new InputError(`--iterative-scan: pgvector search parameter 'iterativeScan' applies to type=hnsw or ivfflat, not type=none.`);
    if (iterative === 'strict_order' && this.type === 'ivfflat') throw new InputError("--iterative-scan: pgvector's ivfflat takes relaxed_order only, not strict_order.");
    // set on every search (a shared embedded database: another index may have changed it); a server before pgvector 0.8 has no such setting
    if (hasIterativeScan(session.vectorVersion)) {
      settings.push(`SET hnsw.iterative_scan = ${iterative}`, `SET ivfflat.iterative_scan = ${iterative === 'strict_order' ? 'off' : iterative}`);
    } else if (iterative !== 'off') {
      throw new InputError(`--iterative-scan: ${session.where} has pgvector ${session.vectorVersion}; iterative index scans need pgvector 0.8 or later.`);
    }
    await session.exec(settings.join('; '));
    const where = opts.filter ? `WHERE ${await whereClause(opts.filter, (f) => this.labelColumn(f))} ` : '';
    const scan = `SELECT id, emb ${this.operator} $1::vector AS d FROM ${this.table} ${where}ORDER BY emb ${this.operator} $1::vector LIMIT ${k}`;
    // relaxed order: the rows found, re-sorted by distance (`d + 0`, as pgvector advises: the planner takes the scan as sorted by d already and would skip a plain ORDER BY d)
    const sql = iterative === 'relaxed_order' ? `WITH hits AS MATERIALIZED (${scan}) SELECT id, d FROM hits ORDER BY d + 0` : scan;
    const ip = this.metric === 'ip';
    const ids = new Int32Array(q.rows * k).fill(-1);
    const dists = new Float32Array(q.rows * k).fill(ip ? -Infinity : Infinity);
    for (let r = 0; r < q.rows; r++) {
      const hits = await session.query<{ id: number; d: number }>(sql, [vectorLiteral(q.row(r))]);
      const n = Math.min(k, hits.length);
      for (let j = 0; j < n; j++) {
        const d = Number(hits[j].d);
        ids[r * k + j] = Number(hits[j].id);
        dists[r * k + j] = ip ? -d : d * d;
      }
    }
    return { nq: q.rows, k, ids, dists };
  }

  /**
   * The boolean column of a filter's label (VectorDBBench's `labels = 'label_1p'` as `WHERE label_1p`),
   * added and set from the filter's bitmap the first time the label is searched (again if its bitmap changes).
   */
  private async labelColumn(filter: SearchFilter): Promise<string> {
    const column = filter.predicate.label; // an identifier (labelFilter checks it)
    if (this.labelColumns.get(column) === filter.allowed) return column;
    const session = this.requireSession();
    await session.exec(`ALTER TABLE ${this.table} ADD COLUMN IF NOT EXISTS ${column} boolean NOT NULL DEFAULT false; UPDATE ${this.table} SET ${column} = false WHERE ${column}`);
    await session.query(`UPDATE ${this.table} SET ${column} = true WHERE id = ANY($1::int4[])`, [`{${allowedIds(filter).join(',')}}`]);
    this.labelColumns.set(column, filter.allowed);
    return column;
  }

  private readonly labelColumns = new Map<string, Uint8Array>();

  /** Reads the relations' sizes (memoryBytes() is synchronous, so it returns these). */
  private async refreshSizes(): Promise<void> {
    const session = this.requireSession();
    const rows = await session.query<{ t: string | number; i: string | number | null }>(
      `SELECT pg_table_size('${this.table}') AS t, ${this.type === 'none' ? 'NULL' : `pg_relation_size('${this.table}_idx')`} AS i`,
    );
    const table = Number(rows[0].t), index = Number(rows[0].i ?? 0);
    this.sizes = memoryBreakdown(this.type === 'hnsw' ? { vectors: table, graph: index } : { vectors: table, lists: index });
  }

  memoryBytes(): number {
    return this.sizes.total;
  }

  /** Bytes ON DISK: the table → vectors, the hnsw index → graph, the ivfflat index → lists. */
  memoryBreakdown(): MemoryBreakdown {
    return this.sizes;
  }

  /** Drops the table (and its index) and ends a server connection. */
  async close(): Promise<void> {
    const session = this.session, table = this.table;
    this.session = null;
    this.table = null;
    if (!session) return;
    try {
      if (table) await session.exec(`DROP TABLE IF EXISTS ${table}`);
    } finally {
      await session.close();
    }
  }

  private requireSession(): PgSession {
    if (!this.session || !this.table) throw new Error('pgvector: build() must be called first');
    return this.session;
  }
}

export const descriptor = defineIndex({
  id: 'pgvector',
  describe: 'pgvector (PostgreSQL) with its hnsw or ivfflat index: embedded PGlite, or a server with --pg-url',
  buildParams: PGVECTOR_BUILD_PARAMS,
  searchParams: PGVECTOR_SEARCH_PARAMS,
  capabilities: PGVECTOR_CAPABILITIES,
  // a server URL needs only `pg`, checked when it connects; the embedded default needs PGlite
  unavailable: embeddedMissing,
  create: (build) => new PgVectorIndex(build),
  cost: (build, shape, rows) => {
    const d = shape.dim;
    // embedded PGlite on one core, measured on 20,000 × 100: ~4,000 rows/s inserted, an hnsw
    // build (m 16, ef_construction 64) ~0.8 ms a row, ~4 ms a query at ef_search 100
    const insertPerRow = 1e-4 + 1.5e-6 * d;
    let buildSeconds = 5 + rows * insertPerRow; // PGlite's start included
    let perQuery: (s: Record<string, unknown>) => number;
    if (build.type === 'hnsw') {
      const m = numberOr(build.m, 16), efc = numberOr(build.efConstruction, 64);
      buildSeconds += rows * 8e-4 * (d / 100) * (efc / 64) * Math.sqrt(m / 16) * Math.max(1, Math.log10(rows) / 4);
      perQuery = (s) => 5e-4 + 3.5e-5 * numberOr(s.efSearch, 40) * (d / 100);
    } else if (build.type === 'ivfflat') {
      const lists = numberOr(build.lists, defaultLists(rows));
      buildSeconds += (10 * Math.min(rows, 50 * lists) * lists * d) / 2e8 + rows * lists * d / 2e8;
      perQuery = (s) => 5e-4 + (numberOr(s.probes, 1) * (rows / lists) * d) / 2e8;
    } else {
      perQuery = () => 5e-4 + (rows * d) / 2e8;
    }
    return { buildSeconds, querySeconds: perQuery, addSecondsPerRow: addSeconds(buildSeconds, rows, build.type === 'hnsw' ? 1 : 0.1) };
  },
});

// pgvector on real GloVe rows (test/fixtures/data/glove-sample.npy: 900 base rows, 100 queries):
// embedded PGlite (one per process, shared by the indexes) and the server path for real, a PGlite
// served on a free loopback port through @electric-sql/pglite-socket and reached with --pg-url.
// hnsw recall against exact ground truth; ivfflat with probes = lists and type=none equal brute
// force up to ties; the ip metric; add and remove; the bad --pg-url cases as one sentence, exit 2.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { InputError, UnavailableError } from '../../src/core/errors.js';
import { Matrix } from '../../src/core/matrix.js';
import { knn } from '../../src/core/parallel.js';
import { readNpy } from '../../src/data/npy.js';
import { recallAtK } from '../../src/eval/ann.js';
import { closeEmbedded } from '../../src/index/pg-session.js';
import { PgVectorIndex } from '../../src/index/pgvector.js';
import { vectorLiteral } from '../../src/index/pg-vector-text.js';
import { parseIndexSpec } from '../../src/index/registry.js';
import { assertUserError, runCli, type CliRun } from '../helpers/cli.js';

const SAMPLE = fileURLToPath(new URL('../fixtures/data/glove-sample.npy', import.meta.url));
const glove = readNpy(SAMPLE);
const base = glove.sliceRows(0, 900), queries = glove.sliceRows(900, 1000);
const K = 10, NQ = queries.rows;
const exactL2 = await knn(base, queries, K, 'l2');
const exactIp = await knn(base, queries, K, 'ip');

// two served databases, started beside the embedded one: with the vector extension, and without it
const [withVector, bare] = await Promise.all([PGlite.create({ extensions: { vector } }), PGlite.create()]);
async function serve(db: PGlite): Promise<{ server: PGLiteSocketServer; url: string }> {
  const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 4 });
  await server.start();
  return { server, url: `postgres://postgres@${server.getServerConn()}/postgres` };
}
const served = await serve(withVector), servedBare = await serve(bare);

after(async () => {
  await served.server.stop();
  await servedBare.server.stop();
  await withVector.close();
  await bare.close();
  await closeEmbedded();
});

/** Ids equal the exact ones, except where two neighbours are tied (distances within `tol`). */
function assertExactUpToTies(got: { ids: Int32Array; dists: Float32Array }, exact: { ids: Int32Array; dists: Float32Array }, tol: number): void {
  for (let i = 0; i < NQ * K; i++) {
    assert.ok(Math.abs(got.dists[i] - exact.dists[i]) <= tol * Math.max(1, Math.abs(exact.dists[i])), `query ${Math.floor(i / K)} rank ${i % K}: ${got.dists[i]} vs ${exact.dists[i]}`);
    if (got.ids[i] !== exact.ids[i]) {
      // a swap is only allowed between neighbours whose exact distances tie
      const j = exact.ids.indexOf(got.ids[i], Math.floor(i / K) * K);
      assert.ok(j >= 0 && j < (Math.floor(i / K) + 1) * K && Math.abs(exact.dists[j] - exact.dists[i]) <= tol * Math.max(1, Math.abs(exact.dists[i])), `query ${Math.floor(i / K)} rank ${i % K}: id ${got.ids[i]} vs ${exact.ids[i]}`);
    }
  }
}

const recall = (ids: Int32Array, exact: Int32Array) => recallAtK(ids, exact, NQ, K, K, K);

test('pgvector embedded hnsw: recall@10 at ef_search 100 ≥ 0.95 and not below ef_search 10; squared L2 distances; on-disk sizes', async (t) => {
  const idx = new PgVectorIndex({ type: 'hnsw' });
  assert.equal(idx.label, 'pgvector:type=hnsw,metric=l2');
  const rep = await idx.build(base);
  try {
    assert.match(rep.notes[0], /embedded PGlite, pgvector 0\.\d+\.\d+/);
    assert.equal(idx.size, 900);
    const r100 = await idx.search(queries, K, { efSearch: 100 });
    const r10 = await idx.search(queries, K, { efSearch: 10 });
    const rec100 = recall(r100.ids, exactL2.ids), rec10 = recall(r10.ids, exactL2.ids);
    t.diagnostic(`recall@10: ef_search 100 ${rec100.toFixed(3)}, 10 ${rec10.toFixed(3)}`);
    assert.ok(rec100 >= 0.95 && rec100 >= rec10, `recall@10: ef_search 100 ${rec100}, 10 ${rec10}`);
    for (let i = 0; i < NQ * K; i++) {
      if (r100.ids[i] === exactL2.ids[i]) assert.ok(Math.abs(r100.dists[i] - exactL2.dists[i]) <= 1e-4 * exactL2.dists[i], `rank ${i}: ${r100.dists[i]} vs ${exactL2.dists[i]}`);
    }
    const mem = idx.memoryBreakdown();
    assert.ok(mem.vectors >= 900 * 100 * 4, `table ${mem.vectors} B`);
    assert.ok(mem.graph > 0 && mem.lists === 0, `index ${mem.graph} B`);
    assert.equal(idx.memoryBytes(), mem.total);
    await assert.rejects(idx.search(queries, K, { probes: 2 }), (e: Error) => e instanceof InputError && /probes.*type=ivfflat/.test(e.message));
  } finally {
    await idx.close();
  }
  assert.equal(idx.tableName, null);
});

test('pgvector embedded ivfflat: probes = lists equals brute force up to ties, probes 1 is approximate; type=none is exact', async (t) => {
  const ivf = new PgVectorIndex({ type: 'ivfflat', lists: 8 });
  const none = new PgVectorIndex({ type: 'none' });
  await ivf.build(base);
  await none.build(base);
  try {
    const all = await ivf.search(queries, K, { probes: 8 });
    assertExactUpToTies(all, exactL2, 1e-4);
    const one = await ivf.search(queries, K, { probes: 1 });
    const rec1 = recall(one.ids, exactL2.ids);
    t.diagnostic(`ivfflat lists 8: recall@10 probes 1 ${rec1.toFixed(3)}, probes 8 ${recall(all.ids, exactL2.ids).toFixed(3)}`);
    assert.ok(rec1 < 0.99, `probes 1 recall ${rec1}: the lists are used`);
    assert.ok(ivf.memoryBreakdown().lists > 0 && ivf.memoryBreakdown().graph === 0);
    assertExactUpToTies(await none.search(queries, K), exactL2, 1e-4);
    assert.equal(none.memoryBreakdown().vectors, ivf.memoryBreakdown().vectors, 'the same table');
  } finally {
    await ivf.close();
    await none.close();
  }
});

test('pgvector ip metric: inner products best first (<#> negated back), exact with type=none, hnsw close', async () => {
  const none = new PgVectorIndex({ type: 'none', metric: 'ip' });
  const hnsw = new PgVectorIndex({ type: 'hnsw', metric: 'ip', m: 16, efConstruction: 100 });
  await none.build(base);
  await hnsw.build(base);
  try {
    const r = await none.search(queries, K);
    assertExactUpToTies(r, exactIp, 1e-4);
    for (let q = 0; q < NQ; q++) for (let j = 1; j < K; j++) assert.ok(r.dists[q * K + j - 1] >= r.dists[q * K + j]);
    const h = await hnsw.search(queries, K, { efSearch: 100 });
    assert.ok(recall(h.ids, exactIp.ids) >= 0.9, `hnsw ip recall ${recall(h.ids, exactIp.ids)}`);
  } finally {
    await none.close();
    await hnsw.close();
  }
});

test('pgvector add() and remove(): a new row is found first under its id, then removed; sizes follow', async () => {
  const idx = new PgVectorIndex({ type: 'hnsw' });
  await idx.build(base.sliceRows(0, 600));
  try {
    const before = idx.memoryBytes();
    await idx.add(base.sliceRows(600, 900));
    assert.equal(idx.size, 900);
    assert.ok(idx.memoryBytes() > before);
    const extra = queries.sliceRows(0, 1);
    await idx.add(extra, Uint32Array.from([50_000]));
    assert.equal((await idx.search(extra, 3, { efSearch: 40 })).ids[0], 50_000);
    assert.equal(await idx.remove(Uint32Array.from([50_000, 7])), 2);
    assert.equal(idx.size, 899);
    const after = await idx.search(extra, 3, { efSearch: 40 });
    assert.ok(!after.ids.includes(50_000) && !after.ids.includes(7));
  } finally {
    await idx.close();
  }
});

test('pgvector server path (--pg-url through pglite-socket): the same answers and table size as embedded; the table is dropped on close', async () => {
  const spec = parseIndexSpec(`pgvector:type=ivfflat,lists=8,pg-url=${served.url}`);
  assert.equal(spec.build.pgUrl, served.url);
  const server = new PgVectorIndex(spec.build);
  const embedded = new PgVectorIndex({ type: 'ivfflat', lists: 8 });
  await server.build(base);
  await embedded.build(base);
  try {
    assert.match(server.label, /pgUrl="postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres"/);
    const a = await server.search(queries, K, { probes: 8 }), b = await embedded.search(queries, K, { probes: 8 });
    assert.deepEqual(a.ids, b.ids);
    assert.deepEqual(a.dists, b.dists);
    assert.equal(server.memoryBreakdown().vectors, embedded.memoryBreakdown().vectors);
    const table = server.tableName!;
    assert.equal((await withVector.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]?.['n' as never], 900);
    await server.close();
    assert.equal((await withVector.query(`SELECT to_regclass('${table}') AS t`)).rows[0]?.['t' as never], null);
  } finally {
    await server.close();
    await embedded.close();
  }
});

test('pgvector bad input: unreachable URL, a password in the URL, a server without the extension, dim > 2000', async () => {
  const closed = await freePort();
  const url = `postgres://bench@127.0.0.1:${closed}/db`;
  await assert.rejects(new PgVectorIndex({ pgUrl: url }).build(base),
    (e: Error) => e instanceof InputError && e.message.startsWith(`--pg-url ${url}: cannot connect`) && !e.message.includes('\n'));
  assert.throws(() => new PgVectorIndex({ pgUrl: `postgres://bench:s3cret@127.0.0.1:${closed}/db` }),
    (e: Error) => e instanceof InputError && /PGPASSWORD/.test(e.message) && !e.message.includes('s3cret'));
  await assert.rejects(new PgVectorIndex({ pgUrl: servedBare.url }).build(base),
    (e: Error) => e instanceof UnavailableError && /has no pgvector extension/.test(e.message) && /CREATE EXTENSION vector/.test(e.message));
  const wide = new Matrix(new Float32Array(3 * 2001).fill(0.5), 3, 2001);
  await assert.rejects(new PgVectorIndex({ type: 'ivfflat' }).build(wide), (e: Error) => e instanceof InputError && /at most 2000 dimensions/.test(e.message));
  assert.throws(() => new PgVectorIndex({ type: 'ivfflat', m: 8 }), (e: Error) => e instanceof InputError && /applies to type=hnsw/.test(e.message));

  // the CLI: one sentence, exit 2 (async: the served database answers from this process)
  const common = ['index', '--data', SAMPLE, '--index', 'pgvector', '--queries', '10', '--runs', '1', '--warmup', '0'];
  assertUserError(runCli([...common, '--pg-url', url]), /^error: --pg-url postgres:\/\/bench@127\.0\.0\.1:\d+\/db: cannot connect \(.*ECONNREFUSED.*\)\.$/);
  assertUserError(await runCliAsync([...common, '--pg-url', servedBare.url]), /^error: --pg-url .* has no pgvector extension .*CREATE EXTENSION vector/);
});

/** A loopback port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

const BIN = fileURLToPath(new URL('../../bin/vqbench.mjs', import.meta.url));
function runCliAsync(args: string[]): Promise<CliRun> {
  return new Promise((ok) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, VQBENCH_PROGRESS: '0' } }, (err, stdout, stderr) => {
      ok({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

test('vector literals: every float32 reads back to itself (GloVe rows, tiny, huge, subnormal)', () => {
  const odd = Float32Array.from([1e-38, -3.4e38, 1.401298464e-45, 0.1, 1 / 3, 16777217, -2.5e-7]);
  for (const row of [glove.row(0), glove.row(999), odd]) {
    const back = Float32Array.from(vectorLiteral(row).slice(1, -1).split(','), Number);
    assert.deepEqual(back, row);
  }
});

test('pgvector: filtered search is a WHERE on the label column (or id >= N for an int filter); type none equals brute force over the kept rows, ivfflat returns only kept rows', async () => {
  const { intFilter, labelFilter, passes } = await import('../../src/index/filter.js');
  const { labelName, labelRows } = await import('../../src/data/labels.js');
  const { filteredGroundTruth } = await import('../../src/data/filtered-truth.js');
  const { MatrixRowSource } = await import('../../src/data/row-source.js');
  const none = new PgVectorIndex({ type: 'none' });
  const ivf = new PgVectorIndex({ type: 'ivfflat', lists: 8 });
  await none.build(base);
  await ivf.build(base);
  try {
    for (const f of [...[0.01, 0.1, 0.5].map((p) => labelFilter(labelName(p), p, labelRows(base.rows, p, 5))), intFilter(0.9, base.rows, 'int_90p')]) {
      const t = await filteredGroundTruth(new MatrixRowSource(base), queries, f.allowed, K, 'l2', null);
      const r = await none.search(queries, K, {}, { filter: f });
      for (let q = 0; q < NQ; q++) assert.deepEqual(Array.from(r.ids.subarray(q * K, q * K + K)), Array.from(t.ids.subarray(q * t.k, q * t.k + K)), `${f.predicate.label} query ${q}`);
      const h = await ivf.search(queries, K, { probes: 2 }, { filter: f });
      assert.ok(Array.from(h.ids).every((id) => id < 0 || passes(f, id)), `ivfflat ${f.predicate.label}: a hit without the label`);
    }
    // iterative scan (pgvector 0.8): at 1% kept one probed list holds few labelled rows; relaxed_order scans on until k pass, best first
    const f = labelFilter(labelName(0.01), 0.01, labelRows(base.rows, 0.01, 5)); // 9 rows
    const returned = (r: { ids: Int32Array }) => Array.from(r.ids).filter((id) => id >= 0).length;
    const plain = await ivf.search(queries, K, { probes: 1 }, { filter: f });
    const iterative = await ivf.search(queries, K, { probes: 1, iterativeScan: 'relaxed_order' }, { filter: f });
    assert.ok(returned(plain) < returned(iterative), `iterative scan returned ${returned(iterative)} ids, plain ${returned(plain)}`);
    assert.ok(Array.from(iterative.ids).every((id) => id < 0 || passes(f, id)));
    for (let q = 0; q < NQ; q++) for (let j = 1; j < K && iterative.ids[q * K + j] >= 0; j++) assert.ok(iterative.dists[q * K + j] >= iterative.dists[q * K + j - 1], `query ${q}: re-sorted by distance`);
    // the setting is per search: the next plain search is plain again
    assert.deepEqual((await ivf.search(queries, K, { probes: 1 }, { filter: f })).ids, plain.ids);
    await assert.rejects(ivf.search(queries, K, { iterativeScan: 'strict_order' }), /--iterative-scan: pgvector's ivfflat takes relaxed_order only/);
    // unfiltered after filtered: the label columns change nothing
    assert.deepEqual((await none.search(queries, K)).ids, exactL2.ids.slice());
  } finally {
    await none.close();
    await ivf.close();
  }
});

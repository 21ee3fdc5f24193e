// End-to-end `vqbench index --filter` in a child process on a small seeded file: per selectivity,
// the label's rows, recall against the filtered exact truth (flat: 1), no violation, QPS runs; the
// same labels from the same seed again (and the filtered truth read from the cache); bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../../src/data/npy.js';
import { mixture } from '../helpers/data.js';
import { assertUserError, runCli } from '../helpers/cli.js';

let dir = '';
const run = (...args: string[]) => runCli(args, { VQBENCH_CACHE: join(dir, 'cache') });

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vqbench-filter-cli-'));
  writeNpy(join(dir, 'small.npy'), mixture(2200, 16, 8, 4)); // 220 queries, 1980 base rows
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('index --filter: per selectivity the label, its rows, recall against the filtered truth, no violations, QPS of every run; reproducible', () => {
  const args = ['index', '--data', join(dir, 'small.npy'), '--index', 'ivfpq', '--nlist', '8', '--m', '4', '--sweep', 'nprobe=1,8',
    '--queries', '40', '--runs', '2', '--warmup', '0', '--filter', '0.01,0.5,1', '--json'];
  const r = run(...args);
  assert.equal(r.code, 0, r.stderr);
  const recs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(recs.length, 2);
  for (const rec of recs) {
    assert.deepEqual(rec.filtered.map((f: { label: string }) => f.label), ['label_1p', 'label_50p', 'label_100p']);
    assert.deepEqual(rec.filtered.map((f: { rows: number }) => f.rows), [20, 990, 1980]); // round(p · 1980)
    for (const f of rec.filtered) {
      assert.equal(f.status, 'ok');
      assert.equal(f.violations, 0);
      assert.equal(f.qpsRuns.length, 2);
      assert.ok(f.qpsMin <= f.qpsMedian && f.qpsMedian <= f.qpsMax);
    }
  }
  // nprobe = nlist at 100% kept: the filtered search is the unfiltered one
  assert.equal(recs[1].filtered[2].recall['10'], recs[1].recall['10']);
  // one probed cell of 8 holds few of the 20 labelled rows: fewer than k come back
  assert.ok(recs[0].filtered[0].returnedPerQuery < 10);
  assert.ok(recs[1].filtered[0].returnedPerQuery === 10 && recs[1].filtered[0].recall['10'] > recs[0].filtered[0].recall['10']);
  // the filtered truths are cached; a second run gives the same recalls
  assert.equal(readdirSync(join(dir, 'cache', 'ground-truth')).filter((f) => f.includes('label_') && f.endsWith('.ivecs')).length, 3);
  const again = run(...args).stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(again.map((x) => x.filtered.map((f: { recall: unknown }) => f.recall)), recs.map((x) => x.filtered.map((f: { recall: unknown }) => f.recall)));
});

test('index --filter on flat: recall 1 at every selectivity; the table lists each label', () => {
  const r = run('index', '--data', join(dir, 'small.npy'), '--index', 'flat', '--queries', '20', '--runs', '1', '--warmup', '0', '--filter', '0.01,0.1,0.5,0.99');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /filtered search/);
  for (const label of ['label_1p', 'label_10p', 'label_50p', 'label_99p']) assert.match(r.stdout, new RegExp(`${label}\\s+\\d+\\s+1\\.0000\\s+10\\s+0\\s`));
});

test('index --filter: a selectivity outside (0, 1] or not a number, or an index without filtered search is one sentence naming --filter, exit 2, before any build', () => {
  const out = join(dir, 'keep.json');
  writeFileSync(out, 'earlier');
  const common = ['index', '--data', join(dir, 'small.npy'), '--queries', '10', '--out', out];
  assertUserError(run(...common, '--index', 'flat', '--filter', '0'), /--filter: a selectivity is the share of rows kept, in \(0, 1\]; got 0\./);
  assertUserError(run(...common, '--index', 'flat', '--filter', '0.5,1.5'), /--filter: .*in \(0, 1\]; got 1\.5\./);
  assertUserError(run(...common, '--index', 'flat', '--filter', 'half'), /--filter: .*got 'half'\./);
  assertUserError(run(...common, '--index', 'rabitq', '--filter', '0.1'), /--filter: index rabitq does not support filtered search; filtering indexes: flat, pq, ivfpq, wrvq, /);
  assert.equal(existsSync(join(dir, 'cache', 'ground-truth')) ? readdirSync(join(dir, 'cache', 'ground-truth')).filter((f) => f.includes('q10')).length : 0, 0, 'nothing computed before the refusal');
});

test('index job (in-process): int filters (id >= int(n·rate)) and the base\'s own labels (--labels) beside a seeded share; flat exact on each; bad --labels is one sentence', async () => {
  const { runIndexJob } = await import('../../src/run/index-job.js');
  const { InputError } = await import('../../src/core/errors.js');
  const labels = Array.from({ length: 1980 }, (_, i) => (i % 4 === 0 ? 'spam' : 'ham'));
  writeFileSync(join(dir, 'labels.json'), JSON.stringify(labels));
  const job = { data: join(dir, 'small.npy'), index: 'flat', queries: 20, runs: 1, warmup: 0 };
  const [rec] = await runIndexJob({ ...job, filter: ['0.1,int:0.01,0.99,label:spam'], labels: join(dir, 'labels.json') });
  assert.equal(rec.status, 'ok', rec.error ?? '');
  assert.deepEqual(rec.filtered!.map((f) => [f.kind, f.label, f.rows]), [['share', 'label_10p', 198], ['int', 'int_1p', 1980 - 19], ['int', 'int_99p', 1980 - 1960], ['label', 'is_spam', 495]]);
  assert.deepEqual(rec.filtered!.map((f) => f.selectivity), [0.1, 0.99, 0.01, 0.25]);
  assert.equal(rec.filtered![1].rate, 0.01);
  assert.equal(rec.filtered![3].value, 'spam');
  for (const f of rec.filtered!) {
    assert.equal(f.violations, 0, f.label);
    assert.equal(f.recall!['10'], 1, `${f.label}: flat is exact against its filtered truth`);
  }
  await assert.rejects(runIndexJob({ ...job, filter: ['label:spam'] }), (e: Error) => e instanceof InputError && /^--filter label:spam needs --labels FILE/.test(e.message));
  writeFileSync(join(dir, 'short.json'), JSON.stringify(labels.slice(1)));
  await assert.rejects(runIndexJob({ ...job, filter: ['label:spam'], labels: join(dir, 'short.json') }), /--labels .*short\.json holds 1979 labels but the base of .*small\.npy has 1980 rows/);
  await assert.rejects(runIndexJob({ ...job, filter: ['label:eggs'], labels: join(dir, 'labels.json') }), /--filter label:eggs: no base row has that label/);
  await assert.rejects(runIndexJob({ ...job, filter: [0.5], labels: join(dir, 'labels.json') }), /--labels .* is read only for --filter label:NAME cases/);
});

test('index job --raw with filters (in-process): one raw file per filter beside the unfiltered one, each read back and scored against its filtered truth', async () => {
  const { runIndexJob } = await import('../../src/run/index-job.js');
  const { RawReader } = await import('../../src/report/raw.js');
  const raw = join(dir, 'raw-filtered');
  const [rec] = await runIndexJob({
    data: join(dir, 'small.npy'), index: 'ivfpq', build: { nlist: 8, m: 4 }, search: { nprobe: 2 }, queries: 30, runs: 1, warmup: 0, raw, filter: ['0.1,int:0.5'],
  });
  assert.equal(rec.status, 'ok', rec.error ?? '');
  const stem = '10/ivfpq/ivfpq_nlist_8_m_4_nbits_8_metric_l2_tables_table_opq_false_nprobe_2';
  assert.equal(rec.raw, `${stem}.hdf5`);
  assert.deepEqual(rec.filtered!.map((f) => [f.raw, f.rawTruth]), [[`${stem}_filter_label_10p.hdf5`, 'truth_label_10p.hdf5'], [`${stem}_filter_int_50p.hdf5`, 'truth_int_50p.hdf5']]);
  const reader = new RawReader(raw);
  const plain = (await reader.record({ ...rec, k: 10 }))!;
  assert.ok(Math.abs(plain.values.recall! - rec.recall!['10']) < 1e-9);
  assert.equal(plain.run.attrs.vqbench_filter, undefined);
  for (const f of rec.filtered!) {
    const back = (await reader.record({ raw: f.raw, rawTruth: f.rawTruth, k: 10 }))!;
    assert.ok(Math.abs(back.values.recall! - f.recall!['10']) < 1e-9, `${f.label}: raw recall ${back.values.recall} vs the record's ${f.recall!['10']}`);
    assert.equal(back.run.attrs.vqbench_filter, f.label);
    assert.equal(back.run.attrs.vqbench_filter_rows, f.rows);
    assert.equal(back.run.nq, 30);
    assert.ok(Array.from(back.run.neighbors).every((id) => id < 0 || (f.kind !== 'int' || id >= 990)), `${f.label}: a returned id the filter excludes`);
    assert.notDeepEqual(back.run.neighbors, plain.run.neighbors);
  }
});

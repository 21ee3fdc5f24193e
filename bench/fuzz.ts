/**
 * The long fuzz run (issue 10): every loader's seeded fuzz target (test/fuzz/targets.ts) over many
 * more cases than `npm test` runs, then per loader: cases, clean loads, input/config errors, other
 * failures with the seed of each (re-run one with --target <name> --seed <n> --cases 1), and per
 * mutation category the same counts.
 * Run: npm run bench:fuzz [-- --cases 2000] [--target npy,hdf5] [--seed 1] [--verbose]
 * Exit code 1 when any case failed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { table } from '../src/core/format.js';
import { shutdownWorkers } from '../src/core/parallel.js';
import { describeFailures, runTarget, type TargetSummary } from '../test/fuzz/harness.js';
import { ALL_TARGETS } from '../test/fuzz/targets.js';

const argv = yargs(hideBin(process.argv))
  .option('cases', { type: 'number', default: 1000, describe: 'cases per loader' })
  .option('seed', { type: 'number', default: 1, describe: 'first seed' })
  .option('target', { type: 'string', describe: `comma-separated loaders (${ALL_TARGETS.map((t) => t.name).join(', ')})` })
  .option('verbose', { type: 'boolean', default: false, describe: 'print every case' })
  .strict()
  .parseSync();

const wanted = argv.target ? argv.target.split(',') : ALL_TARGETS.map((t) => t.name);
const unknown = wanted.filter((w) => !ALL_TARGETS.some((t) => t.name === w));
if (unknown.length) {
  console.error(`error: unknown fuzz target(s) ${unknown.join(', ')}; known: ${ALL_TARGETS.map((t) => t.name).join(', ')}.`);
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'vqbench-fuzz-'));
process.env.VQBENCH_CACHE = join(dir, 'cache');
const summaries: TargetSummary[] = [];
const t0 = Date.now();
try {
  for (const target of ALL_TARGETS.filter((t) => wanted.includes(t.name))) {
    const t1 = Date.now();
    const s = await runTarget(target, argv.cases, argv.seed, dir, (r) => {
      if (argv.verbose || r.outcome === 'failure') console.log(`${target.name} seed ${r.seed} [${r.category}] ${r.outcome} (${r.ms.toFixed(0)} ms): ${r.detail.slice(0, 300)}`);
    });
    summaries.push(s);
    console.log(`${target.name}: ${s.cases} cases in ${((Date.now() - t1) / 1000).toFixed(1)} s, ${s.clean} clean, ${s.errors} input errors, ${s.failures.length} failures`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await shutdownWorkers();
}

console.log(`\nfuzz: ${argv.cases} cases per loader from seed ${argv.seed}, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
console.log(table(['loader', 'cases', 'clean loads', 'input errors', 'other failures', 'slowest ms', 'failing seeds'], summaries.map((s) => [
  s.target, s.cases, s.clean, s.errors, s.failures.length, s.slowestMs.toFixed(0), s.failures.slice(0, 10).map((f) => f.seed).join(' ') + (s.failures.length > 10 ? ' …' : ''),
])));
console.log('\nper mutation category:\n');
console.log(table(['loader', 'category', 'cases', 'clean', 'input errors', 'failures'], summaries.flatMap((s) => [...s.byCategory].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([c, n]) => [
  s.target, c, n.cases, n.clean, n.errors, n.failures,
]))));
const failed = summaries.filter((s) => s.failures.length > 0);
for (const s of failed) console.log(`\n${s.target} failures:\n${describeFailures(s)}`);
process.exit(failed.length ? 1 : 0);

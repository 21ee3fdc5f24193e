#!/usr/bin/env node
// `npm test`: type-check, then run every test/**/*.test.ts with Node's built-in test runner.
//
//   npm test                              all tests
//   npm test -- test/core                 only tests under test/core (dirs or files; several allowed)
//   npm test -- test/core/rng.test.ts
//   npm test -- --test-name-pattern=fp16  options starting with -- go to `node --test`
//   VQBENCH_SKIP_TYPECHECK=1 npm test     skip `tsc --noEmit`
//   VQBENCH_TEST_CONCURRENCY=1 npm test   every file one at a time
//
// Two lanes. Most files run two at a time (VQBENCH_TEST_CONCURRENCY, default 2): each file is its own
// process whose start-up (tsx, imports) and waits on child processes would otherwise leave a core idle.
// Files whose assertions depend on timing (timeouts, kills, QPS ratios, a browser's deadlines) say
// `// test-lane: serial` in their first lines and run afterwards, one at a time, alone on the machine.
// The exit code is the worse of the two runs.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const args = process.argv.slice(2);
const nodeOptions = args.filter((a) => a.startsWith('-'));
const filters = args.filter((a) => !a.startsWith('-'));

/** Recursive readdir, sorted, of files ending in .test.ts (skips node_modules and dot dirs). */
function findTests(dir) {
  const out = [];
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() && entry.name.endsWith('.test.ts')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function rel(p) {
  return path.relative(root, path.resolve(p)).split(path.sep).join('/');
}

let files;
if (filters.length === 0) {
  files = existsSync('test') ? findTests('test').map(rel).sort() : [];
} else {
  const picked = new Set();
  for (const f of filters) {
    if (!existsSync(f)) {
      console.error(`run-tests: no such file or directory: ${f}`);
      process.exit(2);
    }
    const found = statSync(f).isDirectory() ? findTests(f) : f.endsWith('.test.ts') ? [f] : [];
    if (found.length === 0) {
      console.error(`run-tests: no *.test.ts files under ${f}`);
      process.exit(2);
    }
    for (const x of found) picked.add(rel(x));
  }
  files = [...picked].sort();
}

if (files.length === 0) {
  console.error('run-tests: no test files found (expected test/**/*.test.ts)');
  process.exit(2);
}

if (process.env.VQBENCH_SKIP_TYPECHECK === '1') {
  console.log('run-tests: type-check skipped (VQBENCH_SKIP_TYPECHECK=1)');
} else {
  let tscBin = null;
  try {
    tscBin = createRequire(path.join(root, 'package.json')).resolve('typescript/bin/tsc');
  } catch { /* fall back to npx below */ }
  const t0 = Date.now();
  console.log('run-tests: type-check: tsc --noEmit -p tsconfig.json');
  const tsc = tscBin
    ? spawnSync(process.execPath, [tscBin, '--noEmit', '-p', 'tsconfig.json'], { stdio: 'inherit' })
    : spawnSync('npx', ['--no-install', 'tsc', '--noEmit', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  if (tsc.error) {
    console.error(`run-tests: could not run tsc: ${tsc.error.message}`);
    process.exit(1);
  }
  if (tsc.status !== 0) {
    console.error(`run-tests: type-check failed (exit ${tsc.status ?? tsc.signal}); fix the errors above or set VQBENCH_SKIP_TYPECHECK=1`);
    process.exit(tsc.status || 1);
  }
  console.log(`run-tests: type-check ok (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
}

/** Does the file ask to run alone (a `// test-lane: serial` line among its first 30 lines)? */
function serialLane(file) {
  return readFileSync(file, 'utf8').split('\n', 30).some((l) => /^\s*\/\/\s*test-lane:\s*serial\b/.test(l));
}

const concurrency = Math.max(1, Number(process.env.VQBENCH_TEST_CONCURRENCY ?? 2) || 1);
const serial = concurrency === 1 ? files : files.filter(serialLane);
const parallel = concurrency === 1 ? [] : files.filter((f) => !serial.includes(f));
console.log(`run-tests: ${files.length} test file(s): ${parallel.length} two at a time, then ${serial.length} one at a time`);
// Node 20 picks the TAP reporter when stdout is not a terminal (CI logs); spec is easier to read.
const reporter = nodeOptions.some((o) => o.startsWith('--test-reporter')) ? [] : ['--test-reporter=spec'];

/** Runs `node --test` on a lane; a file reporter destination gets the lane's name so lanes don't overwrite. */
function runLane(laneFiles, laneConcurrency, lane) {
  if (laneFiles.length === 0) return 0;
  const options = nodeOptions.map((o) => {
    const m = /^--test-reporter-destination=(.+)$/.exec(o);
    return m && m[1] !== 'stdout' && m[1] !== 'stderr' && lane === 'serial' ? `--test-reporter-destination=${m[1]}.serial` : o;
  });
  const nodeArgs = ['--import', 'tsx', '--test', `--test-concurrency=${laneConcurrency}`, ...reporter, ...options, ...laneFiles];
  const res = spawnSync(process.execPath, nodeArgs, { stdio: 'inherit' });
  if (res.error) {
    console.error(`run-tests: could not start node: ${res.error.message}`);
    return 1;
  }
  if (res.signal) {
    console.error(`run-tests: test runner (${lane} lane) killed by ${res.signal}`);
    return 1;
  }
  return res.status ?? 1;
}

const t0 = Date.now();
const first = runLane(parallel, concurrency, 'parallel');
const tParallel = Date.now();
const second = runLane(serial, 1, 'serial');
if (parallel.length && serial.length) {
  console.log(`run-tests: ${parallel.length} files in ${((tParallel - t0) / 1000).toFixed(0)} s two at a time, ${serial.length} in ${((Date.now() - tParallel) / 1000).toFixed(0)} s one at a time`);
}
process.exit(first || second);

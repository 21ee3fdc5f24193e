/**
 * A fixture built once per test-runner process and shared by the test files it runs (each file is a
 * child of the runner, so they share `process.ppid`): `<tmp>/<prefix><ppid>/`. Folders left by
 * runners that have exited are removed first. The fixture is built in a temporary folder (with its
 * own dataset cache, removed after) and renamed into place, so a half-built one is never seen; when
 * two files build at once, the first rename wins and the other's build is dropped.
 */
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive } from '../../src/run/runner.js';

/** The fixture's root folder; `ready` is a path inside it whose presence means it is built. */
export async function sharedPerRunner(prefix: string, ready: string, build: (root: string) => Promise<unknown>): Promise<string> {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (!Number.isInteger(pid) || pid === process.ppid || alive(pid)) continue;
    rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
  const root = join(tmpdir(), `${prefix}${process.ppid}`);
  if (existsSync(join(root, ready))) return root;
  const tmp = mkdtempSync(join(tmpdir(), `${prefix}build-`));
  const savedCache = process.env.VQBENCH_CACHE;
  process.env.VQBENCH_CACHE = join(tmp, 'cache'); // the fixture's subsets and ground truth stay here
  try {
    await build(tmp);
    rmSync(join(tmp, 'cache'), { recursive: true, force: true });
    renameSync(tmp, root);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(root, ready))) throw e; // else another file of this runner built it first
  } finally {
    if (savedCache === undefined) delete process.env.VQBENCH_CACHE;
    else process.env.VQBENCH_CACHE = savedCache;
  }
  return root;
}

/** What a reader needs to trust a result: versions, commit, machine, threads. Captured once per process. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { getThreads } from '../core/parallel.js';

export interface RunEnvironment {
  vqbenchVersion: string;
  gitCommit: string | null;
  node: string;
  cpu: string;
  cores: number;
  threads: number;
  memoryBytes: number;
  platform: string;
}

const root = fileURLToPath(new URL('../../', import.meta.url));

export function captureEnvironment(): RunEnvironment {
  let gitCommit: string | null = null;
  try {
    gitCommit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    gitCommit = null; // not a git checkout
  }
  const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string };
  return {
    vqbenchVersion: pkg.version,
    gitCommit,
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    threads: getThreads(),
    memoryBytes: totalmem(),
    platform: `${process.platform}-${process.arch}`,
  };
}

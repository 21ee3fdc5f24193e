// Worker side of parallel.ts: imports the job's module (once), runs its function on a row range of
// shared arrays, then reports back.
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort } from 'node:worker_threads';
import { compiledTwin } from './compiled.js';

/** A compiled worker (started from dist/ while the caller runs under tsx) loads the job module's compiled twin. */
function loadable(module: string): string {
  if (!module.endsWith('.ts') || import.meta.url.endsWith('.ts')) return module;
  const twin = compiledTwin(module, './' + basename(new URL(module).pathname).replace(/\.ts$/, '.js'));
  if (!twin) throw new Error(`no compiled twin of ${module}: run npm run build`);
  return pathToFileURL(twin).href;
}

type Task = (args: Record<string, unknown>, start: number, end: number) => void | Promise<void>;
const modules = new Map<string, Promise<Record<string, unknown>>>();

parentPort!.on('message', async (m: { id: number; module: string; fn: string; args: Record<string, unknown>; start: number; end: number }) => {
  try {
    if (!modules.has(m.module)) modules.set(m.module, import(loadable(m.module)));
    const fn = (await modules.get(m.module)!)[m.fn] as Task | undefined;
    if (typeof fn !== 'function') throw new Error(`${m.module} exports no function ${m.fn}`);
    await fn(m.args, m.start, m.end);
    parentPort!.postMessage({ id: m.id });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: (e as Error).stack ?? String(e) });
  }
});

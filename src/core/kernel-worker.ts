// Worker side of parallel.ts: imports the job's module (once), runs its function on a row range of
// shared arrays, then reports back.
import { parentPort } from 'node:worker_threads';

type Task = (args: Record<string, unknown>, start: number, end: number) => void | Promise<void>;
const modules = new Map<string, Promise<Record<string, unknown>>>();

parentPort!.on('message', async (m: { id: number; module: string; fn: string; args: Record<string, unknown>; start: number; end: number }) => {
  try {
    if (!modules.has(m.module)) modules.set(m.module, import(m.module));
    const fn = (await modules.get(m.module)!)[m.fn] as Task | undefined;
    if (typeof fn !== 'function') throw new Error(`${m.module} exports no function ${m.fn}`);
    await fn(m.args, m.start, m.end);
    parentPort!.postMessage({ id: m.id });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: (e as Error).stack ?? String(e) });
  }
});

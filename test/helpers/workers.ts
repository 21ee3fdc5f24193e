// `vqbench worker` processes for the queue tests: started through the CLI (as a user would, so a
// SIGKILL takes the whole worker), their output kept for the assertions.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/vqbench.mjs', import.meta.url));

export class WorkerProcess {
  output = '';
  readonly exited: Promise<number | null>;
  constructor(readonly proc: ChildProcess) {
    proc.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((r) => proc.once('exit', (code) => r(code)));
  }

  /** Starts `vqbench worker --queue url` with `env` added; resolves once it says it is connected. */
  static async start(url: string, env: Record<string, string> = {}): Promise<WorkerProcess> {
    const w = new WorkerProcess(spawn(process.execPath, [BIN, 'worker', '--queue', url], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VQBENCH_PROGRESS: '0', ...env } }));
    await w.waitFor(/^worker on /m, 30_000);
    return w;
  }

  async waitFor(re: RegExp, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!re.test(this.output)) {
      if (this.proc.exitCode !== null) throw new Error(`the worker exited (${this.proc.exitCode}): ${this.output}`);
      if (Date.now() > deadline) throw new Error(`the worker did not print ${re} within ${ms} ms: ${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    await this.exited;
  }
}

/** `vqbench worker --queue redis://HOST:PORT`: runs the cells that `vqbench run --queue` puts on the queue, one child process each. */
import type { Argv } from 'yargs';
import { InputError } from '../core/errors.js';
import { parseRedisAddress } from '../run/queue/connection.js';

interface WorkerArgs {
  queue: string;
  'queue-name'?: string;
  concurrency: number;
}

export function workerCommand(y: Argv): Argv {
  return y.command(
    'worker',
    'take cells from a BullMQ queue in Redis (vqbench run --queue) and run each in its own process, until stopped (Ctrl-C)',
    (a) =>
      a
        .option('queue', { type: 'string', demandOption: true, describe: 'the Redis of the queue, redis://HOST:PORT' })
        .option('queue-name', { type: 'string', describe: 'the BullMQ queue (default vqbench, as vqbench run --queue)' })
        .option('concurrency', { type: 'number', default: 1, describe: 'cells run at once on this machine (each cell uses the kernels\' threads: 1 is usual)' }),
    async (raw) => {
      const argv = raw as unknown as WorkerArgs;
      if (!(Number.isInteger(argv.concurrency) && argv.concurrency >= 1 && argv.concurrency <= 256)) throw new InputError(`--concurrency must be an integer from 1 to 256, got ${argv.concurrency}.`);
      const { startWorker } = await import('../run/queue/worker.js'); // BullMQ loads only for this command
      await startWorker({ address: parseRedisAddress(argv.queue), queueName: argv['queue-name'], concurrency: argv.concurrency });
      await new Promise<never>(() => undefined); // until a signal ends the process
    },
  );
}

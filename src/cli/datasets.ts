/**
 * `vqbench datasets list` and `vqbench datasets prepare <name...|all>`: the text datasets built
 * from installed packages (listTextDatasets / prepareTextDatasets in src/data/text/registry.ts).
 */
import type { Argv } from 'yargs';
import { listTextDatasets, manifestEntries, prepareTextDatasets, type PrepareResult } from '../data/text/registry.js';
import { fmt, table } from '../core/format.js';

/** "train 2000, test 2000, labels 2" */
function sizes(counts: Record<string, number>): string {
  const parts = Object.entries(counts).map(([k, v]) => `${k} ${v}`);
  return parts.length ? parts.join(', ') : '?';
}

function resultLine(r: PrepareResult, i: number, n: number): string {
  const what = r.status === 'prepared' ? `prepared in ${fmt(r.seconds, 3)} s` : 'already prepared';
  return `[${i + 1}/${n}] ${r.name} (${r.type}): ${sizes(r.counts)}; checksum ${r.checksum}; ${what} → ${r.dir}`;
}

export function datasetsCommand(y: Argv): Argv {
  return y.command(
    'datasets <command>',
    'list the text datasets, or prepare them from installed packages (no network)',
    (a) =>
      a
        .command(
          'list',
          'list every text dataset: name, type, sizes, source, licence, prepared or not',
          (b) => b.option('json', { type: 'boolean', default: false, describe: 'one JSON array on stdout instead of a table' }),
          (argv) => {
            const list = listTextDatasets();
            if (argv.json) {
              process.stdout.write(JSON.stringify(list) + '\n');
              return;
            }
            const vectors = manifestEntries().filter((d) => d.kind !== 'text' && typeof d.name === 'string');
            process.stdout.write(
              table(
                ['name', 'type', 'sizes', 'prepared', 'source', 'licence'],
                list.map((d) => [d.name, d.type, sizes(d.counts), d.prepared ? 'yes' : 'no', d.source, d.shortLicence]),
              ) +
                '\n' +
                (vectors.length ? `vector datasets (loaded on demand, see datasets/manifest.json): ${vectors.map((d) => `${String(d.name)} (${String(d.rows)} × ${String(d.dim)})`).join(', ')}\n` : '') +
                'prepare with `vqbench datasets prepare <name...|all>`; full licences and derivations: `vqbench datasets list --json`\n',
            );
          },
        )
        .command(
          'prepare <names..>',
          "build datasets from installed packages into the cache (idempotent; 'all' for every one)",
          (b) =>
            b
              .positional('names', { type: 'string', array: true, describe: "dataset names, or 'all'" })
              .option('force', { type: 'boolean', default: false, describe: 'rebuild even when an up-to-date copy is cached' })
              .option('json', { type: 'boolean', default: false, describe: 'one JSON object per dataset on stdout' }),
          async (argv) => {
            // One line per dataset as it finishes (the progress of `prepare all`).
            await prepareTextDatasets((argv.names ?? []).map(String), {
              force: argv.force,
              onResult: (r, i, n) => process.stdout.write((argv.json ? JSON.stringify(r) : resultLine(r, i, n)) + '\n'),
            });
          },
        )
        .demandCommand(1, 'name a datasets command: list or prepare'),
    () => {},
  );
}

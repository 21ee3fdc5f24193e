/**
 * Embedding chunks (`grid.embed`): one cell embeds one chunk of rows of one text group (queries or
 * documents) of a corpus or text task and stores it in the embedding cache (src/embed/chunked.ts),
 * so `vqbench run` (locally, or spread over workers with a queue) fills the cache of a large job and
 * a final `vqbench embed` with the same flags assembles the output without computing anything.
 * The cache folder must be the same for every worker (VQBENCH_CACHE on a shared file system).
 *
 * The task is written by `vqbench embed … --emit-task FILE` (`embedTaskFile` below): each entry
 * names the group's row count and texts' checksum, so the cells expand without reading the corpus,
 * and a cell whose corpus changed since fails with one sentence instead of caching wrong rows.
 */
import { basename, extname } from 'node:path';
import { InputError } from '../../core/errors.js';
import { RATES } from '../../core/cost.js';
import { chunkRanges } from '../../data/row-source.js';
import { textsSha256 } from '../../embed/cache.js';
import { fillOneChunk } from '../../embed/chunked.js';
import { DEVICES } from '../../embed/devices.js';
import { createEmbedder, embedderEntry, type EmbedderOptions } from '../../embed/registry.js';
import { textGroups, type TextGroup } from '../../embed/text-groups.js';
import type { EmbedRole } from '../../embed/types.js';
import { slugify } from '../grid-values.js';
import { isNumber, isObject, TIMING_DEFINITIONS } from './common.js';
import type { CellConfig, CellKindDef } from './types.js';

/** The embedder options a task may carry (the flags of `vqbench embed` that change where or how it runs). */
export interface EmbedTaskOptions {
  device?: string;
  batchSize?: number;
  dtype?: string;
  modelPath?: string;
  offline?: boolean;
  threads?: number;
}

/** One group of a job: its role, its row count and the sha256 of its texts (src/embed/cache.ts textsSha256). */
export interface EmbedGroupSpec {
  role: EmbedRole;
  rows: number;
  textsSha256: string;
}

/** One entry of `grid.embed`: a whole embedding job, expanded into one cell per chunk. */
export interface EmbedSpec {
  dataset: string;
  model: string;
  chunkRows: number;
  limit?: number;
  groups: EmbedGroupSpec[];
  options?: EmbedTaskOptions;
}

export interface EmbedConfig extends CellConfig {
  kind: 'embed';
  dataset: string;
  model: string;
  limit?: number;
  role: EmbedRole;
  /** The group's rows and texts' checksum, checked before embedding. */
  groupRows: number;
  textsSha256: string;
  chunkRows: number;
  start: number;
  end: number;
  options: EmbedTaskOptions;
}

const posInt = { $ref: '#/$defs/posInt' };

const SCHEMA = {
  type: 'array',
  items: {
    type: 'object',
    required: ['dataset', 'model', 'chunkRows', 'groups'],
    additionalProperties: false,
    description: 'An embedding job cut into chunks, one cell per chunk; written by `vqbench embed … --emit-task FILE` (src/run/kinds/embed.ts).',
    properties: {
      dataset: { $ref: '#/$defs/name', description: 'Text corpus or task: a prepared name, a folder or a file, as `vqbench embed --dataset` takes it.' },
      model: { $ref: '#/$defs/name', description: 'Embedder id (use-lite, glove-avg, bge-large) or a transformers.js model id.' },
      chunkRows: { ...posInt, description: 'Texts per chunk (one cell each).' },
      limit: { ...posInt, description: 'Only the first N texts of each group.' },
      groups: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          required: ['role', 'rows', 'textsSha256'],
          additionalProperties: false,
          properties: {
            role: { enum: ['query', 'document'] },
            rows: posInt,
            textsSha256: { type: 'string', pattern: '^[0-9a-f]{64}$', 'x-expected': 'the sha256 of the texts (64 hex digits)' },
          },
        },
      },
      options: {
        type: 'object',
        additionalProperties: false,
        properties: {
          device: { enum: [...DEVICES] },
          batchSize: posInt,
          dtype: { enum: ['fp32', 'q8'] },
          modelPath: { $ref: '#/$defs/name' },
          offline: { type: 'boolean' },
          threads: posInt,
        },
      },
    },
  },
};

/** The dataset in a cell id: a name as it is, a file or folder by its base name without extension. */
const datasetPiece = (spec: string) => {
  const name = basename(spec.replace(/[/\\]+$/, ''));
  return slugify(name.slice(0, name.length - extname(name).length) || name);
};

/** Seconds of one chunk: process start, the model's load, reading and hashing the corpus (~1 µs a text), the chunk at the model's measured rate. */
function chunkSeconds(c: EmbedConfig): number {
  const e = embedderEntry(c.model);
  const rate = e?.textsPerSecond ?? 8, load = e?.loadSeconds ?? 10;
  return RATES.startup + load + c.groupRows * 1e-6 + (c.end - c.start) / rate;
}

export const embedKind: CellKindDef<'embed', 'embed', EmbedSpec[], EmbedConfig> = {
  kind: 'embed',
  gridKey: 'embed',
  describe: 'one chunk of an embedding job, stored in the embedding cache (vqbench embed --emit-task writes these tasks)',
  perDataset: false,
  schema: SCHEMA,
  definitions: {
    rows: 'texts in the chunk',
    computed: 'true when the cell embedded the chunk, false when it was already cached',
    embedSeconds: 'seconds spent embedding the chunk (0 when it was cached)',
    textsPerSecond: 'rows / embedSeconds (null when the chunk was cached)',
    device: 'where the model ran: cpu or cuda',
    ...TIMING_DEFINITIONS,
  },
  check(section, at, fail) {
    section.forEach((job, i) => {
      if (!embedderEntry(job.model) && !job.model.includes('/')) fail([...at, i, 'model'], `names no embedder: '${job.model}' is neither registered nor a transformers.js model id.`);
      const roles = job.groups.map((g) => g.role);
      if (new Set(roles).size !== roles.length) fail([...at, i, 'groups'], 'lists a role twice.');
    });
  },
  expand(section, ctx) {
    return section.flatMap((job, i) => job.groups.flatMap((g) => [...chunkRanges(g.rows, job.chunkRows)].map(([start, end]) => ({
      at: ['grid', 'embed', i],
      pieces: ['embed', datasetPiece(job.dataset), job.model, g.role, `${start}-${end}`],
      config: {
        kind: 'embed' as const, seed: ctx.seed, scale: ctx.scale, dataset: job.dataset, model: job.model, ...(job.limit !== undefined && { limit: job.limit }),
        role: g.role, groupRows: g.rows, textsSha256: g.textsSha256, chunkRows: job.chunkRows, start, end, options: job.options ?? {},
      },
    }))));
  },
  estimate: (c) => chunkSeconds(c),
  resultProblem(m) {
    if (!isObject(m)) return 'metrics must be an object';
    if (!isNumber(m.rows) || typeof m.computed !== 'boolean') return 'metrics needs rows (a number) and computed (true or false)';
    return null;
  },
  async execute(c, ctx) {
    const { groups } = await textGroups(c.dataset, c.limit);
    const group: TextGroup | undefined = groups.find((g) => g.role === c.role);
    if (!group || group.texts.length !== c.groupRows || textsSha256(group.texts) !== c.textsSha256) {
      throw new InputError(`${c.dataset}: its ${c.role}s are not the texts this task was written for (${group ? `${group.texts.length} texts, the task says ${c.groupRows}, or other texts` : 'no such group'}); write the task again with vqbench embed --emit-task.`);
    }
    const embedder = await createEmbedder(c.model, c.options as EmbedderOptions);
    try {
      const r = await fillOneChunk(embedder, group, c.start, c.end, { chunkRows: c.chunkRows, onProgress: ctx.onProgress });
      const rows = c.end - c.start;
      return {
        metrics: {
          dataset: c.dataset, model: c.model, embedderId: embedder.id, embedderVersion: embedder.version, dim: embedder.dim,
          device: embedder.device ?? 'cpu', ...(embedder.batchSize !== undefined && { batchSize: embedder.batchSize }),
          role: c.role, start: c.start, end: c.end, rows, computed: r.computed, embedSeconds: r.embedSeconds,
          textsPerSecond: r.computed && r.embedSeconds > 0 ? rows / r.embedSeconds : null,
        },
        datasetChecksum: null,
      };
    } finally {
      await embedder.dispose?.();
    }
  },
};

/** The task file `vqbench embed --emit-task` writes: one embed entry whose cells are the job's chunks; no report. */
export function embedTaskFile(job: { name: string; dataset: string; model: string; chunkRows: number; limit?: number; groups: EmbedGroupSpec[]; options: EmbedTaskOptions }): Record<string, unknown> {
  const cells = job.groups.reduce((n, g) => n + Math.ceil(g.rows / job.chunkRows), 0);
  const rows = job.groups.reduce((n, g) => n + g.rows, 0);
  const options = Object.fromEntries(Object.entries(job.options).filter(([, v]) => v !== undefined));
  return {
    name: slugify(`embed-${job.name}-${job.model}`).replace(/^[^A-Za-z0-9]+/, ''),
    description: `Embed ${job.name} (${rows} texts) with ${job.model} in ${cells} chunks of ${job.chunkRows} texts, each cached; then \`vqbench embed\` with the same flags assembles them.`,
    paper: '-',
    report: false,
    grid: {
      embed: [{
        dataset: job.dataset, model: job.model, chunkRows: job.chunkRows, ...(job.limit !== undefined && { limit: job.limit }),
        groups: job.groups, ...(Object.keys(options).length > 0 && { options }),
      }],
    },
  };
}

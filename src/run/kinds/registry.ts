/**
 * The cell kinds a task file can ask for, one file each in src/run/kinds/ behind the CellKindDef
 * contract (./types.ts). Adding a kind is one file plus one line here: the task loader, the
 * estimator and the cell process loop over this list. Order matters: a task's cells are expanded
 * per dataset in this order (rd-bound after quantize: it reads their bits), then the kinds that
 * run without a dataset.
 */
import { InputError } from '../../core/errors.js';
import { didYouMean } from '../../core/names.js';
import { frozenRegistry } from '../../core/registry.js';
import { embedKind } from './embed.js';
import { indexKind } from './index.js';
import { insertKind } from './insert.js';
import { mtebKind } from './mteb.js';
import { quantizeKind } from './quantize.js';
import { rdBoundKind } from './rd-bound.js';
import { streamKind } from './stream.js';
import type { CellKindDef } from './types.js';

const LIST = [
  quantizeKind,
  indexKind,
  insertKind,
  streamKind,
  rdBoundKind,
  mtebKind,
  embedKind,
] as const;

/** The id of a cell kind, derived from the list above. */
export type CellKind = (typeof LIST)[number]['kind'];

/** The grid sections of a task file: `datasets`, then each kind's section under its grid key, typed by the kind. */
export type TaskGrid = { datasets?: string[] } & { [D in (typeof LIST)[number] as D['gridKey']]?: Parameters<D['check']>[0] };

/** A kind of the registry, its section and configuration types erased (each kind file has them typed). */
export type AnyCellKind = CellKindDef<CellKind>;

export const CELL_KINDS = frozenRegistry<AnyCellKind>('cell kind', LIST, (k) => k.kind);
export const CELL_KIND_IDS = Object.keys(CELL_KINDS) as CellKind[];
/** Grid key (`quantizers`, `indexes`, ...) → kind; a duplicate key is a bug and throws at load. */
export const KINDS_BY_GRID_KEY = frozenRegistry<AnyCellKind>('cell kind grid key', Object.values(CELL_KINDS), (k) => k.gridKey);

export function cellKind(id: string): AnyCellKind {
  const k = Object.hasOwn(CELL_KINDS, id) ? CELL_KINDS[id] : undefined;
  if (!k) throw new InputError(`unknown cell kind '${id}'${didYouMean(id, CELL_KIND_IDS)}; known: ${CELL_KIND_IDS.join(', ')}.`);
  return k;
}

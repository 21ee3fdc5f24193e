/**
 * A folder's files as JSON (path relative to the folder, content in base64) and back: how a cell's
 * raw per-query files travel from a worker to the coordinator, so no shared file system is needed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { InputError } from '../../core/errors.js';
import { writeOutput } from '../output.js';

export interface PackedFile {
  path: string;
  base64: string;
}

/** Every file under `dir` (none when it does not exist), in a stable order. */
export function packFolder(dir: string): PackedFile[] {
  if (!existsSync(dir)) return [];
  const out: PackedFile[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push({ path: relative(dir, p).split(sep).join('/'), base64: readFileSync(p).toString('base64') });
    }
  };
  walk(dir);
  return out;
}

/** Writes packed files under `dir`, each atomically; a path that would leave `dir` is refused. */
export function unpackFolder(dir: string, files: readonly PackedFile[]): void {
  for (const f of files) {
    const parts = f.path.split('/');
    if (f.path.startsWith('/') || parts.some((s) => s === '..' || s === '')) throw new InputError(`a worker sent the raw file ${JSON.stringify(f.path)}, which is not a relative path inside the cell's folder.`);
    writeOutput(join(dir, ...parts), Buffer.from(f.base64, 'base64'), 'the raw file');
  }
}

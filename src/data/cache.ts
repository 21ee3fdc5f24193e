/** Where derived data lives: `datasets/cache/` under the repository (git-ignored), or $VQBENCH_CACHE. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export function cacheDir(...parts: string[]): string {
  return join(process.env.VQBENCH_CACHE ?? join(repoRoot, 'datasets', 'cache'), ...parts);
}

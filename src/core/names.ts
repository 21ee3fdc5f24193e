/** Suggestions for mistyped names (registries of quantizers, indexes, datasets, tasks). */

/** Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** "; did you mean 'x'?" when a known name is within a third of the length, else "". */
export function didYouMean(name: string, known: readonly string[]): string {
  let best = '', bd = Infinity;
  for (const k of known) {
    const dd = editDistance(name.toLowerCase(), k.toLowerCase());
    if (dd < bd) { bd = dd; best = k; }
  }
  return best && bd <= Math.max(2, Math.ceil(best.length / 3)) ? `; did you mean '${best}'?` : '';
}

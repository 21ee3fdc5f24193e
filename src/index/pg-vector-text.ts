/**
 * pgvector's text form of a vector, '[x1,x2,...]'. Nine significant digits read back (pgvector parses
 * with strtof) to the very same float32, so what the database holds is what the harness gave it.
 */

/** The text literal of one float32 row. */
export function vectorLiteral(row: Float32Array): string {
  let s = '[';
  for (let j = 0; j < row.length; j++) {
    if (j > 0) s += ',';
    s += row[j].toPrecision(9);
  }
  return s + ']';
}

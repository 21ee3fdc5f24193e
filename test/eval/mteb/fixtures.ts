// Reads test/fixtures/mteb/*.json (written by scripts/make-mteb-fixtures.py) and builds matrices.
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { Matrix } from '../../../src/core/matrix.js';

export interface FixtureMatrix { rows: number; dim: number; data: number[] }

export function fixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../fixtures/mteb/${name}.json`, import.meta.url), 'utf8')) as T;
}

export function matrix(m: FixtureMatrix): Matrix {
  return new Matrix(Float32Array.from(m.data), m.rows, m.dim);
}

/** |actual − expected| ≤ tol, with a message naming the metric. */
export function close(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs expected ${expected} (tolerance ${tol})`);
}

/**
 * An encoder over a fixed text → vector table; records every call so tests can check that each
 * distinct text is embedded once and with which role.
 */
export function tableEncoder(table: Map<string, Float32Array>, dim: number) {
  const calls: { texts: string[]; role: 'query' | 'document' }[] = [];
  const encode = async (texts: string[], role: 'query' | 'document'): Promise<Matrix> => {
    calls.push({ texts: [...texts], role });
    const m = Matrix.zeros(texts.length, dim);
    texts.forEach((t, i) => {
      const v = table.get(t);
      if (!v) throw new Error(`tableEncoder: unknown text ${JSON.stringify(t)}`);
      m.data.set(v, i * dim);
    });
    return m;
  };
  return { encode, calls };
}

/** Names rows of a matrix `${prefix}${i}` in an encoder table. */
export function addRows(table: Map<string, Float32Array>, prefix: string, m: Matrix): string[] {
  const names: string[] = [];
  for (let i = 0; i < m.rows; i++) {
    table.set(`${prefix}${i}`, m.row(i).slice());
    names.push(`${prefix}${i}`);
  }
  return names;
}

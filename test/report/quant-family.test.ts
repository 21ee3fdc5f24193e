import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quantFamily } from '../../src/report/model.js';
import type { QuantizeResult } from '../../src/run/quantize.js';

const result = (method: string, params: Record<string, unknown>) => ({ method, trainer: 'kmeans', weights: null, beam: null, params } as unknown as QuantizeResult);

test('quantFamily: binary with and without ITQ are two series (same bits, different methods); sq types share one', () => {
  assert.notEqual(quantFamily(result('binary', { rotation: 'none' })), quantFamily(result('binary', { rotation: 'itq' })));
  assert.equal(quantFamily(result('sq', { type: 'int8' })), quantFamily(result('sq', { type: 'int4' })));
  assert.match(quantFamily(result('binary', { rotation: 'itq' })), /^binary · kmeans · rotation=itq$/);
});

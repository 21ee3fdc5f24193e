// The spec grammar (src/core/spec.ts) and the quantizer specs built on it (src/quant/registry.ts):
// every registered quantizer's canonical label parses back to the same configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { typeOf, type ParamSpec, type ParamValue } from '../../src/core/params.js';
import { splitSpec, specLabel } from '../../src/core/spec.js';
import {
  QUANTIZERS, QUANTIZER_IDS, createQuantizer, parseQuantizerSpec, quantizerDescriptor, quantizerLabel,
} from '../../src/quant/registry.js';
import { inputError } from '../helpers/errors.js';

/** A valid value of `spec` other than its default. */
function another(spec: ParamSpec): ParamValue {
  if (typeOf(spec) === 'number') {
    const d = spec.default as number;
    // the smallest accepted value: min, or just above it when min itself is refused
    const lowest = spec.min === undefined ? undefined : spec.exclusiveMin ? spec.min + (spec.integer === false ? 0.5 : 1) : spec.min;
    return lowest !== undefined && lowest !== d ? lowest : d + 1;
  }
  if (typeOf(spec) === 'boolean') return !spec.default;
  return spec.choices!.find((c) => c !== spec.default)!;
}

/** The largest accepted value (the far end of the range). */
function largest(spec: ParamSpec): ParamValue {
  return typeOf(spec) === 'number' && spec.max !== undefined ? spec.max : another(spec);
}

for (const id of QUANTIZER_IDS) {
  const specs = QUANTIZERS[id].params;
  test(`${id}: parseQuantizerSpec(quantizerLabel(x)) equals x, for the defaults and non-default values`, () => {
    const defaults = parseQuantizerSpec(id);
    assert.deepEqual(Object.keys(defaults.params), Object.keys(specs), 'every parameter, canonical names');
    for (const [k, s] of Object.entries(specs)) assert.equal(defaults.params[k], s.default);
    const configs: Record<string, ParamValue>[] = [defaults.params];
    for (const [k, s] of Object.entries(specs)) configs.push({ ...defaults.params, [k]: another(s) }, { ...defaults.params, [k]: largest(s) });
    configs.push(Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, another(s)])));
    for (const params of configs) {
      const label = quantizerLabel(id, params);
      assert.match(label, new RegExp(`^${id}:`));
      assert.deepEqual(parseQuantizerSpec(label), { id, params }, label);
      assert.equal(quantizerLabel(id, parseQuantizerSpec(label).params), label);
    }
  });

  test(`${id}: an unknown parameter is refused with the method's parameter list`, async () => {
    await inputError(() => parseQuantizerSpec(`${id}:bogus=1`, '--quantizer'), new RegExp(`^--quantizer: ${id} has no parameter 'bogus'; its parameters: ${Object.keys(specs).join(', ')}\\.$`));
  });
}

test('canonical labels: every parameter, canonical names, declaration order', () => {
  assert.equal(quantizerLabel('pq', { m: 12, nbits: 8 }), 'pq:m=12,nbits=8');
  assert.equal(quantizerLabel('pq'), 'pq:m=4,nbits=8');
  assert.equal(quantizerLabel('rvq', { books: 12 }), 'rvq:books=12,size=256,beam=5');
  assert.equal(quantizerLabel('avq'), 'avq:books=4,size=256,beam=1');
  assert.equal(quantizerLabel('wrvq', { weights: 'gain' }), 'wrvq:books=4,size=256,weights=gain,weightBits=16');
  assert.equal(quantizerLabel('pq', { books: 12, size: 256 }), 'pq:m=12,nbits=8', 'aliases resolve before labelling');
});

test('PQ answers to books/size as aliases of m/nbits; the other quantizers to m/nbits', async () => {
  assert.deepEqual(parseQuantizerSpec('pq:books=12,size=256'), { id: 'pq', params: { m: 12, nbits: 8 } });
  assert.deepEqual(parseQuantizerSpec('pq:m=12,nbits=8'), parseQuantizerSpec('pq:books=12,size=256'));
  assert.deepEqual(parseQuantizerSpec('rvq:m=8,nbits=4'), { id: 'rvq', params: { books: 8, size: 16, beam: 5 } });
  assert.deepEqual(parseQuantizerSpec('pq:books=12,m=12'), { id: 'pq', params: { m: 12, nbits: 8 } }, 'the same value twice is fine');
  await inputError(() => parseQuantizerSpec('pq:size=100'), /^--size: pq parameter 'size' must be a power of two from 2 to 65536 \(codewords per codebook, size = 2\^nbits\), got '100'\.$/);
  await inputError(() => parseQuantizerSpec('pq:size=131072'), /power of two from 2 to 65536/);
  await inputError(() => parseQuantizerSpec('rvq:nbits=17'), /--nbits: rvq parameter 'nbits' must be an integer from 1 to 16/);
  await inputError(() => parseQuantizerSpec('pq:books=12,m=8'), /'m' is given twice, as books = 12 and as m = '8'/);
  // the quantizer built from aliases is the one built from canonical names
  const a = createQuantizer('pq', { books: 12, size: 256 }), b = createQuantizer('pq', { m: 12, nbits: 8 });
  assert.equal(a.books, 12);
  assert.equal(a.size, 256);
  assert.equal(a.bitsPerVector, b.bitsPerVector);
});

test('ranges: every bound is checked, in one sentence naming the parameter', async () => {
  await inputError(() => parseQuantizerSpec('pq:m=0'), /--m: pq parameter 'm' must be an integer from 1 to 256, got '0'\./);
  await inputError(() => parseQuantizerSpec('pq:m=1.5'), /must be an integer from 1 to 256/);
  await inputError(() => parseQuantizerSpec('rvq:size=1'), /--size: rvq parameter 'size' must be an integer from 2 to 65536/);
  await inputError(() => parseQuantizerSpec('rvq:books=65'), /--books: rvq parameter 'books' must be an integer from 1 to 64/);
  await inputError(() => parseQuantizerSpec('avq:beam=0'), /--beam: avq parameter 'beam' must be an integer from 1 to 64/);
  await inputError(() => parseQuantizerSpec('wrvq:weights=gian'), /must be one of 'paper', 'gain', got 'gian'; did you mean 'gain'\?$/);
  await inputError(() => createQuantizer('rvq', { beam: -1 }), /--beam: rvq parameter 'beam'/);
  await inputError(() => createQuantizer('pq', { weights: 'gain' }), /unknown pq parameter 'weights'; known: m, nbits/);
});

test('an unknown quantizer id names the flag or field and suggests the nearest id', async () => {
  await inputError(() => parseQuantizerSpec('pqq:m=1', '--quantizer'), new RegExp(`^--quantizer: unknown quantizer 'pqq'; did you mean 'pq'\\?; known: ${QUANTIZER_IDS.join(', ')}\\.$`));
  await inputError(() => quantizerDescriptor('wrqv', '--method'), /^--method: unknown quantizer 'wrqv'; did you mean 'wrvq'/);
});

test('grammar: quotes, a piece without =, trailing comma, empty value or item, the id(a=1) form', async () => {
  assert.deepEqual(splitSpec('wrvq:weights="gain",books=2', '--q'), { id: 'wrvq', params: [['weights', 'gain'], ['books', '2']] });
  assert.deepEqual(splitSpec("wrvq:weights='gain'", '--q'), { id: 'wrvq', params: [['weights', 'gain']] });
  assert.deepEqual(splitSpec('faiss:factory="IVF1024,PQ50",nprobe=16', '--q').params, [['factory', 'IVF1024,PQ50'], ['nprobe', '16']]);
  // a piece without '=' continues the previous value (a factory string's comma)
  assert.deepEqual(splitSpec('faiss:factory=IVF1024,PQ50np,nprobe=16', '--q').params, [['factory', 'IVF1024,PQ50np'], ['nprobe', '16']]);
  assert.deepEqual(splitSpec(' rvq : beam=2 , books=3 ', '--q'), { id: 'rvq', params: [['beam', '2'], ['books', '3']] });
  assert.deepEqual(parseQuantizerSpec('rvq(books=8,beam=2)'), { id: 'rvq', params: { books: 8, size: 256, beam: 2 } });
  assert.deepEqual(parseQuantizerSpec('wrvq:weights="gain"'), { id: 'wrvq', params: { books: 4, size: 256, weights: 'gain', weightBits: 16 } });
  assert.deepEqual(splitSpec('wrvq', '--q'), { id: 'wrvq', params: [] });
  await inputError(() => splitSpec('wrvq:books', '--q'), /^--q: 'books' in 'wrvq:books' is not name=value\.$/);
  await inputError(() => splitSpec('wrvq:books=2,', '--q'), /'wrvq:books=2,' ends with a comma/);
  await inputError(() => splitSpec('wrvq:books=', '--q'), /books has no value in 'wrvq:books='/);
  await inputError(() => splitSpec('wrvq:books=2,,size=4', '--q'), /empty item/);
  await inputError(() => splitSpec('wrvq:weights="gain', '--q'), /unclosed quote/);
  await inputError(() => splitSpec(':m=1', '--q'), /does not start with a method name/);
  await inputError(() => parseQuantizerSpec('wrvq:books=2,books=3'), /books is given twice in wrvq/);
  await inputError(() => parseQuantizerSpec('wrvq:books=2,3'), /'books' must be an integer from 1 to 64, got '2,3'/);
});

test('specLabel quotes a value only when it would not read back otherwise', () => {
  const specs = { factory: { default: 'Flat', describe: 'factory string' }, nprobe: { default: 1, describe: 'lists probed' } } as const;
  const label = specLabel('faiss', [[specs, { factory: 'IVF1024,PQ50', nprobe: 16 }]]);
  assert.equal(label, 'faiss:factory=IVF1024,PQ50,nprobe=16');
  assert.deepEqual(splitSpec(label, '--q').params, [['factory', 'IVF1024,PQ50'], ['nprobe', '16']]);
  const odd = specLabel('x', [[specs, { factory: 'a=b', nprobe: 2 }]]);
  assert.equal(odd, 'x:factory="a=b",nprobe=2');
  assert.deepEqual(splitSpec(odd, '--q').params, [['factory', 'a=b'], ['nprobe', '2']]);
  assert.equal(specLabel('flat', [[specs, null]]), 'flat');
});

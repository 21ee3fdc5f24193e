// Seeded fuzzing of the vector loaders, one test each: .npy, .fvecs, .bvecs, .ivecs (a TEXMEX
// folder's ground truth) and ann-benchmarks .hdf5 (test/fuzz/targets.ts). VQBENCH_FUZZ_CASES sets
// the cases per loader; `npm run bench:fuzz` runs many more.
import { fuzzTest } from './register.js';
import { bvecsTarget, fvecsTarget, hdf5Target, ivecsTarget, npyTarget } from './targets.js';

fuzzTest(npyTarget, 300);
fuzzTest(fvecsTarget, 200);
fuzzTest(bvecsTarget, 200);
fuzzTest(ivecsTarget, 200);
fuzzTest(hdf5Target, 30);

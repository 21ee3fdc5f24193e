// Seeded fuzzing of the text-task loaders and task files, one test each: MTEB-style JSONL task
// folders, BEIR and MS MARCO folders, tasks/*.json (test/fuzz/targets.ts). VQBENCH_FUZZ_CASES sets the cases per
// loader; `npm run bench:fuzz` runs many more.
import { fuzzTest } from './register.js';
import { beirTarget, jsonlTarget, msmarcoTarget, taskTarget } from './targets.js';

fuzzTest(jsonlTarget, 100);
fuzzTest(beirTarget, 80);
fuzzTest(msmarcoTarget, 50);
fuzzTest(taskTarget, 150);

// Prints the BLAS behind libblas.so.3 (src/core/blas.ts): one line, or the details with --json.
// CLI: node --import tsx scripts/blas-info.ts [--json]   (npm run blas-info)
import { blasDetails, blasInfo } from '../src/core/blas.js';

console.log(process.argv.includes('--json') ? JSON.stringify(blasDetails(), null, 2) : blasInfo());

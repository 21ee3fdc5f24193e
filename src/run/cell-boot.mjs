// Registers tsx in a cell's child process so that it can load the TypeScript sources (the runner
// forks this file when it runs from src/; from dist/ it forks dist/run/cell.js directly).
import { register } from 'tsx/esm/api';
register();
await import('./cell.ts');

// Registers tsx inside a worker thread so that it can load the TypeScript kernel module.
import { register } from 'tsx/esm/api';
register();
await import('./kernel-worker.ts');

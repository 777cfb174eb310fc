// The worker's entry: registers tsx's loader in this thread (Node 20 does not carry
// a parent's loader hooks into a worker reliably), then runs the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');

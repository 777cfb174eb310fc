/** `#backend` under the "node" condition. */
export { nodeBackend as backend } from './node-backend.ts';

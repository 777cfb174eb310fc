/** `#backend` everywhere else (browsers). */
export { pureBackend as backend } from './pure-backend.ts';

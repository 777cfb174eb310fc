import { runBackendVectors } from './backend-vectors.ts';
import { pureBackend } from './pure-backend.ts';

runBackendVectors(pureBackend);

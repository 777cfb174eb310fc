import { runClientStoreCompliance } from './compliance.ts';
import { MemoryClientStore } from './memory-store.ts';

runClientStoreCompliance('MemoryClientStore', { open: async () => new MemoryClientStore() });

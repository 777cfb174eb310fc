import { runStoreCompliance } from './store-compliance.ts';
import { InMemoryProtocolStore } from './stores.ts';

runStoreCompliance('InMemoryProtocolStore', async (identity, registrationId) => new InMemoryProtocolStore(identity, registrationId));

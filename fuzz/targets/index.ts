// Every fuzz target, in the order the runner visits them. Re-exports only.
import type { Target } from '../lib/target.ts';
import { clientTargets } from './client.ts';
import { protocolTargets } from './protocol.ts';
import { serverSocketTargets } from './server.ts';
import { clientWireTargets, serverTargets } from './wire.ts';

export const TARGETS: readonly Target[] = [...serverTargets, ...serverSocketTargets, ...clientWireTargets, ...clientTargets, ...protocolTargets];

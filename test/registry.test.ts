/** The registry contract (lib/testing/contract/registry.ts), run against MemoryRegistry and NatsRegistry (real nats-server) alike. */
import { registryContract } from '../lib/testing/contract';
import { worlds } from './registry-support';

for (const { kind, create } of worlds) registryContract(kind, create);

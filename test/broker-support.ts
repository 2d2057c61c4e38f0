/** The brokers the contract suite (lib/testing/contract/broker.ts) runs against here, and its helpers. */
import type { BrokerImpl } from '../lib/testing/contract/broker';
import { MemoryBroker, MemoryBus } from '../lib/broker/memory';
import { NatsBroker } from '../lib/broker/nats';
import { natsUrl } from './support/nats';

export function brokerImpls(): BrokerImpl[] {
  const bus = new MemoryBus('contract');
  return [
    { name: 'nats', make: (o) => new NatsBroker({ servers: natsUrl(), ...o }), connectedAddress: () => natsUrl(), unconnectedAddress: () => natsUrl() },
    { name: 'memory', make: (o) => new MemoryBroker({ bus, ...o }), connectedAddress: () => 'memory://contract' },
  ];
}

export { bytes, gate, msg, record, text, type BrokerImpl, type Recorder } from '../lib/testing/contract/broker';

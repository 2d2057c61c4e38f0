/** The brokers the contract suite (lib/testing/contract/broker.ts) runs against here, and its helpers. */
import type { BrokerImpl } from '../lib/testing/contract/broker';
import { MemoryBroker, MemoryBus } from '../lib/broker/memory';
import { JetStreamBroker } from '../lib/broker/jetstream';
import { NatsBroker } from '../lib/broker/nats';
import { natsUrl } from './support/nats';

export function brokerImpls(): BrokerImpl[] {
  const bus = new MemoryBus('contract');
  return [
    { name: 'nats', make: (o) => new NatsBroker({ servers: natsUrl(), ...o }), connectedAddress: () => natsUrl(), unconnectedAddress: () => natsUrl() },
    // An in-memory stream of its own on the run's JetStream-enabled server; a stored publish waits for its ack.
    { name: 'jetstream', burst: 10_000, pulled: true, connectedAddress: () => natsUrl(), unconnectedAddress: () => natsUrl(),
      make: (o) => new JetStreamBroker({ servers: natsUrl(), jetstream: { stream: { name: 'CONTRACT', storage: 'memory' } }, ...o }) },
    { name: 'memory', make: (o) => new MemoryBroker({ bus, ...o }), connectedAddress: () => 'memory://contract' },
  ];
}

export { bytes, gate, msg, record, text, type BrokerImpl, type Recorder } from '../lib/testing/contract/broker';

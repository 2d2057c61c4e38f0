/** Helpers of the broker contract suite (test/broker.test.ts). */
import type { Broker, BrokerOptions, Event, SubscribeOptions, Subscriber } from '../lib/broker/index';
import { MemoryBroker, MemoryBus } from '../lib/broker/memory';
import { JetStreamBroker } from '../lib/broker/jetstream';
import { NatsBroker } from '../lib/broker/nats';
import { natsUrl } from './support/nats';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Makes brokers of one implementation that all see each other (one NATS server, or one memory bus). */
export interface BrokerImpl {
  name: 'nats' | 'memory' | 'jetstream';
  make(opts?: BrokerOptions): Broker;
  /** Stores events (JetStream): a publish waits for the store, so bursts are smaller. */
  persistent?: boolean;
  /** address() of a connected broker. */
  connectedAddress(): string;
}

export function brokerImpls(): BrokerImpl[] {
  const bus = new MemoryBus('contract');
  return [
    { name: 'nats', make: (o) => new NatsBroker({ servers: natsUrl(), ...o }), connectedAddress: () => natsUrl() },
    // An in-memory stream of its own on the run's JetStream-enabled server.
    { name: 'jetstream', persistent: true, connectedAddress: () => natsUrl(),
      make: (o) => new JetStreamBroker({ servers: natsUrl(), jetstream: { stream: { name: 'CONTRACT', storage: 'memory' } }, ...o }) },
    { name: 'memory', make: (o) => new MemoryBroker({ bus, ...o }), connectedAddress: () => 'memory://contract' },
  ];
}

export const bytes = (s: string) => enc.encode(s);
export const text = (e: Event) => dec.decode(e.message().body);
export const msg = (body: string, header: Record<string, string> = {}) => ({ header, body: bytes(body) });

/** A subscription that records what it receives. */
export interface Recorder { events: Event[]; bodies: string[]; sub: Subscriber }

export async function record(b: Broker, topic: string, opts?: SubscribeOptions): Promise<Recorder> {
  const events: Event[] = [];
  const bodies: string[] = [];
  const sub = await b.subscribe(topic, (e) => { events.push(e); bodies.push(text(e)); }, opts);
  return { events, bodies, sub };
}

/** A promise with its resolve function, to hold a handler until the test lets it go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => { open = r; });
  return { promise, open };
}

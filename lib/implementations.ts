/**
 * The implementations of each component kind that can be chosen by name (`transport: 'memory'`,
 * `--broker=nats`): one table per kind, name -> constructor. Configuration accepts exactly the names of
 * each table, so adding an implementation to one kind is one line here (and its file).
 */
import type { Broker, ErrorHandler } from './broker';
import type * as JetStreamModule from './broker/jetstream';
import type { JetStreamSettings } from './broker/jetstream-options';
import { MemoryBroker, MemoryBus } from './broker/memory';
import { NatsBroker } from './broker/nats';
import type { NatsConnector } from './nats/connection';
import type { Registry } from './registry';
import { MemoryRegistry, MemoryRegistryStore } from './registry/memory';
import { withServiceApi } from './registry/adr32';
import { NatsRegistry } from './registry/nats';
import type { Transport } from './transport';
import { MemoryNetwork, MemoryTransport } from './transport/memory';
import { NatsTransport } from './transport/nats';

/** What memory implementations share so that several apps in one process see each other. */
export interface MemoryWorld {
  /** Where memory transports listen and dial. */
  network: MemoryNetwork;
  /** Where memory brokers publish and subscribe. */
  bus: MemoryBus;
  /** What memory registries register in and look up. */
  store: MemoryRegistryStore;
}

/** Creates a fresh memory world (one per test, never global). */
export function memoryWorld(): MemoryWorld {
  return { network: new MemoryNetwork(), bus: new MemoryBus(), store: new MemoryRegistryStore() };
}

/** What a constructor in a table gets. */
export interface BuildInput {
  /** The NATS connection for this component, shared with components on the same servers (opened on first use). */
  connector(): NatsConnector;
  /** The memory world of this app. */
  world: MemoryWorld;
  /** Receives events whose subscriber failed (brokers). */
  errorHandler?: ErrorHandler;
  /** Heartbeat interval of registrations in ms (registries). */
  registerInterval?: number;
  /** How long a lookup gathers answers in ms (NATS registry). */
  registryTimeout?: number;
  /** Subject prefixes of the NATS registry. */
  registrySubjects?: readonly string[];
  /** Discover NATS Service API services too, under this control prefix (NATS registries); undefined: off. */
  serviceApi?: { prefix?: string };
  /** Stream, dead-letter and delivery settings (the JetStream broker). */
  jetstream?: JetStreamSettings;
  /** Prefix of node addresses and queue group of listen subscriptions (NATS transports). */
  addressPrefix?: string;
  queueGroup?: string;
}

/** Transports by name. */
export const TRANSPORTS = {
  nats: (b: BuildInput): Transport => new NatsTransport({ connector: b.connector(), addressPrefix: b.addressPrefix, queueGroup: b.queueGroup }),
  memory: (b: BuildInput): Transport => new MemoryTransport({ network: b.world.network }),
} as const;

/** Brokers by name. */
export const BROKERS = {
  nats: (b: BuildInput): Broker => new NatsBroker({ connector: b.connector(), errorHandler: b.errorHandler }),
  memory: (b: BuildInput): Broker => new MemoryBroker({ bus: b.world.bus, errorHandler: b.errorHandler }),
  jetstream: (b: BuildInput): Broker => {
    // Loaded on first use: @nats-io/jetstream costs a plain service's idle memory otherwise.
    const { JetStreamBroker } = require('./broker/jetstream') as typeof JetStreamModule;
    return new JetStreamBroker({ connector: b.connector(), errorHandler: b.errorHandler, jetstream: b.jetstream });
  },
} as const;

/** Registries by name (each is wrapped in a cache by the component builder). */
export const REGISTRIES = {
  nats: (b: BuildInput): Registry => withServiceApi(new NatsRegistry({ connector: b.connector(), registerInterval: b.registerInterval, timeout: b.registryTimeout, subjects: b.registrySubjects }),
    b.serviceApi ? b.connector() : undefined, b.serviceApi?.prefix),
  memory: (b: BuildInput): Registry => new MemoryRegistry({ store: b.world.store, registerInterval: b.registerInterval }),
} as const;

/** A transport that can be chosen by name. */
export type TransportName = keyof typeof TRANSPORTS;
/** A broker that can be chosen by name. */
export type BrokerName = keyof typeof BROKERS;
/** A registry that can be chosen by name. */
export type RegistryName = keyof typeof REGISTRIES;

/** The names each kind accepts, derived from the tables: what configuration validates against. */
export const COMPONENT_NAMES = Object.freeze({
  transport: Object.freeze(Object.keys(TRANSPORTS)) as readonly TransportName[],
  broker: Object.freeze(Object.keys(BROKERS)) as readonly BrokerName[],
  registry: Object.freeze(Object.keys(REGISTRIES)) as readonly RegistryName[],
});

/** A component kind chosen by name. */
export type ComponentKind = keyof typeof COMPONENT_NAMES;

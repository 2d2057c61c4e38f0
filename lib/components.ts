/**
 * Builds the transport, broker, registry (behind a cache), selector, codecs and client an app runs on,
 * from names or instances. Components that point at the same NATS servers share one connection.
 * Defaults are chosen here and in config, nowhere else.
 */
import type { ConnectionOptions } from '@nats-io/transport-node';
import type { Broker, ErrorHandler } from './broker';
import { MemoryBroker, MemoryBus } from './broker/memory';
import { JetStreamBroker } from './broker/jetstream';
import type { JetStreamSettings } from './broker/jetstream-options';
import { NatsBroker } from './broker/nats';
import { Codecs } from './codec';
import { JsonCodec } from './codec/json';
import { MsgpackCodec } from './codec/msgpack';
import { RpcClient } from './client/rpc';
import { NatsConnector } from './nats/connection';
import { parseServers, serversKey } from './nats/servers';
import type { Registry } from './registry';
import { CachedRegistry } from './registry/cache';
import { MemoryRegistry, MemoryRegistryStore } from './registry/memory';
import { NatsRegistry } from './registry/nats';
import type { Selector, Strategy } from './selector';
import { RegistrySelector } from './selector/registry';
import { RpcServer, type RpcServerOptions } from './server/rpc';
import { Adr32Adapter } from './server/adr32';
import { Adr32Caller } from './client/adr32';
import { withServiceApi } from './registry/adr32';
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

/** Options of {@link buildComponents}. */
export interface ComponentOptions {
  /** A name, or an instance to use as is (never closed here). Default `'nats'`. */
  transport?: 'nats' | 'memory' | Transport;
  /** A name, or an instance to use as is (never disconnected here). Default `'nats'`. */
  broker?: 'nats' | 'memory' | 'jetstream' | Broker;
  /** Stream and delivery settings of the `'jetstream'` broker. Default: see JetStreamBroker. */
  jetstream?: JetStreamSettings;
  /** A name, or an instance (wrapped in a cache unless it is one; never closed here). Default `'nats'`. */
  registry?: 'nats' | 'memory' | Registry;
  /** NATS servers for all three unless a per-component address is given. Default `nats://127.0.0.1:4222`. */
  address?: string | string[];
  /** NATS servers of the transport. Default `address`. */
  transportAddress?: string | string[];
  /** NATS servers of the broker. Default `address`. */
  brokerAddress?: string | string[];
  /** NATS servers of the registry. Default `address`. */
  registryAddress?: string | string[];
  /** nats.js connection options (auth, TLS, reconnect) for every connection opened. */
  nats?: Partial<ConnectionOptions>;
  /** Cache drops nodes not heard from in this many ms. Default 60 000. */
  registerTtl?: number;
  /** Heartbeat interval of registrations in ms. Default 30 000. */
  registerInterval?: number;
  /** How the client picks among a service's nodes. Default `'random'`. */
  selector?: Strategy;
  /** The client's per-call budget in ms (default 5 000) and retries after a failed attempt (default 1). */
  client?: { timeout?: number; retries?: number };
  /** Receives events whose subscriber failed (threw, or its DTO was invalid). Default: log. */
  errorHandler?: ErrorHandler;
  /** Shared memory implementations; default a world of its own. */
  memory?: MemoryWorld;
  /**
   * The NATS Service API (ADR-32): servers on the NATS transport serve it too, and the NATS registry finds
   * its services. Default `{ enabled: true, prefix: '$SRV' }`; memory components never speak it.
   */
  adr32?: { enabled: boolean; prefix?: string };
}

/** What a server is given besides the components: its identity, and how it is served on the NATS Service API. */
export type ServerOptions = Pick<RpcServerOptions, 'name' | 'version' | 'metadata' | 'id' | 'address' | 'logger' | 'description'>
  & { natsService?: { group?: string; queue?: string } };

/** The built components. */
export interface Components {
  /** The transport RPC requests travel on. */
  transport: Transport;
  /** The broker behind `publish` and subscribers. */
  broker: Broker;
  /** The registry in use (cached lookups). */
  registry: Registry;
  /** Picks the node of a service each call goes to, from the cached registry. */
  selector: Selector;
  /** JSON (the default) and msgpack, shared by the client and every server. */
  codecs: Codecs;
  /** Calls, streams and publishes on these components. */
  client: RpcClient;
  /** A server on these components; stopped by `close()`. */
  server(opts: ServerOptions): RpcServer;
  /** Stops servers, then releases the client and the components it created (not instances passed in). Idempotent. */
  close(): Promise<void>;
}

/**
 * Builds the components; NATS connections open on first use, so an unreachable server fails the first
 * call or start (503), not this. Throws on a malformed NATS address or an invalid option value.
 */
export function buildComponents(o: ComponentOptions = {}): Components {
  const connectors = new Map<string, NatsConnector>();
  const connector = (addr: string | string[] | undefined) => {
    const servers = parseServers(addr ?? o.address);
    const key = serversKey(servers);
    let c = connectors.get(key);
    if (!c) connectors.set(key, (c = new NatsConnector({ servers, nats: o.nats })));
    return c;
  };
  const world = o.memory ?? memoryWorld();
  const transport = typeof o.transport === 'object' ? o.transport
    : o.transport === 'memory' ? new MemoryTransport({ network: world.network })
    : new NatsTransport({ connector: connector(o.transportAddress) });
  const broker = typeof o.broker === 'object' ? o.broker
    : o.broker === 'memory' ? new MemoryBroker({ bus: world.bus, errorHandler: o.errorHandler })
    : o.broker === 'jetstream' ? new JetStreamBroker({ connector: connector(o.brokerAddress), errorHandler: o.errorHandler, jetstream: o.jetstream })
    : new NatsBroker({ connector: connector(o.brokerAddress), errorHandler: o.errorHandler });
  const adr32 = o.adr32?.enabled ?? true;
  const prefix = o.adr32?.prefix;
  const natsRegistry = typeof o.registry !== 'object' && o.registry !== 'memory';
  const raw = typeof o.registry === 'object' ? o.registry
    : o.registry === 'memory' ? new MemoryRegistry({ store: world.store, registerInterval: o.registerInterval })
    : withServiceApi(new NatsRegistry({ connector: connector(o.registryAddress), registerInterval: o.registerInterval }),
      adr32 ? connector(o.registryAddress) : undefined, prefix);
  const registry = raw instanceof CachedRegistry ? raw : new CachedRegistry(raw, { registerTtl: o.registerTtl });
  const selector = new RegistrySelector({ registry, strategy: o.selector });
  const codecs = new Codecs([new JsonCodec(), new MsgpackCodec()]);
  const caller = adr32 && natsRegistry ? new Adr32Caller(connector(o.registryAddress), registry, codecs) : undefined;
  const client = new RpcClient({ transport, selector, broker, registry, codecs, timeout: o.client?.timeout, retries: o.client?.retries,
    adr32: caller });
  const servers: RpcServer[] = [];
  let closed: Promise<void> | undefined;

  const close = async () => {
    for (const s of servers) await s.stop();
    await client.close();
    await caller?.close();
    if (typeof o.broker !== 'object') await broker.disconnect();
    await selector.close();
    await registry.close();
    if (raw !== registry && typeof o.registry !== 'object') await raw.close();
    if (typeof o.transport !== 'object') await transport.close();
  };
  return {
    transport, broker, registry, selector, codecs, client,
    server: ({ natsService, ...opts }) => {
      const adapters = adr32 && typeof o.transport !== 'object' && o.transport !== 'memory'
        ? [new Adr32Adapter({ connector: connector(o.transportAddress), prefix, ...natsService })] : [];
      const s = new RpcServer({ ...opts, transport, broker, registry, codecs, registerTtl: o.registerTtl, adapters });
      servers.push(s);
      return s;
    },
    close: () => (closed ??= close()),
  };
}

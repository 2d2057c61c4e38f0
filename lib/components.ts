/**
 * Builds the transport, broker, registry (behind a cache), selector, codecs and client an app runs on,
 * from names or instances. Components that point at the same NATS servers share one connection.
 * Defaults are chosen here and in config, nowhere else.
 */
import type { ConnectionOptions } from '@nats-io/transport-node';
import type { Broker, ErrorHandler } from './broker';
import type { JetStreamSettings } from './broker/jetstream-options';
import { Codecs } from './codec';
import { DEFAULT_ADR32, DEFAULT_COMPONENT, DEFAULT_STOP_GRACE } from './config/defaults';
import { ConfigError } from './errors';
import { JsonCodec } from './codec/json';
import { MsgpackCodec } from './codec/msgpack';
import { RpcClient } from './client/rpc';
import { BROKERS, memoryWorld, REGISTRIES, TRANSPORTS, type BrokerName, type BuildInput, type MemoryWorld, type RegistryName,
  type TransportName } from './implementations';
import { NatsConnector } from './nats/connection';
import { parseServers, redact, serversKey } from './nats/servers';
import { silentLogger, type Logger } from './logger';
import { isNodeCache, type Registry } from './registry';
import { CachedRegistry } from './registry/cache';
import type { Selector, Strategy } from './selector';
import { RegistrySelector, type OutlierOptions } from './selector/registry';
import { RpcServer, type RpcServerOptions } from './server/rpc';
import { Adr32Adapter } from './server/adr32';
import { Adr32Caller } from './client/adr32';
import type { Transport } from './transport';

export { memoryWorld, type MemoryWorld } from './implementations';

/** Options of {@link buildComponents}. */
export interface ComponentOptions {
  /** A name, or an instance to use as is (never closed here). Default `'nats'`. */
  transport?: TransportName | Transport;
  /** A name, or an instance to use as is (never disconnected here). Default `'nats'`. */
  broker?: BrokerName | Broker;
  /** Stream, dead-letter and delivery settings of the `'jetstream'` broker. Default: see JetStreamBroker. */
  jetstream?: JetStreamSettings;
  /** A name, or an instance (wrapped in a cache unless it is one; never closed here). Default `'nats'`. */
  registry?: RegistryName | Registry;
  /** NATS servers for all three unless a per-component address is given. Default `nats://127.0.0.1:4222`. */
  address?: string | readonly string[];
  /** NATS servers of the transport. Default `address`. */
  transportAddress?: string | readonly string[];
  /** NATS servers of the broker. Default `address`. */
  brokerAddress?: string | readonly string[];
  /** NATS servers of the registry. Default `address`. */
  registryAddress?: string | readonly string[];
  /** nats.js connection options (auth, TLS, reconnect) for every connection opened. */
  nats?: Partial<ConnectionOptions>;
  /** Cache drops nodes not heard from in this many ms. Default 60 000. */
  registerTtl?: number;
  /** Heartbeat interval of registrations in ms. Default 30 000. */
  registerInterval?: number;
  /** How long a NATS registry lookup gathers answers, in ms. Default 100. */
  registryTimeout?: number;
  /** Registry subject prefixes of the NATS registry. Default `['micro.registry.nats', 'micro.nats']`. */
  registrySubjects?: readonly string[];
  /**
   * The client's per-call budget in ms (default 5 000), retries after a failed attempt (default 1) and how
   * it picks among a service's nodes (default `'random'`): the shape of the resolved `Config.client`.
   */
  client?: { timeout?: number; retries?: number; selector?: Strategy };
  /** Outlier ejection of the selector: nodes whose calls time out in a row are skipped for a while. Default 3 in a row, 10 s. */
  outlier?: OutlierOptions;
  /**
   * Grace period of `close()` in ms: servers drain and finish in-flight work, then published events are
   * flushed to NATS, all within it. Default 10 000.
   */
  stopGrace?: number;
  /** Receives events whose subscriber failed (threw, or its DTO was invalid). Default: log. */
  errorHandler?: ErrorHandler;
  /** Shared memory implementations; default a world of its own. */
  memory?: MemoryWorld;
  /**
   * The NATS Service API (ADR-32): servers on the NATS transport serve it too, and the NATS registry finds
   * its services. Default `{ enabled: true, prefix: '$SRV' }`; memory components never speak it.
   */
  adr32?: { enabled: boolean; prefix?: string };
  /** Prefix of every reply subject (nats.js `inboxPrefix`). Default `nats.inboxPrefix`, else `_INBOX`. */
  inboxPrefix?: string;
  /** Prefix of the node addresses NATS transports listen on. Default `_INBOX`. */
  addressPrefix?: string;
  /** Queue group of the NATS transports' listen subscriptions. Default `micro-nats`. */
  queueGroup?: string;
  /** Told about NATS connections (connected, disconnected, reconnected, closed) and waiting for NATS. Default: silent. */
  logger?: Logger;
  /** How long {@link Components.connect} waits for NATS, in ms. Default 0: one attempt. */
  connectTimeout?: number;
}

/** What a server is given besides the components: its identity, and how it is served on the NATS Service API. */
export type ServerOptions = Pick<RpcServerOptions, 'name' | 'version' | 'metadata' | 'id' | 'address' | 'logger' | 'description' | 'maxInflight'>
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
  /**
   * Opens every NATS connection these components use and holds it until `close()`, waiting up to
   * `connectTimeout` for a server that is not up yet (logged every few seconds). Rejects 503 after that.
   */
  connect(): Promise<void>;
  /** Stops servers, then releases the client and the components it created (not instances passed in). Idempotent. */
  close(): Promise<void>;
}

/**
 * Builds the components; NATS connections open on first use, so an unreachable server fails the first
 * call or start (503), not this. Throws on a malformed NATS address or an invalid option value.
 */
export function buildComponents(o: ComponentOptions = {}): Components {
  const connectors = new Map<string, NatsConnector>();
  const connector = (addr: string | readonly string[] | undefined) => {
    const servers = parseServers(addr ?? o.address);
    const key = serversKey(servers);
    let c = connectors.get(key);
    const nats = o.inboxPrefix === undefined ? o.nats : { ...o.nats, inboxPrefix: o.inboxPrefix };
    if (!c) {
      const log = o.logger;
      connectors.set(key, (c = new NatsConnector({ servers, nats, ...(log && { log: (m: string) => log.error(m) }) })));
      follow(c, o.logger ?? silentLogger);
    }
    return c;
  };
  const held: NatsConnector[] = [];
  const world = o.memory ?? memoryWorld();
  const adr32 = o.adr32?.enabled ?? DEFAULT_ADR32;
  const prefix = o.adr32?.prefix;
  // The connections of the transport and registry, when built by name on NATS (servers and callers use them).
  let transportConnector: NatsConnector | undefined;
  let registryConnector: NatsConnector | undefined;
  const input = (addr: string | readonly string[] | undefined, onConnector?: (c: NatsConnector) => void): BuildInput => ({
    connector: () => { const c = connector(addr); onConnector?.(c); return c; },
    world, errorHandler: o.errorHandler, registerInterval: o.registerInterval, registryTimeout: o.registryTimeout, registrySubjects: o.registrySubjects, serviceApi: adr32 ? { prefix } : undefined,
    jetstream: o.jetstream,
    addressPrefix: o.addressPrefix, queueGroup: o.queueGroup,
  });
  const transport = typeof o.transport === 'object' ? o.transport
    : pick(TRANSPORTS, 'transport', o.transport)(input(o.transportAddress, (c) => { transportConnector = c; }));
  const broker = typeof o.broker === 'object' ? o.broker : pick(BROKERS, 'broker', o.broker)(input(o.brokerAddress));
  const raw = typeof o.registry === 'object' ? o.registry
    : pick(REGISTRIES, 'registry', o.registry)(input(o.registryAddress, (c) => { registryConnector = c; }));
  const registry = isNodeCache(raw) ? raw : new CachedRegistry(raw, { registerTtl: o.registerTtl });
  const selector = new RegistrySelector({ registry, strategy: o.client?.selector, outlier: o.outlier });
  const codecs = new Codecs([new JsonCodec(), new MsgpackCodec()]);
  const caller = adr32 && registryConnector ? new Adr32Caller(registryConnector, registry, codecs) : undefined;
  const client = new RpcClient({ transport, selector, broker, registry, codecs, timeout: o.client?.timeout, retries: o.client?.retries,
    adr32: caller });
  const servers: RpcServer[] = [];
  let closed: Promise<void> | undefined;

  const close = async () => {
    const end = Date.now() + (o.stopGrace ?? DEFAULT_STOP_GRACE);
    await Promise.all(servers.map((s) => s.stop()));
    await client.close();
    await caller?.close();
    // What was published is flushed to NATS within what is left of the grace period (at least a moment).
    if (typeof o.broker !== 'object') await broker.disconnect({ timeout: Math.max(end - Date.now(), 100) });
    await selector.close();
    await registry.close();
    if (raw !== registry && typeof o.registry !== 'object') await raw.close();
    if (typeof o.transport !== 'object') await transport.close();
    for (const c of held.splice(0)) await c.release();
  };
  const connect = async () => {
    const wait = { timeout: o.connectTimeout ?? 0, logger: o.logger };
    await Promise.all([...connectors.values()].map(async (c) => { await c.acquire(wait); held.push(c); }));
  };
  return {
    transport, broker, registry, selector, codecs, client,
    server: ({ natsService, ...opts }) => {
      // Servers on a NATS transport serve the NATS Service API too, on the transport's connection.
      const adapters = adr32 && transportConnector
        ? [new Adr32Adapter({ connector: transportConnector, prefix, ...natsService })] : [];
      const s = new RpcServer({ ...opts, transport, broker, registry, codecs, registerTtl: o.registerTtl, adapters, stopGrace: o.stopGrace,
        connection: transportConnector });
      servers.push(s);
      return s;
    },
    connect,
    close: () => (closed ??= close()),
  };
}

/** Logs what happens to a connection (credentials never printed). */
function follow(c: NatsConnector, log: Logger): void {
  const nats = redact(c.servers.join(', '));
  c.on((e) => {
    const server = e.nc.getServer();
    if (e.type === 'up') log.info({ nats, server }, e.replaces ? 'NATS connection replaced' : 'connected to NATS');
    else if (e.type === 'down') log.warn({ nats, server }, 'NATS connection lost; reconnecting');
    else if (e.type === 'reconnected') log.info({ nats, server }, 'NATS reconnected');
    else log.error({ nats }, 'NATS connection closed for good; a new one opens on next use');
  });
}

/** The constructor of `name` (default {@link DEFAULT_COMPONENT}) in a kind's table; throws naming the accepted names. */
function pick<F>(table: Readonly<Record<string, F>>, kind: string, name: string = DEFAULT_COMPONENT): F {
  const make = Object.hasOwn(table, name) ? table[name] : undefined;
  if (!make) throw new ConfigError(kind, `${kind}: ${JSON.stringify(name)} is not one of ${Object.keys(table).join(', ')} or an instance`);
  return make;
}

/**
 * Registry: service discovery. A registrant registers a {@link Service} (name,
 * version, endpoints and the nodes that serve it); anyone can look services up by name, list them,
 * or watch registrations come and go.
 *
 * The shapes are go-micro's (`registry.Service`, `Node`, `Endpoint`, `Value`, `Result`), and so is
 * their JSON on the wire: lower-case keys in services, `{"Action":…,"Service":…}` around them.
 *
 * Errors are {@link MicroError}s: 400 invalid input, 404 {@link RegistryNotFoundError} (nobody holds
 * the name), 413 a registration larger than the transport allows, 503 {@link RegistryUnavailableError}
 * (NATS unreachable, registry closed). "Not found" and "unreachable" are never confused
 * (go-micro#4928 reported an outage as "not found").
 */
import { Codes, MicroError } from '../errors';

/** A request or response type of an endpoint, as a tree of named, typed fields (go-micro `registry.Value`). */
export interface Value {
  /** The field name (or the type name at the root). */
  name: string;
  /** The field's type, e.g. `string`, `int64`, `HelloRequest`. */
  type: string;
  /** Nested fields; absent (JSON `null`) for scalars. */
  values?: Value[];
}

/** One endpoint of a service, e.g. `Greeter.hello` (go-micro `registry.Endpoint`). */
export interface Endpoint {
  /** `Class.method` as go-micro names it. */
  name: string;
  /** The request type; absent (JSON `null`) when unknown. */
  request?: Value;
  /** The response type; absent (JSON `null`) when unknown. */
  response?: Value;
  /** Free-form string metadata (go-micro puts `stream`, `subscriber`, `topic` here). Default `{}`. */
  metadata: Record<string, string>;
}

/** One running instance of a service (go-micro `registry.Node`). */
export interface Node {
  /** Unique per instance, conventionally `<service>-<uuid>`. Nodes are merged and removed by id. */
  id: string;
  /** Where the instance listens: for the NATS transport, its `<addressPrefix>.<nuid>` subject (`_INBOX.<nuid>` by default). */
  address: string;
  /** Free-form string metadata (`transport`, `broker`, `server`, `registry`, `protocol`, …). Default `{}`. */
  metadata: Record<string, string>;
}

/** A service at one version with the nodes that serve it (go-micro `registry.Service`). */
export interface Service {
  /** The service name. `register` accepts `^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`; discovered names may be anything non-empty. */
  name: string;
  /** The version; `''` when none. Services of one name and different versions stay apart. */
  version: string;
  /** Free-form string metadata of the service. Default `{}`. */
  metadata: Record<string, string>;
  /** The endpoints the service handles. Default `[]`. */
  endpoints: Endpoint[];
  /** The instances. `register` needs at least one. */
  nodes: Node[];
}

/** What happened to a service, as a watcher reports it. */
export type Action = 'create' | 'update' | 'delete';

/**
 * One watch event (go-micro `registry.Result`, on the wire `{"Action":…,"Service":…}`).
 * `create`: a node registered; `update`: a node re-registered or re-announced itself (heartbeat, or its
 * NATS connection reconnected);
 * `delete`: the nodes in `service.nodes` deregistered (all nodes of that version when the list is empty).
 */
export interface Result {
  /** `create`, `update` or `delete`. */
  action: Action;
  /** The service concerned; for NATS, the nodes the announcing process holds (create/update) or removed (delete). */
  service: Service;
}

/** Options of {@link Registry.register}. */
export interface RegisterOptions {
  /**
   * Time to live in ms, accepted for go-micro parity (`RegisterTTL`). Neither registry expires its own
   * registrations (liveness on NATS is "the registrant answers queries"); caches drop a node whose last
   * announcement is older than their own `registerTtl`. Default: none.
   */
  ttl?: number;
}

/** Options of {@link Registry.watch}. */
export interface WatchOptions {
  /** Only report events of this service name. Default: every service. */
  service?: string;
}

/** A stream of {@link Result}s; also an async iterable (`for await (const r of watcher)`) that ends on `stop()`; leaving such a loop early stops the watcher. */
export interface Watcher extends AsyncIterable<Result> {
  /**
   * The next event, in arrival order; waits until one arrives. Rejects with {@link WatcherStoppedError}
   * after `stop()`, and with a 503 {@link RegistryUnavailableError} when the watch is lost (its NATS
   * connection closed). Events a watcher never consumes are kept up to 10 000, then the oldest are dropped.
   */
  next(): Promise<Result>;
  /** Stops watching; pending and later `next()` calls reject with {@link WatcherStoppedError}. Idempotent. */
  stop(): void;
}

/** Options common to registries. */
export interface RegistryOptions {
  /** Milliseconds a query collects answers (NATS). Default 100. */
  timeout?: number;
  /** Milliseconds between re-announcements (`update`) of every registered service (heartbeat). Default 30 000. */
  registerInterval?: number;
}

/** Service discovery, go-micro's `registry.Registry`. Implementations: `NatsRegistry`, `MemoryRegistry`, `CachedRegistry`. */
export interface Registry {
  /** Updates options before first use. Throws (plain Error naming the option) on an invalid value. */
  init(opts?: Partial<RegistryOptions>): void;
  /** A copy of the options in force. */
  options(): RegistryOptions;
  /**
   * Registers the nodes of `service` (merged by id with nodes already registered for that name and
   * version) and announces `create` (`update` when every node was already registered). Registered
   * services are re-announced every `registerInterval` until deregistered or the registry closes, and
   * (NATS) at once whenever the connection reconnects after a drop.
   * Rejects 400 for an invalid name, missing nodes or non-string metadata; 413 when the service's JSON
   * exceeds the largest message the transport carries (NATS `max_payload`); 503 when NATS is unreachable
   * or the registry is closed.
   */
  register(service: Service, opts?: RegisterOptions): Promise<void>;
  /**
   * Removes the nodes of `service` (all nodes of that name and version when `service.nodes` is empty)
   * and announces `delete`. Deregistering what is not registered does nothing locally but still
   * announces the nodes given, so caches elsewhere drop them. Rejects 503 when NATS is unreachable
   * (the nodes are removed locally all the same).
   */
  deregister(service: Service): Promise<void>;
  /**
   * Every version of `name` with its nodes. Rejects with {@link RegistryNotFoundError} (404) when no
   * node holds it, with {@link RegistryUnavailableError} (503) when NATS is unreachable, 400 for an empty name.
   */
  getService(name: string): Promise<Service[]>;
  /** Every service and version known, with their nodes, sorted by name and version; `[]` when none. Rejects 503 when NATS is unreachable. */
  listServices(): Promise<Service[]>;
  /** Starts watching registrations. Rejects 503 when NATS is unreachable or the registry is closed. */
  watch(opts?: WatchOptions): Promise<Watcher>;
  /**
   * Stops heartbeats, answers no more queries, stops this registry's watchers and releases its share of
   * the NATS connection. Does not deregister (to others it looks like a crash: fresh queries stop
   * seeing its nodes, caches drop them after their `registerTtl`). Later calls reject 503. Idempotent.
   */
  close(): Promise<void>;
  /** `'nats'` or `'memory'` (a cache answers its registry's name). */
  toString(): string;
}

/**
 * A registry that answers lookups from memory and can forget a node at once: what a selector needs
 * (`CachedRegistry` is one). A selector given any other registry puts a cache of its own in front.
 */
export interface NodeCache extends Registry {
  /** The services held in memory for `name`; undefined when only a query would tell. Never queries. */
  lookup(name: string): readonly Service[] | undefined;
  /** Forgets the nodes of `service` whose id or address is `node` at once; returns how many were removed. */
  evict(service: string, node: string): number;
}

/** True when `r` is a {@link NodeCache} (it has `lookup` and `evict`). */
export function isNodeCache(r: Registry): r is NodeCache {
  const c = r as Partial<NodeCache>;
  return typeof c.lookup === 'function' && typeof c.evict === 'function';
}

export { DEFAULT_QUERY_TOPIC, DEFAULT_REGISTER_INTERVAL, DEFAULT_REGISTER_TTL, DEFAULT_REGISTRY_SUBJECTS,
  DEFAULT_REGISTRY_TIMEOUT, DEFAULT_WATCH_TOPIC } from '../config/defaults';

/** No node holds the service (404). Its own type, so callers never mistake an outage for it. */
export class RegistryNotFoundError extends MicroError {
  /** The name looked up. */
  readonly service: string;
  constructor(service: string, detail = `service ${service} not found in the registry`) {
    super('micro.registry', Codes.NotFound, detail);
    this.name = 'RegistryNotFoundError';
    this.service = service;
  }
}

/** The registry cannot be reached (NATS down or disconnected) or was closed (503). */
export class RegistryUnavailableError extends MicroError {
  constructor(detail: string) {
    super('micro.registry', Codes.Unavailable, detail);
    this.name = 'RegistryUnavailableError';
  }
}

/** `next()` on a stopped watcher. */
export class WatcherStoppedError extends MicroError {
  constructor() {
    super('micro.registry', Codes.Unavailable, 'watcher stopped');
    this.name = 'WatcherStoppedError';
  }
}


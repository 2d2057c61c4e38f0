import type { ConnectionOptions, NatsConnection } from '@nats-io/transport-node';
import { MicroError } from '../errors';
import { NatsConnector } from '../nats/connection';
import { publish } from '../nats/message';
import { checkSubject } from '../nats/subject';
import {
  DEFAULT_QUERY_TOPIC, DEFAULT_REGISTER_INTERVAL, DEFAULT_REGISTRY_TIMEOUT, DEFAULT_WATCH_TOPIC, RegistryNotFoundError,
  RegistryUnavailableError, type Action, type RegisterOptions, type Registry, type RegistryOptions, type Service,
  type Watcher, type WatchOptions,
} from './index';
import { LocalServices } from './local';
import { flushWithin, RegistryConnection } from './nats-conn';
import { Querier } from './nats-query';
import { Responder } from './nats-responder';
import { natsWatch } from './nats-watcher';
import { checkLookupName, checkMs, checkOptions, checkService, checkSize, definedOnly, DEFAULT_MAX_PAYLOAD } from './check';
import { encodeJSON, getQuery, LIST_QUERY, parseService, toResult } from './wire';
import type { QueueWatcher } from './watcher';

/** Settings of a {@link NatsRegistry} that `init` may change. */
export interface NatsRegistrySettings extends RegistryOptions {
  /** Answers after which `getService` returns without waiting for `timeout`; 0 waits the whole timeout. Default 0. */
  quorum?: number;
  /** Subject of queries. Default `micro.registry.nats.query` (go-micro v2–v5; v6 uses `micro.nats.query`). */
  queryTopic?: string;
  /** Subject of watch events. Default `micro.registry.nats.watch`. */
  watchTopic?: string;
}

/** Options of {@link NatsRegistry}. */
export interface NatsRegistryOptions extends NatsRegistrySettings {
  /** NATS servers (string, comma-separated or list). Default `nats://127.0.0.1:4222`. Ignored with `connector`. */
  servers?: string | string[];
  /** nats.js connection options passed through (auth, TLS, reconnect). Ignored with `connector`. */
  nats?: Partial<ConnectionOptions>;
  /** A connection shared with other components (bootstrap passes one). Default: a connection of its own. */
  connector?: NatsConnector;
}

/** How long register, deregister and watch wait for the server to confirm (PING/PONG). */
const CONFIRM_TIMEOUT = 5_000;

/**
 * go-micro's NATS registry, wire-compatible: one responder
 * subscription on the query subject answers `get`/`list` with one service JSON per version held; lookups
 * are scatter-gather queries; register/deregister/heartbeats are announced on the watch subject.
 * Heartbeats announce `update`, and so does a reconnect (at once, not at the next heartbeat). The connection
 * is acquired on first use.
 */
export class NatsRegistry implements Registry {
  private opts: Required<NatsRegistrySettings>;
  private readonly conn: RegistryConnection;
  private readonly local = new LocalServices();
  private readonly querier: Querier;
  private readonly watchers = new Set<QueueWatcher>();
  private readonly responder = new Responder(this.local);
  private heartbeat?: NodeJS.Timeout;
  private closed = false;

  constructor(options: NatsRegistryOptions = {}) {
    checkSettings(options);
    this.opts = {
      timeout: options.timeout ?? DEFAULT_REGISTRY_TIMEOUT,
      registerInterval: options.registerInterval ?? DEFAULT_REGISTER_INTERVAL,
      quorum: options.quorum ?? 0,
      queryTopic: options.queryTopic ?? DEFAULT_QUERY_TOPIC,
      watchTopic: options.watchTopic ?? DEFAULT_WATCH_TOPIC,
    };
    const connector = options.connector ?? new NatsConnector({ servers: options.servers, nats: options.nats, name: 'micro-nats-registry' });
    this.conn = new RegistryConnection(connector, (nc) => this.fresh(nc), (nc) => this.reconnected(nc));
    this.querier = new Querier(this.conn);
  }

  /** Updates timeout, registerInterval, quorum and the topics. Throws naming an invalid option. */
  init(opts: Partial<NatsRegistrySettings> = {}): void {
    checkSettings(opts);
    this.opts = { ...this.opts, ...definedOnly(opts) };
    this.answer(this.conn.peek());
    if (this.heartbeat) { this.stopHeartbeat(); this.startHeartbeat(); }
  }

  options(): NatsRegistrySettings {
    return { ...this.opts };
  }

  async register(service: Service, _opts: RegisterOptions = {}): Promise<void> {
    const s = checkService(service);
    const nc = await this.conn.get();
    checkSize(s, nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD);
    if (!this.conn.connected) throw new RegistryUnavailableError(`register ${s.name}: NATS is disconnected`);
    const added = s.nodes.filter((n) => !this.local.holds(s.name, s.version, n.id));
    const action = this.local.add(s);
    const refusal = this.conn.noteRefusal(this.opts.watchTopic);
    try {
      this.answer(nc);
      this.announce(nc, action, s);
      await flushWithin(nc, CONFIRM_TIMEOUT, `register ${s.name}`);
      await this.responder.confirm();
      const refused = await refusal();
      if (refused) throw refused;
    } catch (err) {
      void refusal();
      if (added.length > 0) this.local.remove({ ...s, nodes: added });
      this.answer(nc);
      throw err;
    }
    this.startHeartbeat();
  }

  async deregister(service: Service): Promise<void> {
    if (this.closed) throw new RegistryUnavailableError('the NATS registry is closed');
    checkLookupName(service?.name);
    const removed = this.local.remove(service);
    if (this.local.size === 0) this.stopHeartbeat();
    const nc = await this.conn.get();
    this.answer(nc);
    const announced = removed ?? parseService(service);
    if (announced && announced.nodes.length > 0) this.announce(nc, 'delete', announced);
    if (!this.conn.connected) {
      throw new RegistryUnavailableError(`deregister ${service.name}: NATS is disconnected (removed here; the delete is sent on reconnect)`);
    }
    await flushWithin(nc, CONFIRM_TIMEOUT, `deregister ${service.name}`);
  }

  async getService(name: string): Promise<Service[]> {
    checkLookupName(name);
    const found = await this.querier.run(this.opts.queryTopic, getQuery(name), this.opts.timeout, this.opts.quorum);
    const own = found.filter((s) => s.name === name);
    if (own.length === 0) throw new RegistryNotFoundError(name);
    return own;
  }

  async listServices(): Promise<Service[]> {
    return this.querier.run(this.opts.queryTopic, LIST_QUERY, this.opts.timeout, 0);
  }

  async watch(opts: WatchOptions = {}): Promise<Watcher> {
    if (opts.service !== undefined) checkLookupName(opts.service, 'watch service');
    const nc = await this.conn.get();
    if (!this.conn.connected) throw new RegistryUnavailableError('registry cannot reach NATS: disconnected');
    const w = await natsWatch(nc, this.opts.watchTopic, opts.service, CONFIRM_TIMEOUT, (x) => this.watchers.delete(x));
    this.watchers.add(w);
    return w;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopHeartbeat();
    this.local.clear();
    this.answer(this.conn.peek());
    for (const w of [...this.watchers]) w.stop();
    this.querier.close(new RegistryUnavailableError('the NATS registry is closed'));
    await this.conn.close();
  }

  toString(): string {
    return 'nats';
  }

  /** A new connection (first, or after the last one closed): answer on it and re-announce what we hold. */
  private fresh(nc: NatsConnection): void {
    this.answer(nc);
    for (const s of this.local.versions()) this.announce(nc, 'update', s, true);
  }

  /**
   * The connection came back after a drop (the same server restarted, or nats.js moved to another node of
   * the cluster): re-announce every version held at once, rather than at the next heartbeat, so caches that
   * dropped our nodes meanwhile (a "no responders" evicts) take them back. nats.js has already resent our
   * subscriptions, so whoever acts on the announcement reaches us.
   */
  private reconnected(nc: NatsConnection): void {
    if (this.closed || this.local.size === 0) return;
    this.answer(nc);
    for (const s of this.local.versions()) this.announce(nc, 'update', s, true);
  }

  /** Keeps the responder subscribed on `nc` exactly while anything is held. */
  private answer(nc: NatsConnection | undefined): void {
    this.responder.sync(nc, this.opts.queryTopic, this.local.size > 0 && !this.closed);
  }

  private announce(nc: NatsConnection, action: Action, s: Service, quiet = false): void {
    try {
      publish(nc, this.opts.watchTopic, encodeJSON(toResult(action, s)), undefined);
    } catch (err) {
      if (quiet) return;
      throw err instanceof MicroError && err.code === 503 ? new RegistryUnavailableError(`registry: ${err.detail}`) : err;
    }
  }

  private startHeartbeat(): void {
    if (this.heartbeat || this.local.size === 0 || this.closed) return;
    this.heartbeat = setInterval(() => void this.beat(), Math.max(1, this.opts.registerInterval));
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /** Re-announces every version held as `update` (a connection that closed is replaced first). */
  private async beat(): Promise<void> {
    let nc: NatsConnection;
    try { nc = await this.conn.get(); } catch { return; /* NATS away: next tick */ }
    if (!this.conn.connected) return;
    for (const s of this.local.versions()) this.announce(nc, 'update', s, true);
  }
}

function checkSettings(o: Partial<NatsRegistrySettings>): void {
  checkOptions(o);
  checkMs('registry', 'quorum', o.quorum);
  if (o.queryTopic !== undefined) checkSubject(o.queryTopic, 'registry option queryTopic');
  if (o.watchTopic !== undefined) checkSubject(o.watchTopic, 'registry option watchTopic');
}

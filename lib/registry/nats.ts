import type { ConnectionOptions, NatsConnection } from '@nats-io/transport-node';
import { ConfigError, MicroError } from '../errors';
import { NatsConnector } from '../nats/connection';
import { publish } from '../nats/message';
import { checkSubject } from '../nats/subject';
import {
  DEFAULT_REGISTER_INTERVAL, DEFAULT_REGISTRY_SUBJECTS, DEFAULT_REGISTRY_TIMEOUT, RegistryNotFoundError,
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
  /**
   * Subject prefixes spoken: for each prefix P, queries are answered on and sent to `P.query`, and
   * registrations announced on and watched at `P.watch`; answers of all are merged (a node counted once).
   * Default `['micro.registry.nats', 'micro.nats']`: the go-micro nats registry plugins (v2–v5) and
   * go-micro.dev/v5.7+ / v6's built-in registry. One subscription per subject, whatever the services held.
   */
  subjects?: readonly string[];
  /** One query subject, instead of `subjects` (with `watchTopic`, a single custom pair). Options report the first pair's. */
  queryTopic?: string;
  /** One watch subject, instead of `subjects` (with `queryTopic`). */
  watchTopic?: string;
}

/** The subjects a registry speaks, resolved from its settings. */
interface Topics { query: readonly string[]; watch: readonly string[] }

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
  private topics: Topics;
  private readonly conn: RegistryConnection;
  private readonly local = new LocalServices();
  private readonly querier: Querier;
  private readonly watchers = new Set<QueueWatcher>();
  private readonly responder = new Responder(this.local);
  private heartbeat?: NodeJS.Timeout;
  private closed = false;

  constructor(options: NatsRegistryOptions = {}) {
    checkSettings(options);
    this.topics = topicsOf(options);
    this.opts = {
      timeout: options.timeout ?? DEFAULT_REGISTRY_TIMEOUT,
      registerInterval: options.registerInterval ?? DEFAULT_REGISTER_INTERVAL,
      quorum: options.quorum ?? 0,
      ...reported(this.topics, options.subjects),
    };
    const connector = options.connector ?? new NatsConnector({ servers: options.servers, nats: options.nats, name: 'micro-nats-registry' });
    this.conn = new RegistryConnection(connector, (nc) => this.fresh(nc), (nc) => this.reconnected(nc));
    this.querier = new Querier(this.conn);
  }

  /** Updates timeout, registerInterval, quorum and the topics. Throws naming an invalid option. */
  init(opts: Partial<NatsRegistrySettings> = {}): void {
    checkSettings(opts);
    if (opts.subjects || opts.queryTopic || opts.watchTopic) {
      const given = opts.subjects ? { subjects: opts.subjects } : { queryTopic: opts.queryTopic ?? this.topics.query[0], watchTopic: opts.watchTopic ?? this.topics.watch[0] };
      this.topics = topicsOf(given);
      opts = { ...opts, ...reported(this.topics, given.subjects) };
    }
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
    const refusals = this.topics.watch.map((t) => this.conn.noteRefusal(t));
    // Refused on every watch subject is a 403; on some only (permissions for one go-micro pair), the others carry it.
    const refusal = async () => { const r = await Promise.all(refusals.map((f) => f())); return r.every(Boolean) ? r[0] : undefined; };
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
    const found = await this.querier.run(this.topics.query, getQuery(name), this.opts.timeout, this.opts.quorum);
    const own = found.filter((s) => s.name === name);
    if (own.length === 0) throw new RegistryNotFoundError(name);
    return own;
  }

  async listServices(): Promise<Service[]> {
    return this.querier.run(this.topics.query, LIST_QUERY, this.opts.timeout, 0);
  }

  async watch(opts: WatchOptions = {}): Promise<Watcher> {
    if (opts.service !== undefined) checkLookupName(opts.service, 'watch service');
    const nc = await this.conn.get();
    if (!this.conn.connected) throw new RegistryUnavailableError('registry cannot reach NATS: disconnected');
    const w = await natsWatch(nc, this.topics.watch, opts.service, CONFIRM_TIMEOUT, (x) => this.watchers.delete(x));
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
    this.responder.sync(nc, this.topics.query, this.local.size > 0 && !this.closed);
  }

  private announce(nc: NatsConnection, action: Action, s: Service, quiet = false): void {
    try {
      const data = encodeJSON(toResult(action, s));
      for (const t of this.topics.watch) publish(nc, t, data, undefined);
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
  if (o.subjects === undefined) return;
  if (!Array.isArray(o.subjects) || o.subjects.length === 0) throw new ConfigError('registry option subjects', 'registry option subjects: expected a non-empty list of subject prefixes');
  for (const p of o.subjects) checkSubject(`${p}.query`, 'registry option subjects');
}

/** Explicit topics make one pair; otherwise each prefix of `subjects` (default both go-micro pairs) gives one. */
function topicsOf(o: Partial<NatsRegistrySettings>): Topics {
  if (!o.subjects && (o.queryTopic || o.watchTopic)) {
    return { query: [o.queryTopic ?? `${DEFAULT_REGISTRY_SUBJECTS[0]}.query`], watch: [o.watchTopic ?? `${DEFAULT_REGISTRY_SUBJECTS[0]}.watch`] };
  }
  const prefixes = [...new Set(o.subjects ?? DEFAULT_REGISTRY_SUBJECTS)];
  return { query: prefixes.map((p) => `${p}.query`), watch: prefixes.map((p) => `${p}.watch`) };
}

/** What `options()` reports for the topics: the first pair, and the prefixes when given as such. */
function reported(t: Topics, subjects: readonly string[] | undefined): Pick<Required<NatsRegistrySettings>, 'queryTopic' | 'watchTopic' | 'subjects'> {
  return { queryTopic: t.query[0], watchTopic: t.watch[0], subjects: subjects ? [...subjects] : (t.query.length > 1 ? [...DEFAULT_REGISTRY_SUBJECTS] : []) };
}

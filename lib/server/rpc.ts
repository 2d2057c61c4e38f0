import { randomUUID } from 'node:crypto';
import type { Broker, Event, Subscriber } from '../broker';
import type { Codecs } from '../codec';
import { RequestContext, runInContext } from '../context';
import type { Registry, Service } from '../registry';
import { checkNumber } from '../config/check';
import { DEFAULT_MAX_INFLIGHT, DEFAULT_REGISTER_TTL } from '../config/defaults';
import { ConfigError, isInfrastructureError, MicroError, unavailable } from '../errors';
import { within } from '../broker/options';
import type { Logger } from '../logger';
import { consoleLogger } from '../logger/console';
import type { ConnectionEvents } from '../nats/connection';
import type { Listener, Transport } from '../transport';
import { COMPACT, eventContentType, Header, IDEMPOTENT, readTimeout, requestId } from '../protocol/mucp';
import { compose, type Chain, type Invocation } from '../middleware';
import type { Endpoint } from './invoke';
import { HealthChecks } from './health';
import { serveSocket, type MucpHost } from './mucp';
import { EndpointStats } from './stats';
import { Running } from './running';
import { DEFAULT_STOP_GRACE, type HandlerFn, type HandlerOptions, type HealthReport, type Server, type ServerAdapter,
  type SubscriberFn, type SubscriberOptions } from './index';

/** Options of {@link RpcServer}. */
export interface RpcServerOptions {
  /** Service name (`^[A-Za-z0-9_-]+$`). Required. */
  name: string;
  /** Default `latest`. */
  version?: string;
  /** Free text for tooling (ADR-32 `$SRV.INFO`), not registered. Default none. */
  description?: string;
  /** Service metadata, also merged into the node's. Default `{}`. */
  metadata?: Record<string, string>;
  /** Node id. Default `<name>-<uuid>`. */
  id?: string;
  /** Listen address. Default `''` (a unique subject). */
  address?: string;
  transport: Transport;
  registry: Registry;
  /** Needed only for subscribers. */
  broker?: Broker;
  codecs: Codecs;
  /** Registry TTL in ms passed with each registration. Default 60 000. */
  registerTtl?: number;
  /**
   * Grace period of `stop()`, ms: subscriptions drain and in-flight handlers finish within it; then their
   * `ctx.signal` is aborted and what was left is logged. Default 10 000.
   */
  stopGrace?: number;
  /** The former name of `stopGrace`. */
  stopTimeout?: number;
  /**
   * Requests (and event handlers) running at once; past it a request gets an immediate 503 with id
   * `micro.server.refused`, its handler not run. Default 16 384.
   */
  maxInflight?: number;
  /**
   * Where failed requests are logged: handler bugs and 5xx at `error` with their stack, expected 4xx
   * answers at `debug`. Default: the built-in logger at `info`.
   */
  logger?: Logger;
  /** Other protocols serving the same endpoints (the NATS Service API). Default none. */
  adapters?: ServerAdapter[];
  /**
   * The life of the transport's connection: when it closes for good the server listens again (on the
   * replacement connection), restarts its adapters and re-registers at the new address. Default none
   * (a memory transport).
   */
  connection?: ConnectionEvents;
}

const NAME = /^[A-Za-z0-9_-]+$/;
/** After the grace period: how long aborted handlers get to send their error before the listener closes. */
const ABORT_ANSWER_MS = 100;
/** How long the old address still serves after the server moved to a new one. */
const MOVE_OVERLAP_MS = 5_000;

/** A subscriber registered with `subscribe`. */
interface Sub { topic: string; wildcard: boolean; fn: SubscriberFn; opts: SubscriberOptions; chain?: Chain }

/** go-micro's mucp server on the micro-nats transport. */
export class RpcServer implements Server, MucpHost {
  readonly name: string;
  readonly version: string;
  readonly description?: string;
  readonly metadata: Record<string, string>;
  readonly id: string;
  readonly codecs: Codecs;
  readonly endpoints = new Map<string, Endpoint>();
  stopping = false;
  private readonly subs: Sub[] = [];
  private readonly subscribers: Subscriber[] = [];
  private listener?: Listener;
  /** Listeners on addresses the server moved away from, still serving late callers for a moment. */
  private readonly retired = new Set<Listener>();
  private record?: Service;
  private inflight = 0;
  private readonly maxInflight: number;
  private idle?: () => void;
  /** Contexts of the requests and events being handled (what a stop waits for, then aborts). */
  private readonly contexts = new Running();
  private stopped?: Promise<void>;
  private recovering?: Promise<void>;
  private readonly offConnection: () => void;
  private readonly checks: HealthChecks;

  constructor(private readonly opts: RpcServerOptions) {
    if (!opts || typeof opts.name !== 'string' || !NAME.test(opts.name)) {
      throw new ConfigError('server option name', `server option name: "${opts?.name}" is not a valid service name (letters, digits, "_" and "-" only)`);
    }
    this.name = opts.name;
    this.version = opts.version ?? 'latest';
    this.description = opts.description;
    this.metadata = opts.metadata ?? {};
    this.codecs = opts.codecs;
    this.id = opts.id ?? `${opts.name}-${randomUUID()}`;
    checkNumber('server option maxInflight', opts.maxInflight, 1, 'micro.server');
    this.maxInflight = opts.maxInflight ?? DEFAULT_MAX_INFLIGHT;
    this.checks = new HealthChecks(opts.connection !== undefined, () => this.record !== undefined && !this.stopping);
    this.handle('Debug.Health', () => this.health(), { internal: true });
    this.offConnection = opts.connection?.on((e) => {
      this.checks.onConnection(e.type);
      if (!this.listener || this.stopping) return;
      if (e.type === 'closed') this.recovering ??= this.recover().finally(() => { this.recovering = undefined; });
      else if (e.type === 'reconnected' && this.uniqueAddress) this.recovering ??= this.move().finally(() => { this.recovering = undefined; });
    }) ?? (() => {});
  }

  handle(endpoint: string, fn: HandlerFn, opts: HandlerOptions = {}): void {
    if (this.listener) throw new Error(`${this.name}: cannot add endpoint ${endpoint} after start`);
    if (this.endpoints.has(endpoint)) throw new Error(`${this.name}: duplicate endpoint ${endpoint}`);
    this.endpoints.set(endpoint, { name: endpoint, fn, opts, stats: new EndpointStats(), chain: compose(opts.middleware ?? []) });
  }

  addHealthCheck(name: string, fn: () => unknown): void {
    this.checks.add(this.name, name, fn);
  }

  health(): Promise<HealthReport> {
    return this.checks.report();
  }

  subscribe(topic: string, fn: SubscriberFn, opts: SubscriberOptions = {}): void {
    if (this.listener) throw new Error(`${this.name}: cannot subscribe ${topic} after start`);
    if (!this.opts.broker) throw new Error(`${this.name}: subscribing ${topic} needs a broker`);
    this.subs.push({ topic, wildcard: /(^|\.)[*>](\.|$)/.test(topic), fn, opts, chain: compose(opts.middleware ?? []) });
  }

  async start(): Promise<void> {
    if (this.listener) return;
    await this.listen();
    for (const a of this.opts.adapters ?? []) await a.start(this);
    if (this.subs.length > 0) await this.opts.broker!.connect();
    for (const s of this.subs) this.subscribers.push(await this.opts.broker!.subscribe(s.topic, (e) => this.onEvent(s, e), { ...s.opts.delivery, queue: s.opts.queue }));
    const record = this.describe(this.listener!.addr());
    await this.opts.registry.register(record, { ttl: this.opts.registerTtl ?? DEFAULT_REGISTER_TTL });
    this.record = record;
    // Listening worked, so the connection is up (its `up` event may have come before we listened for it).
    this.checks.onConnection('up');
  }

  private async listen(): Promise<void> {
    const l = await this.opts.transport.listen(this.opts.address ?? '');
    this.listener = l;
    void l.accept((s) => serveSocket(this, s));
  }

  /**
   * The transport's connection closed for good (reconnect attempts exhausted), and the listener with it.
   * Registered at a dead address, the node would be found and fail every call, so listen again (a new
   * connection) and re-register, retrying every second until it works or the server stops.
   */
  private async recover(): Promise<void> {
    const old = this.record;
    const dead = this.listener;
    let adapters = true;
    await dead?.close().catch(() => undefined);
    for (let wait = 0; !this.stopping; wait = 1_000) {
      if (wait) await new Promise<void>((r) => setTimeout(r, wait).unref());
      if (this.stopping) return;
      try {
        if (this.listener === dead) await this.listen();
        // Other protocols subscribed on the same dead connection: subscribe them again on the new one.
        if (adapters) for (const a of this.opts.adapters ?? []) { await a.stop(); await a.start(this); }
        adapters = false;
        this.record = this.describe(this.listener!.addr());
        if (old) await this.opts.registry.deregister(old).catch(() => undefined);
        await this.opts.registry.register(this.record, { ttl: this.opts.registerTtl ?? DEFAULT_REGISTER_TTL });
        return;
      } catch (err) {
        this.log(err, 'listening again after the NATS connection closed');
      }
    }
  }

  /** The transport picks the address (a unique subject): the server may move to a new one. */
  private get uniqueAddress(): boolean {
    const a = this.opts.address ?? '';
    return a === '' || a === ':0';
  }

  /**
   * The connection is back, possibly through another server of the cluster. The old address may still have
   * interest on a server that froze (the other servers keep its queue subscription until they notice, and
   * would route part of the requests there), so listen on a new address and re-register: callers move to
   * it with the registry update, and the old one is dropped.
   */
  private async move(): Promise<void> {
    const old = this.listener;
    try {
      await this.listen();
      this.record = this.describe(this.listener!.addr());
      // Same node id, new address: the registration replaces the node wherever it is cached.
      await this.opts.registry.register(this.record, { ttl: this.opts.registerTtl ?? DEFAULT_REGISTER_TTL });
    } catch (err) {
      this.log(err, 'listening on a new address after a reconnect');
    }
    if (this.listener === old || !old) return;
    // Callers that still have the old address (those not yet told by the registry) are served a while longer.
    this.retired.add(old);
    setTimeout(() => { this.retired.delete(old); void old.close().catch(() => undefined); }, MOVE_OVERLAP_MS).unref();
  }

  stop(): Promise<void> {
    return (this.stopped ??= this.shutdown());
  }

  service(): Service {
    if (!this.record) throw new Error(`${this.name}: not started`);
    return this.record;
  }

  toString(): string {
    return 'micro-nats';
  }

  resetStats(): void {
    for (const e of this.endpoints.values()) e.stats.reset();
    for (const a of this.opts.adapters ?? []) a.reset?.();
  }

  get overloaded(): boolean {
    return this.inflight > this.maxInflight;
  }

  begin(): void {
    this.inflight++;
  }

  running(ctx: RequestContext): void {
    this.contexts.add(ctx);
  }

  end(ctx?: RequestContext): void {
    if (ctx) this.contexts.delete(ctx);
    --this.inflight;
    if (this.idle) this.idle();
  }

  log(err: unknown, endpoint: string, requestId?: string): void {
    const log = (this.opts.logger ??= consoleLogger());
    const fields = { service: this.name, endpoint, ...(requestId && { requestId }), err };
    // A 4xx is the caller's mistake, and a 503 while stopping sends the caller elsewhere: answers as designed,
    // not worth a line unless debugging. A failure of the machinery (publish refused, NATS down) always is.
    const expected = err instanceof MicroError && !isInfrastructureError(err) && (err.code < 500 || (err.code === 503 && this.stopping));
    if (expected) log.debug({ ...fields, code: (err as MicroError).code }, `${endpoint} answered ${(err as MicroError).code}`);
    else log.error(fields, `${endpoint} failed`);
  }

  /** Synchronous unless the DTO decoder or the subscriber is async: no promise per event otherwise. */
  private onEvent(s: Sub, e: Event): void | Promise<void> {
    if (s.chain) return this.tracked(this.chained(s, s.chain, e));
    const m = e.message();
    const payload = this.codecs.get(eventContentType(m.header)).decode(m.body);
    if (!s.opts.decode) return this.deliver(s, e, m.header, payload);
    return this.tracked(Promise.resolve(s.opts.decode(payload)).then((p) => this.deliver(s, e, m.header, p)));
  }

  /** An event through the subscriber's middleware: decoding, validation and the subscriber are its end. */
  private async chained(s: Sub, chain: Chain, e: Event): Promise<void> {
    const m = e.message();
    const ctx = this.eventContext(s, e, m.header);
    const inv: Invocation = { kind: 'subscriber', service: this.name, endpoint: ctx.endpoint, metadata: ctx.rawMetadata, context: ctx, queue: s.opts.queue,
      pattern: s.topic };
    this.running(ctx);
    try {
      await runInContext(ctx, chain, inv, async () => {
        const payload = this.codecs.get(eventContentType(m.header)).decode(m.body);
        return s.fn(s.opts.decode ? await s.opts.decode(payload) : payload, ctx);
      });
    } finally {
      this.contexts.delete(ctx);
      ctx.done();
    }
  }

  private eventContext(s: Sub, e: Event, header: Record<string, string>): RequestContext {
    // A plain topic is the subject itself: reading the event's subject would decode it again.
    const topic = s.wildcard ? e.topic() : s.topic;
    const raw = header[Header.Timeout];
    const deadline = raw === undefined ? Infinity : readTimeout(this.name, raw, Date.now());
    const ctx = new RequestContext(this.name, topic, requestId(header), header, deadline);
    if (e.delivery) ctx.delivery = e.delivery();
    return ctx;
  }

  private deliver(s: Sub, e: Event, header: Record<string, string>, payload: unknown): void | Promise<void> {
    const ctx = this.eventContext(s, e, header);
    const deadline = ctx.deadline;
    let r: unknown;
    try {
      r = runInContext(ctx, s.fn, payload, ctx);
    } finally {
      if (!(r && typeof (r as Promise<void>).then === 'function')) ctx.done();
    }
    if (!(r && typeof (r as Promise<void>).then === 'function')) return;
    // Only an event with a deadline can have armed a signal timer to release when its handler settles.
    return this.tracked(Number.isFinite(deadline) ? (r as Promise<void>).finally(() => ctx.done()) : r as Promise<void>, ctx);
  }

  /** Counts an event handler in flight until `p` settles (a graceful stop waits for it). */
  private async tracked(p: Promise<unknown>, ctx?: RequestContext): Promise<void> {
    this.begin();
    if (ctx) this.running(ctx);
    try { await p; } finally { this.end(ctx); }
  }

  private async shutdown(): Promise<void> {
    this.offConnection();
    if (!this.listener) return;
    const grace = this.opts.stopGrace ?? this.opts.stopTimeout ?? DEFAULT_STOP_GRACE;
    const end = Date.now() + grace;
    if (this.record) await this.opts.registry.deregister(this.record).catch((err) => this.log(err, 'deregister'));
    this.stopping = true;
    for (const a of this.opts.adapters ?? []) await a.stop().catch((err) => this.log(err, 'stopping an adapter'));
    // Events already delivered to this process are handled, not dropped: drain, then unsubscribe.
    const subs = this.subscribers.splice(0);
    const drained = await within(Promise.all(subs.map((s) => s.drain?.())), end - Date.now());
    for (const sub of subs) await sub.unsubscribe();
    await this.settle(end);
    if (this.inflight > 0 || !drained) {
      this.giveUp(grace, drained);
      // A moment for the handlers that heed their signal to answer before the listener closes.
      await this.settle(Date.now() + ABORT_ANSWER_MS);
    }
    for (const l of this.retired) await l.close().catch(() => undefined);
    await this.listener.close();
  }

  /** Waits for in-flight handlers until `end`, but not for those whose deadline passed (their callers gave up). */
  private async settle(end: number): Promise<void> {
    for (;;) {
      const now = Date.now();
      const wait = Math.min(end, this.latestDeadline()) - now;
      if (this.inflight <= 0 || wait <= 0) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        this.idle = () => { clearTimeout(t); resolve(); }; // a handler ended: look again
      });
      this.idle = undefined;
    }
  }

  /** The latest deadline of the handlers running; Infinity when one has none (or has no context yet). */
  private latestDeadline(): number {
    if (this.inflight > this.contexts.size) return Infinity;
    let latest = 0;
    for (const ctx of this.contexts) latest = Math.max(latest, ctx.deadline);
    return latest;
  }

  /** The grace period is over: handlers still running see `ctx.signal` aborted; how many is logged. */
  private giveUp(grace: number, drained: boolean): void {
    const now = Date.now();
    const late = [...this.contexts].filter((ctx) => ctx.deadline <= now).length;
    const running = this.inflight;
    for (const ctx of this.contexts) ctx.abort(unavailable(this.name, `${this.name} stopped before the handler finished`));
    const parts = [`${running} handler(s) still running (${late} past their deadline)`];
    if (!drained) parts.push('subscriptions not drained');
    (this.opts.logger ??= consoleLogger()).warn({ service: this.name, running, late, graceMs: grace, drained },
      `${this.name}: stop: ${parts.join('; ')} after the grace period of ${grace} ms; their ctx.signal is aborted`);
  }

  private describe(address: string): Service {
    const o = this.opts;
    const endpoints = [...this.endpoints.values()].filter((e) => !e.opts.internal).map((e) => ({
      name: e.name,
      request: e.opts.request,
      response: e.opts.response,
      metadata: { ...(e.opts.metadata ?? {}), ...(e.opts.stream ? { stream: 'true' } : {}),
        ...(e.opts.idempotent ? { [IDEMPOTENT]: 'true' } : {}) },
    }));
    const metadata = o.metadata ?? {};
    const node = { id: this.id, address, metadata: { ...metadata, transport: o.transport.toString(),
      broker: o.broker?.toString() ?? 'none', registry: o.registry.toString(), server: 'micro-nats', protocol: 'mucp', [COMPACT.key]: COMPACT.value } };
    return { name: this.name, version: this.version, metadata, endpoints, nodes: [node] };
  }
}

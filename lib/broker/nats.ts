import type { ConnectionOptions, NatsConnection } from '@nats-io/transport-node';
import { NatsConnector } from '../nats/connection';
import { publish, toNatsHeaders } from '../nats/message';
import { checkSubject } from '../nats/subject';
import type { Message } from '../transport/index';
import { BaseBroker } from './base';
import type { BrokerOptions, Handler, PublishOptions, SubscribeOptions, Subscriber } from './index';
import { NatsSubscriber } from './nats-subscriber';
import { Refusals } from './refusals';
import { BROKER_ID, checkHandler, checkMessage, notConnected, queueOf, TopicCheck, within } from './options';
import { DEFAULT_PUBLISH_TIMEOUT } from '../config/defaults';
import { unavailable } from '../errors';

/** How long `subscribe()` waits for the server to confirm the subscription before resolving anyway (ms). */
const SUBSCRIBE_FLUSH_TIMEOUT = 5_000;
const PUBLISHED = Promise.resolve();

/** Options of {@link NatsBroker}. */
export interface NatsBrokerOptions extends BrokerOptions {
  /** NATS servers (string, comma-separated or list). Default `nats://127.0.0.1:4222`. Ignored with `connector`. */
  servers?: string | string[];
  /** nats.js connection options passed through (auth, TLS, reconnect). Ignored with `connector`. */
  nats?: Partial<ConnectionOptions>;
  /** A connection shared with the transport and registry (bootstrap passes one). Default: a connection of its own. */
  connector?: NatsConnector;
}

/**
 * Core NATS pub/sub: topic = subject, queue = queue group, headers as NATS headers,
 * body as the raw payload, at-most-once. Shares the connection of its `connector`; `disconnect()` ends
 * this broker's own subscriptions even when the connection stays open for the transport or registry.
 */
export class NatsBroker extends BaseBroker<NatsSubscriber> {
  private readonly connector: NatsConnector;
  private nc?: NatsConnection;
  private readonly topics = new TopicCheck();
  /** Subjects NATS refused a publish to: later publishes there reject 403 for a while (see Refusals). */
  private readonly refusals = new Refusals();
  /**
   * The connection is down (nats.js reconnecting): nats.js would buffer a publish and discard its buffer on
   * the next reconnect attempt, so publishes wait for `reconnected` instead (bounded) and fail 503 after.
   */
  private down = false;
  private readonly waiting = new Set<() => void>();

  constructor(options: NatsBrokerOptions = {}) {
    super(options);
    this.connector = options.connector ?? new NatsConnector({ servers: options.servers, nats: options.nats });
    this.connector.on((e) => {
      if (e.nc !== this.nc) return;
      if (e.type === 'denied') { if (e.operation === 'publish') this.refusals.note(e.subject, e.error); return; }
      this.down = e.type === 'down';
      if (e.type === 'closed') void this.lost();
      if (!this.down) for (const w of [...this.waiting]) w();
    });
  }

  toString(): string { return 'nats'; }

  address(): string {
    const nc = this.nc;
    return nc && !nc.isClosed() ? `nats://${nc.getServer()}` : this.connector.servers[0];
  }

  /** Hot path: not an async function, so a successful publish allocates no promise of its own. */
  publish(topic: string, m: Message, opts?: PublishOptions): Promise<void> {
    const nc = this.nc;
    if (!nc) return Promise.reject(notConnected(`publish to "${topic}"`));
    if (this.down) return this.publishWhenBack(topic, m, opts);
    try {
      this.topics.publish(topic);
      this.refusals.check(topic);
      checkMessage(m);
      publish(nc, topic, m.body, toNatsHeaders(m.header));
      return PUBLISHED;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** The connection is down: publish once it is back, or fail 503 (nothing sent) after the publish's timeout. */
  private async publishWhenBack(topic: string, m: Message, opts?: PublishOptions): Promise<void> {
    const wait = opts?.timeout ?? DEFAULT_PUBLISH_TIMEOUT;
    const t0 = Date.now();
    if (!(await this.back(wait))) {
      throw unavailable(BROKER_ID, `publish to "${topic}" failed: the NATS connection was down for ${Date.now() - t0} ms; the event was not sent`);
    }
    return this.publish(topic, m, { ...opts, timeout: Math.max(0, wait - (Date.now() - t0)) });
  }

  /** Resolves true when the connection is back (or closed for good), false after `ms`. */
  private back(ms: number): Promise<boolean> {
    if (!this.down) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => { clearTimeout(t); this.waiting.delete(done); resolve(true); };
      const t = setTimeout(() => { this.waiting.delete(done); resolve(false); }, ms);
      this.waiting.add(done);
    });
  }

  async subscribe(topic: string, handler: Handler, opts: SubscribeOptions = {}): Promise<Subscriber> {
    const nc = this.nc;
    if (!nc || this.closing) throw notConnected(`subscribe to "${topic}"`);
    checkSubject(topic, 'topic', true);
    const queue = queueOf(opts);
    checkHandler(handler);
    const sub = new NatsSubscriber(nc, topic, handler, queue, this.errorHandler, this.forget, this.limits);
    this.subs.add(sub);
    // In place on the server before we resolve, so a publish from another connection reaches it.
    // Bounded: while NATS reconnects a flush waits, and nats.js subscribes again once it is back anyway.
    await within(nc.flush(), SUBSCRIBE_FLUSH_TIMEOUT);
    return sub;
  }

  protected isOpen(): boolean { return !!this.nc && !this.nc.isClosed(); }
  protected isHeld(): boolean { return !!this.nc; }

  protected async open(): Promise<void> {
    this.nc = await this.connector.acquire();
    this.down = false;
  }

  protected async release(drained: boolean, timeout: number): Promise<void> {
    const t0 = Date.now();
    // Events published are in nats.js's buffer or the socket: a flush (PING/PONG) proves the server has them,
    // even when the shared connection stays open for the transport or registry. Not while down: it would wait.
    const nc = this.nc;
    if (drained && nc && !nc.isClosed() && !this.down) await within(nc.flush(), timeout);
    // Bounded too: when this is the last user, draining the connection waits for a server that may be down.
    await within(this.connector.release(drained), Math.max(timeout - (Date.now() - t0), 100));
    this.nc = undefined;
  }
}

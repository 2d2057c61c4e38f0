import type { ConnectionOptions, NatsConnection } from '@nats-io/transport-node';
import { NatsConnector } from '../nats/connection';
import { publish, toNatsHeaders } from '../nats/message';
import { checkSubject } from '../nats/subject';
import type { Message } from '../transport/index';
import { BaseBroker } from './base';
import type { BrokerOptions, Handler, PublishOptions, SubscribeOptions, Subscriber } from './index';
import { NatsSubscriber } from './nats-subscriber';
import { Refusals } from './refusals';
import { checkHandler, checkMessage, notConnected, queueOf, TopicCheck, within } from './options';

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

  constructor(options: NatsBrokerOptions = {}) {
    super(options);
    this.connector = options.connector ?? new NatsConnector({ servers: options.servers, nats: options.nats });
    this.connector.on((e) => {
      if (e.type === 'closed' && e.nc === this.nc) void this.lost();
      else if (e.type === 'denied' && e.operation === 'publish' && e.nc === this.nc) this.refusals.note(e.subject, e.error);
    });
  }

  toString(): string { return 'nats'; }

  address(): string {
    const nc = this.nc;
    return nc && !nc.isClosed() ? `nats://${nc.getServer()}` : this.connector.servers[0];
  }

  /** Hot path: not an async function, so a successful publish allocates no promise of its own. */
  publish(topic: string, m: Message, _opts?: PublishOptions): Promise<void> {
    const nc = this.nc;
    if (!nc) return Promise.reject(notConnected(`publish to "${topic}"`));
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
  }

  protected async release(drained: boolean, timeout: number): Promise<void> {
    // Bounded too: when this is the last user, draining the connection waits for a server that may be down.
    await within(this.connector.release(drained), Math.max(timeout, 100));
    this.nc = undefined;
  }
}

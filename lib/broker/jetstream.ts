import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { MicroError, payloadTooLarge, unavailable } from '../errors';
import { NatsConnector } from '../nats/connection';
import { toNatsHeaders } from '../nats/message';
import { checkSubject } from '../nats/subject';
import type { Message } from '../transport/index';
import { BaseBroker } from './base';
import type { Handler, PublishOptions, Subscriber } from './index';
import { JetStreamSubscriber } from './jetstream-consumer';
import { openConsumer, type ConsumerPlan } from './jetstream-plan';
import { checkDurableOptions, consumerName, resolveJetStream, type DurableSubscribeOptions, type JetStreamSettings,
  type ResolvedJetStream } from './jetstream-options';
import { MSG_ID_HEADER } from './jetstream-names';
import { EventStream } from './jetstream-stream';
import type { NatsBrokerOptions } from './nats';
import { BROKER_ID, checkHandler, checkMessage, notConnected, queueOf, TopicCheck, within } from './options';

/** Options of {@link JetStreamBroker}. */
export interface JetStreamBrokerOptions extends NatsBrokerOptions {
  /** The stream, dead-letter subject and subscription defaults. */
  jetstream?: JetStreamSettings;
}

/**
 * Durable pub/sub on NATS JetStream: a publish resolves once the stream stored the event; each subscription
 * is a pull consumer whose events are acked after the handler resolves and redelivered when it fails, dies
 * or stops mid-way (at-least-once). `queue` = one durable consumer shared by its members; no queue = a
 * consumer per subscription (ephemeral unless `durable` names it).
 */
export class JetStreamBroker extends BaseBroker<JetStreamSubscriber> {
  private readonly connector: NatsConnector;
  private readonly js: ResolvedJetStream;
  private nc?: NatsConnection;
  private client?: JetStreamClient;
  private jsm?: JetStreamManager;
  private stream?: EventStream;
  private readonly topics = new TopicCheck();

  constructor(options: JetStreamBrokerOptions = {}) {
    super(options);
    this.js = resolveJetStream(options.jetstream);
    this.connector = options.connector ?? new NatsConnector({ servers: options.servers, nats: options.nats });
    // The connector owns the connection's life: when it closes for good, the subscriptions end as on core NATS.
    this.connector.on((e) => { if (e.type === 'closed' && e.nc === this.nc) void this.lost(); });
  }

  toString(): string { return 'jetstream'; }

  address(): string {
    const nc = this.nc;
    return nc && !nc.isClosed() ? `nats://${nc.getServer()}` : this.connector.servers[0];
  }

  /** The stream's settings in force (defaults filled in). */
  settings(): ResolvedJetStream { return this.js; }

  /** Resolves once JetStream stored the event (a PubAck). `opts.id` deduplicates within the stream's window. */
  async publish(topic: string, m: Message, opts: PublishOptions = {}): Promise<void> {
    const { nc, client, stream } = this;
    if (!nc || !client || !stream) throw notConnected(`publish to "${topic}"`);
    this.topics.publish(topic);
    checkMessage(m);
    const max = nc.info?.max_payload;
    if (max !== undefined && m.body.length > max) {
      throw payloadTooLarge(BROKER_ID, `message of ${m.body.length} bytes exceeds the server's max_payload of ${max} bytes`);
    }
    await stream.capture(topic);
    try {
      // The id travels as the Nats-Msg-Id header itself (the encoded header block is not a mutable MsgHdrs).
      const header = opts.id ? { ...m.header, [MSG_ID_HEADER]: opts.id } : m.header;
      await client.publish(topic, m.body, { headers: toNatsHeaders(header) });
    } catch (err) {
      throw err instanceof MicroError ? err : unavailable(BROKER_ID, `JetStream did not store the event on "${topic}": ${(err as Error).message}`);
    }
  }

  async subscribe(topic: string, handler: Handler, opts: DurableSubscribeOptions = {}): Promise<Subscriber> {
    const { nc, client, jsm, stream } = this;
    if (!nc || !client || !jsm || !stream || this.closing) throw notConnected(`subscribe to "${topic}"`);
    checkSubject(topic, 'topic', true);
    const queue = queueOf(opts);
    checkHandler(handler);
    checkDurableOptions(opts);
    await stream.capture(topic);
    const plan: ConsumerPlan = {
      stream: stream.name, topic, opts,
      durable: opts.durable ?? (queue ? consumerName(queue, topic) : undefined),
      ackWait: opts.ackWait ?? this.js.ackWait, maxDeliver: opts.maxDeliver ?? this.js.maxDeliver,
      nakDelay: this.js.nakDelay, deadLetterPrefix: this.js.deadLetterPrefix,
    };
    const name = await openConsumer(jsm, plan);
    const sub = new JetStreamSubscriber(nc, client, jsm, plan, name, handler, this.errorHandler, this.forget);
    this.subs.add(sub);
    await sub.start();
    return sub;
  }

  protected isOpen(): boolean { return !!this.nc && !this.nc.isClosed(); }
  protected isHeld(): boolean { return !!this.nc; }

  protected async open(): Promise<void> {
    this.nc = await this.connector.acquire();
    try {
      this.jsm = await jetstreamManager(this.nc);
      this.client = jetstream(this.nc);
      const stream = new EventStream(this.jsm, this.js.stream);
      await stream.open();
      this.stream = stream;
    } catch (err) {
      await this.release(false, 1_000);
      throw err instanceof MicroError ? err : unavailable(BROKER_ID, `JetStream is not available: ${(err as Error).message}`);
    }
  }

  protected async release(drained: boolean, timeout: number): Promise<void> {
    this.stream = this.client = this.jsm = undefined;
    await within(this.connector.release(drained), Math.max(timeout, 100));
    this.nc = undefined;
  }
}

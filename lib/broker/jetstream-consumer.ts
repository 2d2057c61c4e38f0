/**
 * One JetStream subscription: a pull consumer (durable, shared by a queue, or ephemeral; see ./jetstream-plan)
 * whose events are acked after the handler resolves, naked with a growing delay when it fails, and after
 * `maxDeliver` failed deliveries published to the dead-letter subject and terminated.
 */
import { consoleLogger } from '../logger/console';
import type { ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { MicroError } from '../errors';
import type { ReadHeaders } from '../nats/headers';
import { readHeaders, toNatsHeaders } from '../nats/message';
import type { Message } from '../transport/index';
import { BrokerEvent, Dispatcher } from './dispatch';
import type { Delivery, ErrorHandler, Handler, SubscribeOptions, Subscriber } from './index';
import { nakDelay } from './jetstream-options';
import type { ConsumerPlan } from './jetstream-plan';
import { DEAD_LETTER_HEADERS } from './jetstream-names';

const PULL_EXPIRES = 5_000;

/** A stored event as an Event, with its delivery info; ack() acks it (and only once). */
class JetStreamEvent extends BrokerEvent {
  private m?: Message;
  settled = false;
  constructor(readonly msg: JsMsg, private readonly memo: Map<string, ReadHeaders>) { super(); }
  topic(): string { return this.msg.subject; }
  size(): number { return this.msg.data.length; }
  message(): Message {
    const raw = (this.msg as unknown as { msg?: Msg }).msg ?? (this.msg as unknown as Msg);
    return (this.m ??= { header: readHeaders(raw, this.memo).header, body: this.msg.data });
  }
  delivery(): Delivery {
    const i = this.msg.info;
    return { attempt: i.deliveryCount, streamSequence: i.streamSequence, redelivered: i.deliveryCount > 1 };
  }
  override async ack(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    this.msg.ack();
  }
}

export class JetStreamSubscriber implements Subscriber {
  private readonly dispatcher: Dispatcher;
  private stopped = false;
  /** The consumer was let go (an ephemeral one deleted). */
  private released = false;
  private messages?: ConsumerMessages;
  private readonly headerMemo = new Map<string, ReadHeaders>();

  constructor(private readonly nc: NatsConnection, private readonly js: JetStreamClient, private readonly jsm: JetStreamManager,
              private readonly plan: ConsumerPlan, private readonly name: string, private readonly handler: Handler,
              private readonly onError: () => ErrorHandler, private readonly forget: (s: JetStreamSubscriber) => void) {
    // Every event is settled by run() (ack, nak or dead letter), which reports failures itself.
    this.dispatcher = new Dispatcher((e) => this.run(e as JetStreamEvent), () => () => undefined);
  }

  /** Starts pulling; resolves when the first pull is on its way. */
  async start(): Promise<void> {
    const consumer = await this.js.consumers.get(this.plan.stream, this.name);
    // Pulls expire every 5 s (heartbeats every 2.5 s): a pull lost with a server or a consumer leader is
    // noticed and renewed within seconds rather than nats.js's default 30 s.
    this.messages = await consumer.consume({ max_messages: 256, expires: PULL_EXPIRES, callback: (m) => this.onMessage(m) });
  }

  options(): SubscribeOptions {
    const { queue, durable } = this.plan.opts;
    return { ...(queue ? { queue } : {}), ...(durable ? { durable } : {}) } as SubscribeOptions;
  }

  topic(): string { return this.plan.topic; }

  async unsubscribe(): Promise<void> {
    this.stop();
    this.forget(this);
  }

  /** Stops pulling and waits for running handlers, which still ack; what was not handled is redelivered. */
  async drain(): Promise<void> {
    this.halt();
    await this.dispatcher.settled();
  }

  /** Ends delivery at once (also after a drain). */
  stop(): void {
    this.halt();
    if (this.released) return;
    this.released = true;
    // An ephemeral consumer goes with its subscription (else the server drops it after 30 s idle);
    // durable ones keep their place for the next start.
    if (!this.plan.durable && !this.nc.isClosed()) void this.jsm.consumers.delete(this.plan.stream, this.name).catch(() => undefined);
  }

  private halt(): void {
    if (this.stopped) return;
    this.stopped = true;
    void this.messages?.close().catch(() => undefined);
  }

  private onMessage(m: JsMsg): void {
    // Pulled before the stop: hand it back at once so another member gets it now rather than after ackWait.
    if (this.stopped) { try { m.nak(); } catch { /* connection closing: redelivered after ackWait */ } return; }
    this.dispatcher.dispatch(new JetStreamEvent(m, this.headerMemo));
  }

  /** Runs the handler and settles the event: ack on success, nak or dead-letter on failure. */
  private async run(e: JetStreamEvent): Promise<void> {
    try {
      await this.handler(e);
      await e.ack();
    } catch (err) {
      this.failed(e, err);
    }
  }

  private failed(e: JetStreamEvent, err: unknown): void {
    const error = err instanceof Error ? err : new MicroError('micro.broker', 500, `handler failed: ${String(err)}`);
    e.err = error;
    const log = (x: unknown) => consoleLogger().error({ err: x }, 'micro.broker: the errorHandler itself failed');
    try { void Promise.resolve(this.onError()(e)).catch(log); } catch (x) { log(x); }
    if (e.settled) return; // the handler acked before failing: nothing to redeliver
    e.settled = true;
    const attempt = e.msg.info.deliveryCount;
    if (attempt < this.plan.maxDeliver) {
      e.msg.nak(nakDelay(this.plan.nakDelay, attempt));
      return;
    }
    this.deadLetter(e, error, attempt);
  }

  /** Publishes the event with its headers, body and the error to the dead-letter subject, then terminates it. */
  private deadLetter(e: JetStreamEvent, error: Error, attempt: number): void {
    const m = e.message();
    const code = error instanceof MicroError ? String(error.code) : '500';
    const header = { ...m.header, [DEAD_LETTER_HEADERS.error]: error.message.replace(/[\r\n]+/g, ' ').slice(0, 1024),
      [DEAD_LETTER_HEADERS.code]: code, [DEAD_LETTER_HEADERS.topic]: e.topic(), [DEAD_LETTER_HEADERS.deliveries]: String(attempt),
      [DEAD_LETTER_HEADERS.sequence]: String(e.msg.info.streamSequence) };
    try {
      this.nc.publish(`${this.plan.deadLetterPrefix}.${e.topic()}`, m.body, { headers: toNatsHeaders(header) });
      e.msg.term(`dead-lettered after ${attempt} deliveries`);
    } catch (x) {
      consoleLogger().error({ topic: e.topic(), err: x }, 'micro.broker: dead-lettering an event failed');
    }
  }
}

import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { bodyOf, messageBytes, readHeaders } from '../nats/message';
import { decodeBrokerEnvelope } from '../protocol/mucp';
import type { ReadHeaders } from '../nats/headers';
import type { Message } from '../transport/index';
import { BrokerEvent, Dispatcher, PlainEvent, type DispatchLimits } from './dispatch';
import type { ErrorHandler, Handler, SubscribeOptions, Subscriber } from './index';

const EMPTY = new Uint8Array(0);

/** A NATS message as an Event; headers are decoded on the first `message()` call only. */
class NatsEvent extends BrokerEvent {
  private m?: Message;
  constructor(private readonly msg: Msg, private readonly memo: Map<string, ReadHeaders>) { super(); }
  topic(): string { return this.msg.subject; }
  size(): number { return messageBytes(this.msg); }
  /**
   * Headers are shared between events with identical header blocks, so they are read-only. An event without
   * NATS headers may be go-micro's broker envelope: its headers and decoded body are the event's.
   */
  message(): Message {
    return (this.m ??= this.read());
  }

  private read(): Message {
    const r = readHeaders(this.msg, this.memo);
    const body = bodyOf(this.msg);
    return (!r.present && decodeBrokerEnvelope(body)) || { header: r.header, body };
  }
}

/**
 * One core NATS subscription (a queue subscription with `queue`). nats.js re-subscribes it after a
 * reconnect, so the same object keeps receiving after a server restart.
 */
export class NatsSubscriber implements Subscriber {
  private readonly sub: Subscription;
  private readonly dispatcher: Dispatcher;
  private stopped = false;
  /** Parsed header blocks of this subscription's events (see readHeaders). */
  private readonly headerMemo = new Map<string, ReadHeaders>();

  constructor(private readonly nc: NatsConnection, private readonly subject: string, handler: Handler,
              private readonly queue: string | undefined, onError: () => ErrorHandler,
              private readonly forget: (s: NatsSubscriber) => void, limits?: () => DispatchLimits) {
    this.dispatcher = new Dispatcher(handler, onError, limits);
    this.sub = nc.subscribe(subject, { queue, callback: (err, msg) => this.onMessage(err, msg) });
  }

  options(): SubscribeOptions { return this.queue === undefined ? {} : { queue: this.queue }; }
  topic(): string { return this.subject; }

  async unsubscribe(): Promise<void> {
    this.stop();
    this.forget(this);
  }

  /**
   * Drains: the server stops sending, messages it sent before are still delivered, then running handlers
   * are awaited. Unbounded on its own (a flush waits for a reconnect): the broker bounds it.
   */
  async drain(): Promise<void> {
    if (!this.stopped && !this.sub.isClosed() && !this.nc.isClosed()) {
      await this.sub.drain().catch(() => undefined);
    }
    await this.dispatcher.settled();
  }

  /** Ends delivery at once: no handler call after this. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.dispatcher.clear();
    if (!this.sub.isClosed() && !this.nc.isClosed()) {
      try { this.sub.unsubscribe(); } catch { /* connection closing: it ends with it */ }
    }
  }

  private onMessage(err: Error | null, msg: Msg): void {
    if (this.stopped) return;
    if (err) {
      // A subscription-level failure (e.g. a permissions violation): no message, only the error.
      this.dispatcher.fail(new PlainEvent(this.subject, { header: {}, body: EMPTY }), err);
      return;
    }
    this.dispatcher.dispatch(new NatsEvent(msg, this.headerMemo));
  }
}

import { consoleLogger } from '../logger/console';
import { MicroError, Codes, excerpt } from '../errors';
import type { Message } from '../transport/index';
import type { ErrorHandler, Event, Handler } from './index';
import { BROKER_ID } from './options';

const ACKED = Promise.resolve();

/** The Event of both brokers; subclasses provide the message (NATS decodes it lazily). */
export abstract class BrokerEvent implements Event {
  /** Set when the handler failed, before the event goes to the error handler. */
  err?: Error;
  abstract topic(): string;
  abstract message(): Message;
  /** Bytes this event holds while it waits for a handler (payload and header block). */
  abstract size(): number;
  ack(): Promise<void> { return ACKED; }
  error(): Error | undefined { return this.err; }
}

/** An event whose message is already built (memory broker, subscription errors). */
export class PlainEvent extends BrokerEvent {
  constructor(private readonly subject: string, private readonly m: Message, err?: Error) {
    super();
    if (err) this.err = err;
  }
  topic(): string { return this.subject; }
  message(): Message { return this.m; }
  size(): number { return this.m.body.length; }
}

/** How many of a subscription's handlers run at once and how many events wait for one (see BrokerOptions). */
export interface DispatchLimits { maxHandlers: number; maxPending: number; maxPendingBytes: number }

/** Reported to the error handler (at most once a second per subscription) when events were dropped. */
export class EventsDroppedError extends MicroError {
  constructor(readonly dropped: number, topic: string, limits: DispatchLimits) {
    super(BROKER_ID, Codes.Unavailable, `${dropped} event(s) of "${excerpt(topic)}" dropped: ${limits.maxHandlers} handlers `
      + `running and ${limits.maxPending} events or ${limits.maxPendingBytes} bytes waiting (broker options maxHandlers, `
      + 'maxPending, maxPendingBytes)');
    this.name = 'EventsDroppedError';
  }
}

const REPORT_EVERY = 1_000;
const EMPTY = new Uint8Array(0);

/**
 * Runs one subscription's handler per message, as messages arrive, without awaiting one before the next:
 * handlers of a subscription run concurrently, as NATS delivers. Failures go to the error handler.
 * With `limits`, at most `maxHandlers` async handlers run at once; later events wait in a FIFO of at most
 * `maxPending`, and past that they are dropped, counted and reported (so a flood of slow events grows
 * nothing). Without, the caller bounds delivery (JetStream: the consumer's unacked limit).
 * Counts in-flight async handlers so a drain can wait for them. No closure is allocated per message.
 */
export class Dispatcher {
  private inflight = 0;
  private idle?: Promise<void>;
  private wake?: () => void;
  private pending: BrokerEvent[] = [];
  private head = 0;
  private pendingBytes = 0;
  private dropped = 0;
  private reporting?: ReturnType<typeof setTimeout>;

  constructor(private readonly handler: Handler, private readonly onError: () => ErrorHandler,
              private readonly limits?: () => DispatchLimits) {}

  /** Hands `ev` to the handler (or queues or drops it past the limits); failures go to the error handler. */
  dispatch(ev: BrokerEvent): void {
    const l = this.limits?.();
    if (l && this.inflight >= l.maxHandlers) {
      const size = ev.size();
      if (this.pending.length - this.head < l.maxPending && this.pendingBytes + size <= l.maxPendingBytes) {
        this.pending.push(ev);
        this.pendingBytes += size;
      } else {
        this.drop(ev, l);
      }
      return;
    }
    this.run(ev);
  }

  /** Forgets the events waiting for a handler (the subscription stopped). */
  clear(): void {
    this.pending = [];
    this.head = 0;
    this.pendingBytes = 0;
  }

  /** Resolves when no handler of this subscription is running and none is waiting. */
  settled(): Promise<void> {
    if (this.inflight === 0 && this.head === this.pending.length) return ACKED;
    return (this.idle ??= new Promise<void>((resolve) => { this.wake = resolve; }));
  }

  /** Reports `err` for `ev` to the error handler; the handler's own failures are logged. */
  fail(ev: BrokerEvent, err: unknown): void {
    ev.err = err instanceof Error ? err : new MicroError(BROKER_ID, Codes.Internal, `handler failed: ${String(err)}`);
    try {
      const r = this.onError()(ev);
      if (r != null && typeof (r as Promise<void>).then === 'function') {
        (r as Promise<void>).then(undefined, logErrorHandlerFailure);
      }
    } catch (e) {
      logErrorHandlerFailure(e);
    }
  }

  private run(ev: BrokerEvent): void {
    let r: void | Promise<void>;
    try {
      r = this.handler(ev);
    } catch (err) {
      this.fail(ev, err);
      return;
    }
    if (r != null && typeof (r as Promise<void>).then === 'function') void this.track(r as Promise<void>, ev);
  }

  private async track(p: Promise<void>, ev: BrokerEvent): Promise<void> {
    this.inflight++;
    try {
      await p;
    } catch (err) {
      this.fail(ev, err);
    } finally {
      this.inflight--;
      this.next();
      if (this.inflight === 0 && this.head === this.pending.length && this.wake) {
        const wake = this.wake;
        this.wake = this.idle = undefined;
        wake();
      }
    }
  }

  /** Starts waiting events while handlers are free. */
  private next(): void {
    const max = this.limits?.().maxHandlers ?? Infinity;
    while (this.head < this.pending.length && this.inflight < max) {
      const ev = this.pending[this.head];
      this.pending[this.head++] = undefined as unknown as BrokerEvent;
      this.pendingBytes -= ev.size();
      if (this.head === this.pending.length) this.clear();
      else if (this.head >= 1024 && this.head * 2 >= this.pending.length) {
        this.pending = this.pending.slice(this.head);
        this.head = 0;
      }
      this.run(ev);
    }
  }

  /** Counts a dropped event; reports at once, then at most once a second while drops go on. */
  private drop(ev: BrokerEvent, l: DispatchLimits): void {
    this.dropped++;
    if (this.reporting) return;
    this.report(ev.topic(), l);
  }

  private report(topic: string, l: DispatchLimits): void {
    if (this.dropped === 0) { this.reporting = undefined; return; }
    const n = this.dropped;
    this.dropped = 0;
    this.fail(new PlainEvent(topic, { header: {}, body: EMPTY }), new EventsDroppedError(n, topic, l));
    this.reporting = setTimeout(() => this.report(topic, l), REPORT_EVERY);
    this.reporting.unref?.();
  }
}

function logErrorHandlerFailure(e: unknown): void {
  consoleLogger().error({ err: e }, `${BROKER_ID}: the errorHandler itself failed`);
}

import { consoleLogger } from '../logger/console';
import { MicroError, Codes } from '../errors';
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
}

/**
 * Runs one subscription's handler per message, as messages arrive, without awaiting one before the next:
 * handlers of a subscription run concurrently, as NATS delivers. Failures go to the error handler.
 * Counts in-flight async handlers so a drain can wait for them. No closure is allocated per message.
 */
export class Dispatcher {
  private inflight = 0;
  private idle?: Promise<void>;
  private wake?: () => void;

  constructor(private readonly handler: Handler, private readonly onError: () => ErrorHandler) {}

  /** Hands `ev` to the handler; a sync throw or an async rejection goes to the error handler. */
  dispatch(ev: BrokerEvent): void {
    let r: void | Promise<void>;
    try {
      r = this.handler(ev);
    } catch (err) {
      this.fail(ev, err);
      return;
    }
    if (r != null && typeof (r as Promise<void>).then === 'function') void this.track(r as Promise<void>, ev);
  }

  /** Resolves when no handler of this subscription is running. */
  settled(): Promise<void> {
    if (this.inflight === 0) return ACKED;
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

  private async track(p: Promise<void>, ev: BrokerEvent): Promise<void> {
    this.inflight++;
    try {
      await p;
    } catch (err) {
      this.fail(ev, err);
    } finally {
      if (--this.inflight === 0 && this.wake) {
        const wake = this.wake;
        this.wake = this.idle = undefined;
        wake();
      }
    }
  }
}

function logErrorHandlerFailure(e: unknown): void {
  consoleLogger().error({ err: e }, `${BROKER_ID}: the errorHandler itself failed`);
}

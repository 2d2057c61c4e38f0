import type { Message } from '../transport/index';
import type { Broker, BrokerOptions, DisconnectOptions, ErrorHandler, Handler, PublishOptions, SubscribeOptions,
  Subscriber } from './index';
import { checkMillis } from '../config/check';
import type { DispatchLimits } from './dispatch';
import { BROKER_ID, resolveBrokerOptions, within } from './options';

/** What the broker needs of its subscriptions to end them on disconnect. */
export interface Drainable {
  /**
   * Stops new deliveries, delivers what was already received, waits for running handlers. Unbounded on its
   * own (a NATS flush waits out a reconnect): BaseBroker bounds it with `drainTimeout`.
   */
  drain(): Promise<void>;
  /** Ends delivery at once (after a drain, or instead of one). */
  stop(): void;
}

/**
 * The connect/disconnect life cycle both brokers share: connect and disconnect run one at a time in call order;
 * disconnect ends every subscription (drained within a time bound, so it cannot deadlock) and then releases
 * what `open()` took. A broker is usable again after `connect()`.
 */
export abstract class BaseBroker<S extends Drainable> implements Broker {
  protected opts: Required<BrokerOptions>;
  protected readonly subs = new Set<S>();
  /** True while disconnect() runs: new subscriptions are refused, publishing still works. */
  protected closing = false;
  private lock: Promise<void> = Promise.resolve();
  /** Given to subscriptions so `unsubscribe()` removes them from {@link subs}. */
  protected readonly forget = (s: S): void => { this.subs.delete(s); };
  /** Given to subscriptions: the error handler in force when a handler fails (init may change it). */
  protected readonly errorHandler = (): ErrorHandler => this.opts.errorHandler;
  /** Given to subscriptions: the handler and queue bounds in force (init may change them). */
  protected readonly limits = (): DispatchLimits => this.opts;

  constructor(options: BrokerOptions) {
    this.opts = resolveBrokerOptions(options);
  }

  abstract address(): string;
  abstract toString(): string;
  abstract publish(topic: string, m: Message, opts?: PublishOptions): Promise<void>;
  abstract subscribe(topic: string, handler: Handler, opts?: SubscribeOptions): Promise<Subscriber>;
  /** Connected and usable. */
  protected abstract isOpen(): boolean;
  /** Holds something `release` must give back. */
  protected abstract isHeld(): boolean;
  /** Takes the connection. */
  protected abstract open(): Promise<void>;
  /** Gives the connection back (drained when the subscriptions drained cleanly); must not hang past `timeout`. */
  protected abstract release(drained: boolean, timeout: number): Promise<void>;

  init(opts: Partial<BrokerOptions> = {}): void { this.opts = resolveBrokerOptions(opts, this.opts); }
  options(): Required<BrokerOptions> { return { ...this.opts }; }

  connect(): Promise<void> {
    return this.serial(async () => {
      if (this.isOpen()) return;
      await this.open();
    });
  }

  /**
   * What an implementation calls when its connection closed for good: every subscription ends and the
   * connection is given back, so the next `connect()` starts afresh.
   */
  protected lost(): Promise<void> {
    return this.serial(() => this.teardown(false, 0));
  }

  async disconnect(opts: DisconnectOptions = {}): Promise<void> {
    checkMillis('disconnect option timeout', opts.timeout, 0, BROKER_ID);
    const drain = opts.drain ?? this.opts.drain;
    const timeout = opts.timeout ?? this.opts.drainTimeout;
    return this.serial(() => this.teardown(drain, timeout));
  }

  private async teardown(drain: boolean, timeout: number): Promise<void> {
    if (!this.isHeld()) return;
    this.closing = true;
    try {
      const subs = [...this.subs];
      this.subs.clear();
      const drained = drain && (await within(Promise.all(subs.map((s) => s.drain())), timeout));
      for (const s of subs) s.stop();
      await this.release(drained, timeout);
    } finally {
      this.closing = false;
    }
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const run = this.lock.then(fn);
    this.lock = run.catch(() => undefined);
    return run;
  }
}

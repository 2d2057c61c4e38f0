import { DEFAULT_MAX_PAYLOAD } from '../config/defaults';
import { badRequest, payloadTooLarge } from '../errors';
import { checkSubject } from '../nats/subject';
import type { Message } from '../transport/index';
import { BaseBroker, type Drainable } from './base';
import { Dispatcher, PlainEvent, type DispatchLimits } from './dispatch';
import type { BrokerOptions, ErrorHandler, Handler, PublishOptions, SubscribeOptions, Subscriber } from './index';
import { MemoryBus, type BusSubscription } from './memory-bus';
import { BROKER_ID, checkHandler, checkMessage, notConnected, queueOf, TopicCheck } from './options';

export { MemoryBus } from './memory-bus';

/** NATS's default max_payload, the memory broker's default limit. */

/** Options of {@link MemoryBroker}. */
export interface MemoryBrokerOptions extends BrokerOptions {
  /** Brokers that share a bus see each other's messages. Default: a bus of its own. */
  bus?: MemoryBus;
  /** Largest body accepted by `publish` (bytes), as NATS's max_payload; larger ones reject 413. Default 1 MiB. */
  maxPayload?: number;
}

/** A subscription on the bus: its own FIFO backlog, delivered asynchronously as a network would. */
class MemorySubscriber implements Subscriber, BusSubscription, Drainable {
  private readonly dispatcher: Dispatcher;
  private backlog: PlainEvent[] = [];
  private scheduled = false;
  private stopped = false;
  private readonly flush = () => this.deliverBacklog();

  constructor(private readonly bus: MemoryBus, readonly subject: string, handler: Handler,
              readonly queue: string | undefined,
              onError: () => ErrorHandler, private readonly forget: (s: MemorySubscriber) => void,
              limits?: () => DispatchLimits) {
    this.dispatcher = new Dispatcher(handler, onError, limits);
    bus.add(this);
  }

  options(): SubscribeOptions { return this.queue === undefined ? {} : { queue: this.queue }; }
  topic(): string { return this.subject; }

  async unsubscribe(): Promise<void> {
    this.stop();
    this.forget(this);
  }

  deliver(topic: string, m: Message): void {
    this.backlog.push(new PlainEvent(topic, m));
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  async drain(): Promise<void> {
    this.bus.remove(this);
    this.deliverBacklog();
    await this.dispatcher.settled();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.bus.remove(this);
    this.backlog = [];
    this.dispatcher.clear();
  }

  private deliverBacklog(): void {
    this.scheduled = false;
    const events = this.backlog;
    this.backlog = [];
    for (const ev of events) {
      if (this.stopped) return;
      this.dispatcher.dispatch(ev);
    }
  }
}

/** An in-process broker with the NATS broker's contract (subjects, wildcards, queue groups), for tests. */
export class MemoryBroker extends BaseBroker<MemorySubscriber> {
  private readonly bus: MemoryBus;
  private readonly maxPayload: number;
  private connected = false;
  private readonly topics = new TopicCheck();

  constructor(options: MemoryBrokerOptions = {}) {
    super(options);
    this.bus = options.bus ?? new MemoryBus();
    const max = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    if (!Number.isInteger(max) || max < 0) {
      throw badRequest(BROKER_ID, `broker option maxPayload: expected a number of bytes >= 0, got ${String(max)}`);
    }
    this.maxPayload = max;
  }

  toString(): string { return 'memory'; }
  address(): string { return `memory://${this.bus.name}`; }

  async publish(topic: string, m: Message, _opts?: PublishOptions): Promise<void> {
    if (!this.connected) throw notConnected(`publish to "${topic}"`);
    this.topics.publish(topic);
    checkMessage(m);
    if (m.body.length > this.maxPayload) {
      const detail = `message of ${m.body.length} bytes exceeds the max_payload of ${this.maxPayload} bytes`;
      throw payloadTooLarge(BROKER_ID, detail);
    }
    this.bus.publish(topic, m);
  }

  async subscribe(topic: string, handler: Handler, opts: SubscribeOptions = {}): Promise<Subscriber> {
    if (!this.connected || this.closing) throw notConnected(`subscribe to "${topic}"`);
    checkSubject(topic, 'topic', true);
    const queue = queueOf(opts);
    checkHandler(handler);
    const sub = new MemorySubscriber(this.bus, topic, handler, queue, this.errorHandler, this.forget, this.limits);
    this.subs.add(sub);
    return sub;
  }

  protected isOpen(): boolean { return this.connected; }
  protected isHeld(): boolean { return this.connected; }
  protected async open(): Promise<void> { this.connected = true; }
  protected async release(): Promise<void> { this.connected = false; }
}

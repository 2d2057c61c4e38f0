/**
 * Broker: asynchronous, fire-and-forget messaging. A topic is a NATS subject;
 * subscribers that share a `queue` name form a queue group and each message goes to one of them;
 * without a queue every subscriber receives every message. Delivery is at-most-once on core NATS and memory.
 * Errors are {@link MicroError}s: 400 bad topic, queue or message, 413 over the server's max_payload,
 * 503 not connected or NATS unreachable; JetStream adds 409 for a stream or consumer configured otherwise.
 *
 * Only types live here; the implementations are `NatsBroker` (`./nats`), `JetStreamBroker` (`./jetstream`, durable:
 * at-least-once, see there) and `MemoryBroker` (`./memory`).
 */
import type { Message } from '../transport/index';


/** One message delivered to a subscription (or, with `error()` set, to the error handler). */
export interface Event {
  /** The subject the message was published to (the concrete subject, also under a wildcard subscription). */
  topic(): string;
  /** The message: headers as published, the body as the raw bytes published (never re-encoded). */
  message(): Message;
  /**
   * Acknowledges the message. A no-op on core NATS and memory (at-most-once). JetStream acks the stored event
   * (it also acks by itself once the handler resolves; a second ack does nothing). Resolves, never rejects.
   */
  ack(): Promise<void>;
  /** The error the handler threw or rejected with when the event reaches the error handler; otherwise undefined. */
  error(): Error | undefined;
  /** How a persistent broker (JetStream) delivered it; absent on core NATS and memory. */
  delivery?(): Delivery;
}

/** Delivery details of a stored event. */
export interface Delivery {
  /** 1 on the first delivery, 2 on the first redelivery, and so on. */
  attempt: number;
  /** The event's sequence number in its stream. */
  streamSequence: number;
  /** True from the second delivery on. */
  redelivered: boolean;
}

/**
 * A subscription's callback. It is called once per message as messages arrive; an async handler is not
 * awaited before the next message is handed over, so handlers of one subscription may run concurrently.
 * A throw or rejection goes to the broker's `errorHandler`; the subscription keeps going.
 */
export type Handler = (e: Event) => void | Promise<void>;

/** Receives each failed handler's {@link Event}, whose `error()` returns what the handler threw. */
export type ErrorHandler = (e: Event) => void | Promise<void>;

/** Options of {@link Broker.subscribe}. */
export interface SubscribeOptions {
  /**
   * Queue group name: subscribers of the same topic with the same queue share its messages, each message
   * going to one of them. No white space. Default: none (every subscriber receives every message).
   */
  queue?: string;
}

/** Options of {@link Broker.publish}. */
export interface PublishOptions {
  /**
   * Message id: JetStream stores one event per id within the stream's duplicate window (`Nats-Msg-Id`),
   * so a retried publish is not stored twice. Ignored by core NATS and memory. Default: none.
   */
  id?: string;
  /**
   * How long a publish waits for a NATS connection that is down (reconnecting) before it fails 503 with
   * the event not sent, in ms. Default 5 000. A connected publish never waits.
   */
  timeout?: number;
}

/** Options of {@link Broker.disconnect}. */
export interface DisconnectOptions {
  /** Overrides the broker's `drain` option for this call. */
  drain?: boolean;
  /** Overrides the broker's `drainTimeout` option for this call (ms). */
  timeout?: number;
}

/** Options common to brokers (accepted by the constructors and {@link Broker.init}). */
export interface BrokerOptions {
  /**
   * Called with the Event of every handler that throws or rejects (`e.error()` is the error).
   * Its own failures are logged. Default: log the topic and error with the built-in logger.
   */
  errorHandler?: ErrorHandler;
  /**
   * `disconnect()` drains: it stops new deliveries, still delivers the messages already received,
   * and waits for in-flight handlers, at most `drainTimeout`. With false, subscriptions end at once and
   * running handlers are not awaited. Default true.
   */
  drain?: boolean;
  /**
   * Upper bound in ms on a draining `disconnect()`; handlers still running then are abandoned (they are not
   * cancelled, but disconnect stops waiting and later messages are not delivered). Default 5 000.
   */
  drainTimeout?: number;
  /**
   * Async handlers of one subscription running at once (core NATS and memory; JetStream is bounded by its
   * consumer's unacked limit instead). Later events wait for one in a FIFO. Default 1 024.
   */
  maxHandlers?: number;
  /**
   * Events of one subscription waiting for a handler; past it events are dropped (at-most-once), counted and
   * reported to `errorHandler` as an `EventsDroppedError` (503, `dropped` = the count) at most once a second.
   * Default 8 192.
   */
  maxPending?: number;
  /** Bytes of one subscription's waiting events (payload and headers); past it events are dropped like past `maxPending`. Default 64 MiB. */
  maxPendingBytes?: number;
}

/** A subscription; ends with `unsubscribe()` or with the broker's `disconnect()`. */
export interface Subscriber {
  /** The options it was subscribed with. */
  options(): SubscribeOptions;
  /** The topic (pattern) it was subscribed with, wildcards included. */
  topic(): string;
  /** Stops delivery at once: no handler is called after it resolves. Idempotent; never rejects. */
  unsubscribe(): Promise<void>;
  /**
   * Stops new deliveries, hands the events already received to the handler, and resolves once the handlers
   * running finished (a graceful stop loses nothing it received). Unbounded: callers bound it, then
   * `unsubscribe()`. Optional; without it a stop can only unsubscribe. Never rejects.
   */
  drain?(): Promise<void>;
}

/** Publishes events to topics and delivers them to subscribers (queue groups share a topic's events). */
export interface Broker {
  /**
   * Updates the common options (error handler, drain); takes effect for later messages and disconnects.
   * Throws 400 for an invalid value (nothing changes then).
   */
  init(opts?: Partial<BrokerOptions>): void;
  /** The options in force, defaults filled in. */
  options(): Required<BrokerOptions>;
  /** The connected server's URL, or the first configured one before connecting (`memory://<bus>` for memory). */
  address(): string;
  /** Connects (NATS: acquires the shared connection). Idempotent. Rejects 503 when NATS is unreachable. */
  connect(): Promise<void>;
  /**
   * Ends every subscription (draining them unless `drain` is false, bounded by `drainTimeout`) and releases the
   * connection. Publishing still works while it drains, so in-flight handlers may publish; after it resolves,
   * publish and subscribe reject 503 until the next `connect()`. Idempotent; never hangs; rejects only 400 for an
   * invalid `timeout`.
   */
  disconnect(opts?: DisconnectOptions): Promise<void>;
  /**
   * Publishes `m` to `topic` (no wildcards). Resolves once handed to the connection (fire and forget).
   * Rejects 400 for a bad topic or message, 413 over max_payload (naming the limit), 503 when not connected.
   */
  publish(topic: string, m: Message, opts?: PublishOptions): Promise<void>;
  /**
   * Subscribes `handler` to `topic` (wildcards `*` and a final `>` allowed). Resolves when the subscription is
   * in place. Rejects 400 for a bad topic or queue, 503 when not connected.
   */
  subscribe(topic: string, handler: Handler, opts?: SubscribeOptions): Promise<Subscriber>;
  /** `'nats'`, `'jetstream'` or `'memory'`. */
  toString(): string;
}

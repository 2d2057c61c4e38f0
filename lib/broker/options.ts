import { badRequest, unavailable, MicroError } from '../errors';
import { checkSubject } from '../nats/subject';
import type { Message } from '../transport/index';
import type { BrokerOptions, ErrorHandler, Event, SubscribeOptions } from './index';
import type { Logger } from '../logger';
import { consoleLogger } from '../logger/console';

import { checkBoolean, checkFunction, checkMillis, checkNumber } from '../config/check';
import { DEFAULT_BROKER_MAX_HANDLERS, DEFAULT_BROKER_MAX_PENDING, DEFAULT_BROKER_MAX_PENDING_BYTES, DEFAULT_DRAIN_TIMEOUT } from '../config/defaults';

export { DEFAULT_DRAIN_TIMEOUT };

/** The error id of everything the broker raises itself. */
export const BROKER_ID = 'micro.broker';

/**
 * An `errorHandler` logging to `log`: an event refused with a 4xx (an invalid DTO) as a warning without
 * stack (its stack at debug), anything else as an error with its stack.
 */
export function loggingErrorHandler(log: Logger): ErrorHandler {
  return (e) => {
    const err = e.error();
    const topic = e.topic();
    if (err instanceof MicroError && err.code < 500) {
      log.warn({ topic, code: err.code, error: err.message }, `event on ${topic} refused`);
      log.debug({ topic, err }, `event on ${topic} refused`);
    } else {
      log.error({ topic, err }, `subscriber of ${topic} failed`);
    }
  };
}

/** Logs a failed handler with the built-in logger: the default `errorHandler`. */
export const logHandlerError: ErrorHandler = loggingErrorHandler(consoleLogger());

/** Validates `o` eagerly (400 naming the option) and returns it merged over `base`. */
export function resolveBrokerOptions(o: Partial<BrokerOptions>, base?: Required<BrokerOptions>): Required<BrokerOptions> {
  checkFunction('broker option errorHandler', o.errorHandler, BROKER_ID);
  checkBoolean('broker option drain', o.drain, BROKER_ID);
  checkMillis('broker option drainTimeout', o.drainTimeout, 0, BROKER_ID);
  checkNumber('broker option maxHandlers', o.maxHandlers, 1, BROKER_ID);
  checkNumber('broker option maxPending', o.maxPending, 0, BROKER_ID);
  checkNumber('broker option maxPendingBytes', o.maxPendingBytes, 0, BROKER_ID);
  return {
    errorHandler: o.errorHandler ?? base?.errorHandler ?? logHandlerError,
    drain: o.drain ?? base?.drain ?? true,
    drainTimeout: o.drainTimeout ?? base?.drainTimeout ?? DEFAULT_DRAIN_TIMEOUT,
    maxHandlers: o.maxHandlers ?? base?.maxHandlers ?? DEFAULT_BROKER_MAX_HANDLERS,
    maxPending: o.maxPending ?? base?.maxPending ?? DEFAULT_BROKER_MAX_PENDING,
    maxPendingBytes: o.maxPendingBytes ?? base?.maxPendingBytes ?? DEFAULT_BROKER_MAX_PENDING_BYTES,
  };
}


/** The queue group of `opts`, or undefined for none (`''` counts as none). Throws 400 for white space. */
export function queueOf(opts: SubscribeOptions | undefined): string | undefined {
  const q = opts?.queue;
  if (q === undefined || q === '') return undefined;
  if (typeof q !== 'string' || /\s/.test(q)) {
    throw badRequest(BROKER_ID, `queue "${String(q)}" is not a valid queue group name: no white space allowed`);
  }
  return q;
}

/** Throws 400 unless `m` is a Message with a Uint8Array body and an object header (or none). */
export function checkMessage(m: Message): void {
  if (!m || !(m.body instanceof Uint8Array) || (m.header != null && typeof m.header !== 'object')) {
    throw badRequest(BROKER_ID, 'message must be { header: Record<string, string>, body: Uint8Array }');
  }
}

/** Throws 400 unless `h` is a function. */
export function checkHandler(h: unknown): void {
  if (typeof h !== 'function') throw badRequest(BROKER_ID, `subscribe: handler must be a function, got ${typeof h}`);
}

/** The 503 of a publish or subscribe on a broker that is not connected. */
export function notConnected(what: string): MicroError {
  return unavailable(BROKER_ID, `broker not connected: ${what} needs connect() first`);
}

/** Resolves true when `p` settles within `ms`, false otherwise (it is not cancelled). Never rejects. */
export function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const done = () => { clearTimeout(timer); resolve(true); };
    p.then(done, done);
  });
}

/**
 * Validates publish topics (400, no wildcards) and remembers the good ones, so the hot path pays a Set
 * lookup rather than a split and a regex per token. Bounded: forgets everything past `max` topics.
 */
export class TopicCheck {
  private readonly ok = new Set<string>();
  constructor(private readonly max = 10_000) {}

  publish(topic: string): void {
    if (this.ok.has(topic)) return;
    checkSubject(topic, 'topic');
    if (this.ok.size >= this.max) this.ok.clear();
    this.ok.add(topic);
  }
}

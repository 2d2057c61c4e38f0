import { DEFAULT_MAX_QUEUE } from '../config/defaults';
import { timeout as timeoutError, unavailable, type MicroError } from '../errors';
import type { Deadlines, Expirable } from './deadlines';
import type { Message } from './index';

/** One pending `next()`. */
class Waiter implements Expirable {
  key = -1;
  slot = -1;
  constructor(readonly queue: MessageQueue, readonly resolve: (m: Message) => void, readonly reject: (e: Error) => void,
              readonly ms: number) {}
  expire(): void { this.queue.expire(this); }
}

/**
 * The ordered backlog of one socket. Messages that arrived before a close are still delivered;
 * after them, `next()` rejects with the close reason. At most `max` messages wait unread: one more and the
 * backlog is dropped and the queue fails (503), so a peer flooding a socket grows nothing; frames dropped
 * are counted in {@link MessageQueue.dropped}.
 */
export class MessageQueue {
  private items: Message[] = [];
  private head = 0;
  private waiters: Waiter[] = [];
  private reason?: MicroError;
  private consumer?: (m: Message) => void;
  private onEnd?: () => void;
  /** Frames dropped: the backlog at an overflow, and anything pushed after it. */
  dropped = 0;

  constructor(private readonly where: string, private readonly deadlines: Deadlines, private readonly max = DEFAULT_MAX_QUEUE) {}

  get failed(): boolean {
    return this.reason !== undefined;
  }

  /** Queues a message; dropped once the queue has failed. */
  push(m: Message): void {
    if (this.reason) { this.dropped++; return; }
    if (this.consumer) { this.consumer(m); return; }
    const w = this.waiters.shift();
    if (!w) {
      if (this.items.length - this.head >= this.max) return this.overflow();
      this.items.push(m);
      return;
    }
    if (w.key >= 0) this.deadlines.cancel(w, w.key);
    w.resolve(m);
  }

  /** More than `max` unread: the backlog goes, the socket fails. */
  private overflow(): void {
    this.dropped += this.items.length - this.head + 1;
    this.items = [];
    this.head = 0;
    this.fail(unavailable('micro.transport', `more than ${this.max} messages queued unread on ${this.where}: dropped, socket failed`));
  }

  /** Ends the queue: waiting and later `next()` calls reject with `reason` once the backlog is empty. */
  fail(reason: MicroError): void {
    if (this.reason) return;
    this.reason = reason;
    this.onEnd?.();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (w.key >= 0) this.deadlines.cancel(w, w.key);
      w.reject(reason);
    }
  }

  /** Push delivery: `fn` gets the backlog now and each later message as it arrives; `onEnd` once the queue fails. */
  consume(fn: (m: Message) => void, onEnd: () => void): void {
    this.consumer = fn;
    this.onEnd = onEnd;
    while (this.head < this.items.length) fn(this.take());
    if (this.reason) onEnd();
  }

  /** The next message in order; rejects 408 after `timeoutMs` (0 waits for ever). */
  next(timeoutMs: number): Promise<Message> {
    if (this.head < this.items.length) return Promise.resolve(this.take());
    if (this.reason) return Promise.reject(this.reason);
    return new Promise<Message>((resolve, reject) => {
      const w = new Waiter(this, resolve, reject, timeoutMs);
      if (timeoutMs > 0) w.key = this.deadlines.add(w, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** A waiter's deadline passed. */
  expire(w: Waiter): void {
    const i = this.waiters.indexOf(w);
    if (i < 0) return;
    this.waiters.splice(i, 1);
    w.reject(timeoutError('micro.transport', `recv timed out after ${w.ms} ms on ${this.where}`));
  }

  private take(): Message {
    const m = this.items[this.head];
    this.items[this.head++] = undefined as unknown as Message;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return m;
  }
}

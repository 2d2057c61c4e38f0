import { timeout as timeoutError, type MicroError } from '../errors';
import type { Message } from './index';

interface Waiter {
  resolve(m: Message): void;
  reject(e: Error): void;
  timer?: NodeJS.Timeout;
}

/**
 * The ordered backlog of one socket. Messages that arrived before a close are still delivered;
 * after them, `next()` rejects with the close reason.
 */
export class MessageQueue {
  private items: Message[] = [];
  private head = 0;
  private waiters: Waiter[] = [];
  private reason?: MicroError;
  private consumer?: (m: Message) => void;
  private onEnd?: () => void;

  constructor(private readonly where: string) {}

  get failed(): boolean {
    return this.reason !== undefined;
  }

  /** Queues a message; dropped once the queue has failed. */
  push(m: Message): void {
    if (this.reason) return;
    if (this.consumer) { this.consumer(m); return; }
    const w = this.waiters.shift();
    if (!w) { this.items.push(m); return; }
    if (w.timer) clearTimeout(w.timer);
    w.resolve(m);
  }

  /** Ends the queue: waiting and later `next()` calls reject with `reason` once the backlog is empty. */
  fail(reason: MicroError): void {
    if (this.reason) return;
    this.reason = reason;
    this.onEnd?.();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (w.timer) clearTimeout(w.timer);
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
      const w: Waiter = { resolve, reject };
      if (timeoutMs > 0) {
        w.timer = setTimeout(() => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(timeoutError('micro.transport', `recv timed out after ${timeoutMs} ms on ${this.where}`));
        }, timeoutMs);
      }
      this.waiters.push(w);
    });
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

/** A {@link Watcher} fed by its registry: an ordered, bounded queue of results. */
import type { MicroError } from '../errors';
import { WatcherStoppedError, type Result, type Watcher } from './index';

/** Results kept for a watcher that does not consume them; beyond, the oldest are dropped. */
export const MAX_PENDING_RESULTS = 10_000;

interface Waiter { resolve(r: Result): void; reject(e: Error): void }

export class QueueWatcher implements Watcher {
  private items: Result[] = [];
  private head = 0;
  private waiters: Waiter[] = [];
  private reason?: MicroError;

  /**
   * @param service only results of this name are pushed (undefined: all)
   * @param onStop called once when the watcher stops or fails (unsubscribe, forget)
   */
  constructor(readonly service: string | undefined, private readonly onStop: () => void) {}

  /** True once stopped or failed. */
  get done(): boolean {
    return this.reason !== undefined;
  }

  /** Delivers a result (filtered by name). */
  push(r: Result): void {
    if (this.reason || (this.service !== undefined && r.service.name !== this.service)) return;
    const w = this.waiters.shift();
    if (w) { w.resolve(r); return; }
    this.items.push(r);
    if (this.items.length - this.head > MAX_PENDING_RESULTS) this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) { this.items = this.items.slice(this.head); this.head = 0; }
  }

  next(): Promise<Result> {
    if (this.reason) return Promise.reject(this.reason);
    if (this.head < this.items.length) {
      const r = this.items[this.head];
      this.items[this.head++] = undefined as unknown as Result;
      return Promise.resolve(r);
    }
    return new Promise<Result>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  stop(): void {
    this.fail(new WatcherStoppedError());
  }

  /** Ends the watcher with `reason` (pending results are dropped: a watch that failed cannot be trusted). */
  fail(reason: MicroError): void {
    if (this.reason) return;
    this.reason = reason;
    this.items = [];
    this.head = 0;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(reason);
    this.onStop();
  }

  /** Iterates results until `stop()`; leaving the loop early (break, return, throw) stops the watcher. */
  async *[Symbol.asyncIterator](): AsyncIterator<Result> {
    try {
      for (;;) {
        let r: Result;
        try {
          r = await this.next();
        } catch (err) {
          if (err instanceof WatcherStoppedError) return;
          throw err;
        }
        yield r;
      }
    } finally {
      this.stop();
    }
  }
}

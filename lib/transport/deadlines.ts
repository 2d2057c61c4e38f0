/** Something waiting with a deadline. */
export interface Expirable { expire(): void }

/**
 * Receive deadlines of a transport's sockets, in 10 ms buckets served by one interval timer while any is
 * pending. Every call waits with a deadline, and a Node timer per wait (allocate, arm, clear) cost more than
 * the rest of the wait's bookkeeping; a bucket entry costs a Set insert and delete. Deadlines fire up to one
 * tick late, never early.
 */
export class Deadlines {
  private readonly buckets = new Map<number, Set<Expirable>>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly tickMs = 10) {}

  /** Schedules `w.expire()` after `ms`; returns the key to `cancel` it with. */
  add(w: Expirable, ms: number): number {
    const key = Math.ceil((Date.now() + ms) / this.tickMs);
    let b = this.buckets.get(key);
    if (!b) this.buckets.set(key, (b = new Set()));
    b.add(w);
    this.timer ??= setInterval(() => this.tick(), this.tickMs);
    return key;
  }

  cancel(w: Expirable, key: number): void {
    const b = this.buckets.get(key);
    if (!b) return;
    b.delete(w);
    if (b.size === 0) this.buckets.delete(key);
  }

  private tick(): void {
    const now = Date.now() / this.tickMs;
    for (const [key, b] of this.buckets) {
      if (key > now) continue;
      this.buckets.delete(key);
      for (const w of b) w.expire();
    }
    if (this.buckets.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

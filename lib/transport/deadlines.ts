/** Something waiting with a deadline; `slot` is where its bucket keeps it (set by {@link Deadlines}). */
export interface Expirable { expire(): void; slot: number }

/**
 * Receive deadlines of a transport's sockets, in 10 ms buckets served by one interval timer while any is
 * pending. Every call waits with a deadline, and a Node timer per wait (allocate, arm, clear) cost more than
 * the rest of the wait's bookkeeping. A bucket is an array, each waiter knowing its index: adding and
 * cancelling cost no hashing (a `Set` gives every fresh waiter an identity hash). Deadlines fire up to one
 * tick late, never early.
 */
export class Deadlines {
  private readonly buckets = new Map<number, Expirable[]>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly tickMs = 10) {}

  /** Schedules `w.expire()` after `ms`; returns the key to `cancel` it with. */
  add(w: Expirable, ms: number): number {
    const key = Math.ceil((Date.now() + ms) / this.tickMs);
    let b = this.buckets.get(key);
    if (!b) this.buckets.set(key, (b = []));
    w.slot = b.length;
    b.push(w);
    this.timer ??= setInterval(() => this.tick(), this.tickMs);
    return key;
  }

  /** Unschedules `w` (no-op when it is not in bucket `key`): the bucket's last waiter takes its place. */
  cancel(w: Expirable, key: number): void {
    const b = this.buckets.get(key);
    const i = w.slot;
    if (!b || b[i] !== w) return;
    const last = b.pop()!;
    if (last !== w) { b[i] = last; last.slot = i; }
    if (b.length === 0) this.buckets.delete(key);
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

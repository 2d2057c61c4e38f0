import type { RequestContext } from '../context';

/**
 * The contexts of the requests a server is running, for a graceful stop (their deadlines, then aborting
 * them). An array with each context's index kept on it: adding and removing cost no hashing, unlike a
 * `Set` of fresh objects, which gives each context an identity hash on every request.
 */
export class Running implements Iterable<RequestContext> {
  private readonly list: RequestContext[] = [];

  get size(): number { return this.list.length; }

  add(ctx: RequestContext): void {
    if (ctx.slot >= 0) return;
    ctx.slot = this.list.length;
    this.list.push(ctx);
  }

  /** Removes `ctx` (no-op when absent): the last context takes its place. */
  delete(ctx: RequestContext): void {
    const i = ctx.slot;
    if (i < 0 || this.list[i] !== ctx) return;
    const last = this.list.pop()!;
    if (last !== ctx) { this.list[i] = last; last.slot = i; }
    ctx.slot = -1;
  }

  [Symbol.iterator](): Iterator<RequestContext> {
    return this.list.slice()[Symbol.iterator]();
  }
}

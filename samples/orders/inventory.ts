/** The inventory service: reserves stock, answering 409 when there is not enough. */
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'inversify';
import { IsInt, IsString, Max, Min, MinLength } from 'class-validator';
import { conflict, Handler, notFound, refused, Service, type Context } from 'micro-nats';

export class ReserveRequest {
  @IsString() @MinLength(1) sku!: string;
  @IsInt() @Min(1) @Max(100) qty!: number;
}

/** The stock database, shared by every inventory instance. */
export class Stock {
  private readonly items = new Map<string, number>([['apple', 10], ['pear', 5], ['piano', 1]]);
  /** Items kept in the off-site warehouse take a second to check. */
  readonly offSite = new Set(['piano']);

  left(sku: string): number | undefined { return this.items.get(sku); }
  take(sku: string, qty: number): number {
    const left = this.items.get(sku)! - qty;
    this.items.set(sku, left);
    return left;
  }
}

/** What one inventory instance knows about itself: whether it reaches the database, and what it refused. */
export class InventoryInstance {
  databaseUp = true;
  refused = 0;
  abandoned = 0;
  constructor(readonly name: string) {}
}

@Service({ name: 'inventory', version: '1.0.0' })
export class Inventory {
  constructor(@inject(Stock) private readonly stock: Stock, @inject(InventoryInstance) private readonly self: InventoryInstance) {}

  @Handler()
  async reserve(req: ReserveRequest, ctx: Context) {
    if (!this.self.databaseUp) {
      this.self.refused++;
      // A refusal (503 micro.server.refused) says nothing was done, so the client re-sends it to another instance.
      throw refused(`${this.self.name} cannot reach the stock database`);
    }
    if (this.stock.offSite.has(req.sku)) {
      // ctx.signal aborts at the caller's deadline: stop working for a caller that has given up.
      try {
        await sleep(1_000, undefined, { signal: ctx.signal });
      } catch {
        this.self.abandoned++;
        throw ctx.signal.reason;
      }
    }
    const left = this.stock.left(req.sku);
    if (left === undefined) throw notFound('inventory', `no such item: ${req.sku}`);
    if (left < req.qty) throw conflict('inventory', `only ${left} ${req.sku} left, ${req.qty} wanted`);
    return { sku: req.sku, qty: req.qty, left: this.stock.take(req.sku, req.qty) };
  }
}

/** The orders service: validates an order, reserves it in inventory, announces it on `orders.created`. */
import { inject } from 'inversify';
import { IsInt, IsString, Max, Min, MinLength } from 'class-validator';
import { Handler, InjectClient, Service, TYPES, type Client, type ServiceClient } from 'micro-nats';
import { Inventory } from './inventory';

export class PlaceOrder {
  @IsString() @MinLength(1) sku!: string;
  @IsInt() @Min(1) @Max(100) qty!: number;
}

@Service({ name: 'orders', version: '1.0.0' })
export class Orders {
  /** A typed client of the inventory service: `reserve` mirrors `Inventory.reserve`. */
  @InjectClient(Inventory) private readonly inventory!: ServiceClient<Inventory>;
  private lastId = 0;

  constructor(@inject(TYPES.Client) private readonly client: Client) {}

  @Handler()
  async place(order: PlaceOrder) {
    // This call inherits the caller's remaining deadline; an error from inventory (409, 408, 503)
    // reaches our caller as it is, so there is nothing to catch here.
    const { left } = await this.inventory.reserve({ sku: order.sku, qty: order.qty });
    const id = ++this.lastId;
    await this.client.publish('orders.created', { id, sku: order.sku, qty: order.qty });
    return { id, sku: order.sku, qty: order.qty, left };
  }
}

/** The shipping service: ships each placed order once, from durable `orders.placed` events. */
import { inject } from 'inversify';
import { IsInt, IsString, Min } from 'class-validator';
import { Service, Subscribe, type Context } from 'micro-nats';

export class OrderPlaced {
  @IsInt() @Min(1) id!: number;
  @IsString() sku!: string;
}

/** What this instance did (a stand-in for the warehouse system), and whether it crashes mid-shipment. */
export class Warehouse {
  readonly shipped: { id: number; attempt: number; redelivered: boolean }[] = [];
  constructor(readonly crashMidShipment = false) {}
}

@Service('shipping')
export class Shipping {
  constructor(@inject(Warehouse) private readonly warehouse: Warehouse) {}

  // One durable consumer shared by every shipping instance: an event not acked within a second
  // (its instance died) goes to another instance; after 5 failed deliveries it goes to dlq.orders.placed.
  @Subscribe('orders.placed', { queue: 'shipping', durable: true, ackWait: 1_000, maxDeliver: 5 })
  async ship(order: OrderPlaced, ctx: Context) {
    if (this.warehouse.crashMidShipment) {
      process.stdout.write(`crash while shipping order ${order.id}\n`);
      process.kill(process.pid, 'SIGKILL'); // a real crash: no ack, no goodbye
    }
    const d = ctx.delivery!;
    this.warehouse.shipped.push({ id: order.id, attempt: d.attempt, redelivered: d.redelivered });
  }
}

/** The notifier service: tells customers about new orders, from the `orders.created` events. */
import { inject } from 'inversify';
import { IsInt, IsString, Min } from 'class-validator';
import { Service, Subscribe } from 'micro-nats';

export class OrderCreated {
  @IsInt() @Min(1) id!: number;
  @IsString() sku!: string;
  @IsInt() @Min(1) qty!: number;
}

/** Messages sent to customers (a stand-in for e-mail). */
export class Outbox {
  readonly sent: string[] = [];
}

@Service('notifier')
export class Notifier {
  constructor(@inject(Outbox) private readonly outbox: Outbox) {}

  // The queue group: however many notifier instances run, each order is announced once.
  @Subscribe('orders.created', { queue: 'notifier' })
  async onOrderCreated(evt: OrderCreated) {
    this.outbox.sent.push(`order ${evt.id} (${evt.qty} x ${evt.sku}) is on its way`);
  }
}

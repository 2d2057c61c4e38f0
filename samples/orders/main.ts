/**
 * Three services — orders, inventory (two instances) and notifier — each bootstrapped as its own process
 * would do it, talking only through NATS. Shows errors crossing the wire, deadlines and retries.
 *
 * Run: node dist/samples/orders/main.js [--registry_address … --transport_address … --broker_address …]
 */
import 'reflect-metadata';
import { Container, type ServiceIdentifier } from 'inversify';
import { bootstrap, MicroError, type App, type BootstrapOptions } from 'micro-nats';
import { Inventory, InventoryInstance, Stock } from './inventory';
import { Notifier, Outbox } from './notifier';
import { Orders } from './orders';

/** Where NATS is, as bootstrap reads it (default: MICRO_* env and go-micro flags, else nats://127.0.0.1:4222). */
export type NatsConfig = Pick<BootstrapOptions, 'address' | 'argv' | 'env'>;

/** What happened: the replies and errors the caller got, and the state the services left behind. */
export interface Outcome {
  replies: unknown[];
  errors: MicroError[];
  outbox: Outbox;
  stock: Stock;
  instances: InventoryInstance[];
}

export async function main(nats: NatsConfig = {}, print: (line: string) => void = console.log): Promise<Outcome> {
  const out: Outcome = { replies: [], errors: [], outbox: new Outbox(), stock: new Stock(),
    instances: [new InventoryInstance('inventory-1'), new InventoryInstance('inventory-2')] };
  const apps: App[] = [];
  /** Starts services as their own process would: its own container (with these bindings), its own connection. */
  const start = async (services: Function[], bindings: [ServiceIdentifier, unknown][] = [], extra: Partial<BootstrapOptions> = {}) => {
    const container = new Container();
    for (const [id, value] of bindings) container.bind(id).toConstantValue(value);
    const app = await bootstrap({ ...nats, ...extra, services, container });
    apps.push(app);
    return app;
  };
  try {
    for (const self of out.instances) await start([Inventory], [[Stock, out.stock], [InventoryInstance, self]]);
    await start([Notifier], [[Outbox, out.outbox]]);
    // Orders retries a failed inventory call twice, on another instance each time; round robin makes it repeatable.
    await start([Orders], [], { client: { retries: 2, selector: 'roundRobin' } });
    const shop = await start([]);   // the caller: a pure client, like a web front end
    print('Up: orders, inventory (2 instances), notifier.\n');
    await scenarios(shop, out, print);
  } finally {
    for (const app of apps.reverse()) await app.stop();
  }
  return out;
}

async function scenarios(shop: App, out: Outcome, print: (line: string) => void): Promise<void> {
  const orders = shop.client.proxy(Orders);
  /** Places an order and prints the reply, or the error that crossed the wire. */
  const place = async (sku: string, qty: number, opts: { timeout?: number } = {}, quiet = false) => {
    const call = `orders.place({ sku: '${sku}', qty: ${qty} }${opts.timeout ? `, { timeout: ${opts.timeout} }` : ''})`;
    try {
      const reply = await orders.place({ sku, qty }, opts);
      out.replies.push(reply);
      if (!quiet) print(`   ${call} -> ${JSON.stringify(reply)}`);
    } catch (err) {
      if (!(err instanceof MicroError)) throw err;
      out.errors.push(err);
      print(`   ${call} -> ${err.code} ${err.status} from ${err.id}: ${err.detail}`);
      for (const e of err.errors ?? []) print(`      ${e.property}: ${Object.values(e.constraints).join('; ')}`);
    }
  };

  print('1. An order: orders reserves it in inventory and publishes orders.created');
  await place('apple', 3);
  await until(() => out.outbox.sent.length === 1, 'the notifier');
  print(`   notifier (from the orders.created event): ${out.outbox.sent[0]}`);

  print('2. An invalid order is refused by validation, with field errors');
  await place('', 0);

  print('3. A 409 thrown in inventory reaches the caller through orders');
  await place('apple', 50);

  print('4. Deadlines travel with the request: the caller allows 500 ms, the piano takes 1 s to check');
  await place('piano', 1, { timeout: 500 });
  await until(() => out.instances.some((i) => i.abandoned > 0), 'inventory to give up');
  print(`   inventory stopped checking at the deadline (ctx.signal); pianos in stock: ${out.stock.left('piano')}`);

  print('5. inventory-2 loses its database and answers 503; orders retries on inventory-1');
  out.instances[1].databaseUp = false;
  const before = out.replies.length;
  for (let i = 0; i < 4; i++) await place('pear', 1, {}, true);
  print(`   4 orders of 1 pear: ${out.replies.length - before} placed; inventory-2 refused ${out.instances[1].refused} attempts, `
    + 'each retried on inventory-1');
  await until(() => out.outbox.sent.length === 5, 'the notifier');
}

/** Polls `cond` until it holds; throws after `ms`. */
async function until(cond: () => boolean, what: string, ms = 5_000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
  }
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(`orders sample failed: ${err.message}`);
    process.exit(1);
  });
}

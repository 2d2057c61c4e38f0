/**
 * Durable events on JetStream: an order event survives the shipping instance that crashed while handling it.
 * A shipping instance (its own process) takes the event and dies mid-handler; the event was never acked, so
 * JetStream hands it to the other shipping instance a second later, which ships it on attempt 2.
 *
 * Run (nats-server -js): MICRO_BROKER_ADDRESS=nats://… node dist/samples/durable/main.js
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Container } from 'inversify';
import { bootstrap, type App } from 'micro-nats';
import { Shipping, Warehouse } from './shipping';

export interface Outcome { warehouse: Warehouse; crashed: boolean }

/** Starts the crashing instance in a child process and resolves once it subscribed. */
function startCrashingWorker(address: string): Promise<{ exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [join(__dirname, 'worker.js')], {
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, MICRO_BROKER: 'jetstream', MICRO_BROKER_ADDRESS: address, MICRO_TRANSPORT_ADDRESS: address,
      MICRO_REGISTRY_ADDRESS: address },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal === 'SIGKILL' ? 1 : 0)));
  process.once('exit', () => child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('ready')) resolve({ exited }); });
    void exited.then(() => reject(new Error(`the worker exited before it was ready: ${out}`)));
  });
}

export async function main(address = 'nats://127.0.0.1:4222', print: (line: string) => void = console.log): Promise<Outcome> {
  const apps: App[] = [];
  const out: Outcome = { warehouse: new Warehouse(), crashed: false };
  try {
    const worker = await startCrashingWorker(address);
    print('Up: shipping-1 (its own process, crashes mid-shipment).');
    const shop = await bootstrap({ address, broker: 'jetstream', argv: [], env: {} });
    apps.push(shop);
    await shop.client.publish('orders.placed', { id: 1, sku: 'apple' }, { id: 'order-1' }); // resolves once stored
    print('Published orders.placed #1 (stored by JetStream).');
    out.crashed = (await worker.exited) === 1;
    print('shipping-1 crashed while shipping order 1: the event was not acked.');
    const container = new Container();
    container.bind(Warehouse).toConstantValue(out.warehouse);
    apps.push(await bootstrap({ address, broker: 'jetstream', services: [Shipping], container, argv: [], env: {} }));
    print('Up: shipping-2.');
    const until = Date.now() + 10_000;
    while (out.warehouse.shipped.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    for (const s of out.warehouse.shipped) print(`shipping-2 shipped order ${s.id} on attempt ${s.attempt} (redelivered: ${s.redelivered}).`);
  } finally {
    for (const app of apps.reverse()) await app.stop();
  }
  return out;
}

if (require.main === module) {
  main(process.env.MICRO_BROKER_ADDRESS).catch((err) => { console.error(err); process.exitCode = 1; });
}

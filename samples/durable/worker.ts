/**
 * A shipping instance in its own process that crashes (SIGKILL) in the middle of its first shipment.
 * Configured like any deployment, through the environment: MICRO_BROKER=jetstream, MICRO_BROKER_ADDRESS=nats://… (and the transport's and registry's)
 */
import 'reflect-metadata';
import { Container } from 'inversify';
import { bootstrap } from 'micro-nats';
import { Shipping, Warehouse } from './shipping';

async function run(): Promise<void> {
  const container = new Container();
  container.bind(Warehouse).toConstantValue(new Warehouse(true));
  await bootstrap({ services: [Shipping], container });
  process.stdout.write('ready\n');
}

run().catch((err) => { console.error(err); process.exit(1); });

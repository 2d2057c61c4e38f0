/** Baseline for memory: a raw nats.js client that connects, subscribes once and idles; reports its RSS. */
import { connect } from '@nats-io/transport-node';
import { reportIdleRss } from './idle-rss';

async function main(): Promise<void> {
  const nc = await connect({ servers: process.argv[2] });
  nc.subscribe('bench.idle', { callback: () => undefined });
  await nc.flush();
  await reportIdleRss();
  await nc.close();
}

main().catch((err) => { console.error(err); process.exit(1); });

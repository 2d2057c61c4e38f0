/** Baseline for memory: a raw nats.js client that connects, subscribes once and idles; reports its RSS. */
import { connect } from '@nats-io/transport-node';

async function main(): Promise<void> {
  const nc = await connect({ servers: process.argv[2] });
  nc.subscribe('bench.idle', { callback: () => undefined });
  await nc.flush();
  await new Promise((r) => setTimeout(r, 1_000));
  global.gc?.();
  process.send!({ type: 'rss', rss: process.memoryUsage().rss });
  await nc.close();
}

main().catch((err) => { console.error(err); process.exit(1); });

/**
 * Durable events: raw @nats-io/jetstream vs JetStreamBroker, in the same run on one nats-server (-js, file
 * storage) started for it. Per side and round: N events of 128 B published with at most WINDOW publishes
 * awaiting their PubAck at once (both sides alike), then consumed by one pull consumer that acks each after
 * its handler. Reported: stored publishes/s (until the last PubAck) and consumed events/s (first delivery
 * to the N-th ack), the median of the rounds, and micro-nats as a ratio of raw.
 * Run: part of `npm run bench`; alone: node dist/bench/jetstream.js [events=20000] [rounds=3]
 */
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { JetStreamBroker } from '../lib/broker/jetstream';
import { startNatsServer } from '../lib/testing';

const N = Number(process.argv[2] ?? 20_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const WINDOW = 256;
const body = new Uint8Array(128).fill(120);

interface Run { publish: number; consume: number }

/** Calls `publish(i)` N times with at most WINDOW in flight; resolves when all resolved. */
async function windowed(publish: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => { while (next < N) await publish(next++); };
  await Promise.all(Array.from({ length: WINDOW }, lane));
}

const rate = (t0: number) => N / ((performance.now() - t0) / 1000);

async function raw(url: string, round: number): Promise<Run> {
  const nc = await connect({ servers: url });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const stream = `RAW${round}`;
  await jsm.streams.add({ name: stream, subjects: [`raw${round}.>`] });
  const t0 = performance.now();
  await windowed(() => js.publish(`raw${round}.events`, body));
  const publish = rate(t0);
  await jsm.consumers.add(stream, { durable_name: 'bench', ack_policy: AckPolicy.Explicit });
  const consumer = await js.consumers.get(stream, 'bench');
  let n = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => { done = r; });
  const t1 = performance.now();
  const msgs = await consumer.consume({ max_messages: 256, callback: (m) => { m.ack(); if (++n === N) done(); } });
  await finished;
  const consume = rate(t1);
  await msgs.close();
  await jsm.streams.delete(stream);
  await nc.close();
  return { publish, consume };
}

async function micro(url: string, round: number): Promise<Run> {
  const stream = `MICRO${round}`;
  const b = new JetStreamBroker({ servers: url, jetstream: { stream: { name: stream, subjects: [`micro${round}.>`] } } });
  await b.connect();
  const m = { header: {}, body };
  const t0 = performance.now();
  await windowed(() => b.publish(`micro${round}.events`, m));
  const publish = rate(t0);
  let n = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => { done = r; });
  const t1 = performance.now();
  await b.subscribe(`micro${round}.events`, () => { if (++n === N) done(); }, { queue: 'bench', deliverPolicy: 'all' });
  await finished;
  const consume = rate(t1);
  await b.disconnect();
  const nc = await connect({ servers: url });
  await (await jetstreamManager(nc)).streams.delete(stream);
  await nc.close();
  return { publish, consume };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const server = await startNatsServer({ jetstream: true });
  try {
    const runs: { raw: Run; micro: Run }[] = [];
    for (let r = 0; r < ROUNDS; r++) runs.push({ raw: await raw(server.url, r), micro: await micro(server.url, r) });
    console.log(`JetStream, ${N} events of ${body.length} B, file storage, ${WINDOW} publishes in flight, median of ${ROUNDS}:`);
    for (const k of ['publish', 'consume'] as const) {
      const rawRate = median(runs.map((x) => x.raw[k]));
      const microRate = median(runs.map((x) => x.micro[k]));
      console.log(`  ${k.padEnd(8)} raw ${Math.round(rawRate).toLocaleString('en')}/s  micro-nats ${Math.round(microRate).toLocaleString('en')}/s`
        + `  ratio ${(microRate / rawRate).toFixed(2)}`);
    }
  } finally {
    await server.stop();
  }
}

main().catch((err) => { console.error(err); process.exitCode = 1; });

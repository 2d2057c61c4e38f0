/**
 * Quick throughput check: raw nats.js publish→subscribe vs NatsBroker publish→subscribe, 100k messages of
 * 128 B, one connection each, on a nats-server started for the run; the median of the rounds is reported.
 * Two calling styles, compared like for like:
 *  - burst: publish in a loop without awaiting each call (nats.js batches the socket writes);
 *  - await: await every publish (the event loop's microtasks run between calls, and nats.js then writes
 *    each message to the socket on its own: several times slower, raw or not).
 * Also printed: this process's CPU time per message (publisher and subscriber together), which other load on
 * the machine disturbs less than wall-clock throughput does.
 * Run: npx tsc -p . ; node dist/bench/broker-quick.js [rounds]
 */
import { connect } from '@nats-io/transport-node';
import { NatsBroker } from '../lib/broker/nats';
import { startNatsServer } from '../lib/testing';

const N = 100_000;
const SIZE = 128;
const body = new Uint8Array(SIZE).fill(120);

/** msgs/s from the first publish until the N-th message has reached the handler. */
type Style = 'burst' | 'await';
/** One run: msgs/s (wall clock) and CPU µs per message of this process. */
interface Run { rate: number; cpu: number }

function measure(t0: number, c0: NodeJS.CpuUsage): Run {
  const c = process.cpuUsage(c0);
  return { rate: N / ((performance.now() - t0) / 1000), cpu: (c.user + c.system) / N };
}

async function raw(url: string, subject: string, style: Style): Promise<Run> {
  const nc = await connect({ servers: url });
  let n = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => { done = r; });
  let bytes = 0;
  nc.subscribe(subject, { callback: (_err, m) => { bytes += m.data.length; if (++n === N) done(); } });
  await nc.flush();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  if (style === 'burst') for (let i = 0; i < N; i++) nc.publish(subject, body);
  else for (let i = 0; i < N; i++) await nc.publish(subject, body);
  await finished;
  const run = measure(t0, c0);
  await nc.close();
  if (bytes !== N * SIZE) throw new Error('raw: wrong byte count');
  return run;
}

async function broker(url: string, subject: string, style: Style): Promise<Run> {
  const b = new NatsBroker({ servers: url });
  await b.connect();
  let n = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => { done = r; });
  let bytes = 0;
  await b.subscribe(subject, (e) => { bytes += e.message().body.length; if (++n === N) done(); });
  const m = { header: {}, body };
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  if (style === 'burst') {
    let last: Promise<void> = Promise.resolve();
    for (let i = 0; i < N; i++) last = b.publish(subject, m);
    await last; // a rejection would surface as an unhandled rejection and end the run
  } else {
    for (let i = 0; i < N; i++) await b.publish(subject, m);
  }
  await finished;
  const run = measure(t0, c0);
  await b.disconnect();
  if (bytes !== N * SIZE) throw new Error('broker: wrong byte count');
  return run;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x: number) => `${Math.round(x).toLocaleString('en-US')} msgs/s`;

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 5);
  const server = await startNatsServer();
  try {
    for (const style of ['burst', 'await'] as const) {
      await raw(server.url, 'warm.raw', style);
      await broker(server.url, 'warm.broker', style);
      const r: Run[] = [];
      const b: Run[] = [];
      for (let i = 0; i < rounds; i++) {
        // Alternate which one goes first, so neither always runs on a warmer machine.
        if (i % 2 === 0) { r.push(await raw(server.url, `bench.raw.${i}`, style)); b.push(await broker(server.url, `bench.broker.${i}`, style)); }
        else { b.push(await broker(server.url, `bench.broker.${i}`, style)); r.push(await raw(server.url, `bench.raw.${i}`, style)); }
      }
      const [rr, br] = [median(r.map((x) => x.rate)), median(b.map((x) => x.rate))];
      const [rc, bc] = [median(r.map((x) => x.cpu)), median(b.map((x) => x.cpu))];
      console.log(`${style.padEnd(5)} (${N.toLocaleString('en-US')} x ${SIZE} B, median of ${rounds}): raw ${fmt(rr)}  broker ${fmt(br)}  ` +
        `ratio ${(br / rr).toFixed(2)} | cpu/msg raw ${rc.toFixed(2)} µs  broker ${bc.toFixed(2)} µs  (raw/broker ${(rc / bc).toFixed(2)})`);
    }
  } finally {
    await server.stop();
  }
}

main().catch((err) => { console.error(err); process.exit(1); });

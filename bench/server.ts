/**
 * The benchmark's server process: a raw nats.js responder and subscriber (the baselines) and the same work
 * as a decorated micro-nats service. Talks to the parent over IPC: reports readiness, event counts, RSS.
 */
import 'reflect-metadata';
import { connect } from '@nats-io/transport-node';
import { bootstrap } from '../index';
import { Bench, events } from './service';

const send = (m: object) => process.send!(m);
let peakRss = 0;

async function main(): Promise<void> {
  const url = process.argv[2];
  const nc = await connect({ servers: url });
  const te = new TextEncoder();
  const td = new TextDecoder();
  nc.subscribe('bench.raw.hello', { callback: (_e, m) => { const r = JSON.parse(td.decode(m.data)); m.respond(te.encode(JSON.stringify({ msg: `Hello ${r.name}` }))); } });
  nc.subscribe('bench.raw.echo', { callback: (_e, m) => { m.respond(te.encode(JSON.stringify(JSON.parse(td.decode(m.data))))); } });
  nc.subscribe('bench.raw.events', { callback: (_e, m) => { JSON.parse(td.decode(m.data)); events.raw++; if (events.raw === events.want) events.onDone('raw'); } });
  await nc.flush();
  events.onDone = (kind) => send({ type: 'events', kind });
  const app = await bootstrap({ services: [Bench], address: url, argv: [], env: {} });
  setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 50).unref();
  process.on('message', (m: { type: string; n?: number }) => {
    if (m.type === 'expect') { events.raw = 0; events.micro = 0; events.want = m.n!; send({ type: 'expecting' }); }
    if (m.type === 'rss') { global.gc?.(); send({ type: 'rss', rss: process.memoryUsage().rss, peak: peakRss }); }
    if (m.type === 'cpu') { const c = process.cpuUsage(); send({ type: 'cpu', us: c.user + c.system }); }
    if (m.type === 'stop') void app.stop().then(() => nc.close()).then(() => process.exit(0));
  });
  send({ type: 'ready' });
}

main().catch((err) => { console.error(err); process.exit(1); });

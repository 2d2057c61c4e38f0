/** Quick RPC probe for profiling: node dist/bench/quick-rpc.js [concurrency] [rounds] */
import 'reflect-metadata';
import { connect } from '@nats-io/transport-node';
import { bootstrap } from '../index';
import { startNatsServer } from '../lib/testing';
import { Child } from './child';
import { callers, interleave, type Caller } from './rpc';
import { median } from './stats';

async function main(): Promise<void> {
  const c = Number(process.argv[2] ?? 64);
  const rounds = Number(process.argv[3] ?? 3);
  const total = Number(process.argv[4] ?? 20_000);
  const server = await startNatsServer();
  const child = new Child('server.js', [server.url]);
  await child.wait('ready');
  const nc = await connect({ servers: server.url });
  const app = await bootstrap({ address: server.url, argv: [], env: {} });
  const names = (process.argv[5]?.split(',') ?? ['hand-rolled', 'micro-nats', 'nc.request', 'micro-nats DTO']) as Caller[];
  const res = await interleave(callers(nc, app, 'hello', { name: 'John' }), names, rounds, total, c, 2_000);
  const base = median((res['hand-rolled'] ?? res[names[0]]).map((r) => r.rps));
  for (const n of names) {
    const rps = median(res[n].map((r) => r.rps));
    console.log(`${n.padEnd(16)} ${rps.toFixed(0).padStart(7)} req/s  ratio ${(rps / base).toFixed(3)}  p50 ${median(res[n].map((r) => r.p50)).toFixed(3)} ms  cpu ${median(res[n].map((r) => r.cpuUs)).toFixed(1)} µs`);
  }
  await app.stop();
  await nc.close();
  await child.stop();
  await server.stop();
}

main().catch((err) => { console.error(err); process.exit(1); });

/**
 * CPU probe: client and server CPU µs per request (RPC, hand-rolled vs micro-nats) and per event (raw vs
 * client.publish→@Subscribe), interleaved, server in a child process. CPU per unit of work is steadier than
 * throughput on a loaded machine. Run: npx tsc -p . ; node dist/bench/quick-cpu.js [rounds] [c]
 */
import 'reflect-metadata';
import { connect } from '@nats-io/transport-node';
import { bootstrap } from '../index';
import { startNatsServer } from '../lib/testing';
import { Child } from './child';
import { eventsRun } from './events';
import { callers, interleave, type Caller } from './rpc';
import { median } from './stats';

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 5);
  const c = Number(process.argv[3] ?? 64);
  const what = process.argv[4] ?? 'rpc,events';
  const server = await startNatsServer();
  const child = new Child('server.js', [server.url]);
  await child.wait('ready');
  const nc = await connect({ servers: server.url });
  const app = await bootstrap({ address: server.url, argv: [], env: {} });
  const serverCpu = async () => (await child.wait<{ us: number }>('cpu', { type: 'cpu' })).us;
  const fmt = (xs: number[]) => median(xs).toFixed(2).padStart(6);
  if (what.includes('rpc')) {
    const names = (process.argv[5]?.split(',') ?? ['hand-rolled', 'micro-nats']) as Caller[];
    const res = await interleave(callers(nc, app, 'hello', { name: 'John' }), names, rounds, 20_000, c, 2_000, serverCpu);
    for (const n of names) {
      const r = res[n];
      console.log(`rpc c=${c} ${n.padEnd(12)} ${median(r.map((x) => x.rps)).toFixed(0).padStart(7)} req/s  p50 ${median(r.map((x) => x.p50)).toFixed(3)}  client ${fmt(r.map((x) => x.cpuUs))} µs  server ${fmt(r.map((x) => x.serverCpuUs!))} µs  sum ${fmt(r.map((x) => x.cpuUs + x.serverCpuUs!))}`);
    }
    // Per round, CPU of each caller relative to the first one's in the same round (load on the machine cancels out).
    const sum = (x: { cpuUs: number; serverCpuUs?: number }) => x.cpuUs + x.serverCpuUs!;
    for (const n of names.slice(1)) console.log(`rpc c=${c} ${n} CPU / ${names[0]} CPU, median of rounds: ${median(res[n].map((x, i) => sum(x) / sum(res[names[0]][i]))).toFixed(3)}`);
  }
  if (what.includes('events')) {
    const n = 100_000;
    const out: Record<string, { rate: number; cli: number; srv: number }[]> = { raw: [], micro: [] };
    for (let r = 0; r < rounds; r++) {
      for (const k of ['raw', 'micro'] as const) {
        const s0 = await serverCpu();
        const c0 = process.cpuUsage();
        const rate = await eventsRun(k, n, child, nc, app);
        const cu = process.cpuUsage(c0);
        out[k].push({ rate, cli: (cu.user + cu.system) / n, srv: ((await serverCpu()) - s0) / n });
      }
    }
    console.log(`events micro CPU / raw CPU, median of rounds: ${median(out.micro.map((x, i) => (x.cli + x.srv) / (out.raw[i].cli + out.raw[i].srv))).toFixed(3)}`);
    for (const k of ['raw', 'micro']) {
      const r = out[k];
      console.log(`events ${k.padEnd(6)} ${median(r.map((x) => x.rate)).toFixed(0).padStart(7)} msg/s  client ${fmt(r.map((x) => x.cli))} µs  server ${fmt(r.map((x) => x.srv))} µs  sum ${fmt(r.map((x) => x.cli + x.srv))}`);
    }
  }
  await app.stop();
  await nc.close();
  await child.stop();
  await server.stop();
}

main().catch((err) => { console.error(err); process.exit(1); });

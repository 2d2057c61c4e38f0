/**
 * `npm run bench`: micro-nats against raw NATS in one run, on a nats-server started for it. Each scenario
 * runs several times, interleaved with its baseline; medians, min–max and ratios are printed and written
 * to bench/RESULTS.md. Env: BENCH_ROUNDS (default 3), BENCH_QUICK=1 (fewer requests, for a smoke run).
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { connect } from '@nats-io/transport-node';
import { bootstrap } from '../index';
import { findNatsServer, startNatsServer } from '../lib/testing';
import { Child } from './child';
import { eventsRun } from './events';
import { registryRun, type RegistryFigures } from './registry';
import { callers, interleave, type Caller } from './rpc';
import { ADR32_NAMES, adr32Callers } from './adr32';
import { report, type Row } from './report';
import { median } from './stats';
import { SETTLE_MS } from './idle-rss';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const QUICK = process.env.BENCH_QUICK === '1';
const N = QUICK ? 2_000 : 20_000;
const WARMUP = QUICK ? 200 : 2_000;

async function main(): Promise<void> {
  const server = await startNatsServer();
  // The two idle processes side by side: RSS 1 s after start and once settled (SETTLE_MS idle).
  log(`idle RSS: a raw nats.js client and a plain service, ${SETTLE_MS / 1000} s`);
  const idle = [new Child('idle.js', [server.url]), new Child('plain-service.js', [server.url])];
  const [rawIdleRss, plainIdleRss] = (await Promise.all(idle.map((c) => c.wait<{ rss: number }>('rss')))).map((m) => m.rss);
  const [rawSettled, plainSettled] = (await Promise.all(idle.map((c) => c.wait<{ rss: number }>('settled')))).map((m) => m.rss);
  const child = new Child('server.js', [server.url]);
  await child.wait('ready');
  await new Promise((r) => setTimeout(r, 500));
  const serviceIdleRss = (await child.wait<{ rss: number }>('rss', { type: 'rss' })).rss;
  const nc = await connect({ servers: server.url });
  const app = await bootstrap({ address: server.url, argv: [], env: {} });
  global.gc?.();
  const clientIdleRss = process.memoryUsage().rss;
  let clientPeak = clientIdleRss;
  const sampler = setInterval(() => { clientPeak = Math.max(clientPeak, process.memoryUsage().rss); }, 50);
  const serverCpu = async () => (await child.wait<{ us: number }>('cpu', { type: 'cpu' })).us;
  const rows: Row[] = [];

  const rpcNames: Caller[] = ['hand-rolled', 'nc.request', 'micro-nats', 'micro-nats DTO'];
  for (const c of [1, 64]) {
    log(`RPC c=${c}: ${ROUNDS} rounds × ${rpcNames.length} callers × (${WARMUP} warm-up + ${N}) requests`);
    const res = await interleave(callers(nc, app, 'hello', { name: 'John' }), rpcNames, ROUNDS, N, c, WARMUP, serverCpu);
    for (const n of rpcNames) rows.push({ group: `RPC c=${c}`, name: n, runs: res[n], base: res['hand-rolled'] });
  }
  log(`RPC on the ADR-32 subject c=64`);
  const adr32 = await interleave(adr32Callers(nc, app, { name: 'John' }) as any, ADR32_NAMES, ROUNDS, N, 64, WARMUP, serverCpu);
  for (const n of ADR32_NAMES) rows.push({ group: 'RPC ADR-32 c=64', name: n, runs: adr32[n], base: adr32['hand-rolled'] });
  for (const [label, size, total] of [['100 B', 100, N], ['4 KiB', 4096, N], ['64 KiB', 65536, Math.max(500, N / 4)]] as const) {
    log(`payload ${label} c=64`);
    const body = { data: 'x'.repeat(size - 11) };
    const res = await interleave(callers(nc, app, 'echo', body), ['hand-rolled', 'micro-nats'], ROUNDS, total, 64, WARMUP / 4);
    for (const n of ['hand-rolled', 'micro-nats'] as const) rows.push({ group: `payload ${label} c=64`, name: n, runs: res[n], base: res['hand-rolled'] });
  }
  const events = QUICK ? 10_000 : 100_000;
  log(`events: ${ROUNDS} rounds × ${events}`);
  const ev: Record<'raw' | 'micro', number[]> = { raw: [], micro: [] };
  for (let r = 0; r < ROUNDS; r++) for (const k of ['raw', 'micro'] as const) ev[k].push(await eventsRun(k, events, child, nc, app));
  log('registry');
  const reg: RegistryFigures[] = await registryRun(server.url, [1, 10, 100], QUICK ? 10_000 : 100_000);
  clearInterval(sampler);
  const { rss: _r, peak: servicePeak } = await child.wait<{ rss: number; peak: number }>('rss', { type: 'rss' });

  await app.stop();
  await nc.close();
  await child.stop();
  await server.stop();
  report({
    rows, events: ev, registry: reg, rounds: ROUNDS, quick: QUICK,
    rss: { rawIdle: rawIdleRss, plainIdle: plainIdleRss, rawSettled, plainSettled, serviceIdle: serviceIdleRss, servicePeak, clientIdle: clientIdleRss, clientPeak },
    machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? '?', node: process.version, nats: natsVersion() },
  });
}

function natsVersion(): string {
  try { return execFileSync(findNatsServer(), ['--version']).toString().trim(); } catch { return '?'; }
}

function log(s: string): void {
  process.stderr.write(`bench: ${s}\n`);
}

main().catch((err) => { console.error(err); process.exit(1); });

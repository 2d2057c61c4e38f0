/**
 * The NATS Service API path: the benchmark service's `hello` called on its ADR-32 endpoint subject
 * (`bench.Bench.hello`, queue group `q`), through the same invoke core as mucp, against the raw responder.
 * Run alone for a smoke figure: node dist/bench/adr32.js [concurrency] [rounds] [requests]
 */
import 'reflect-metadata';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { bootstrap, type App } from '../index';
import { startNatsServer } from '../lib/testing';
import { Child } from './child';
import { handRolled } from './clients';
import { callers, interleave, type Caller } from './rpc';
import { median } from './stats';

/** The subject the benchmark service's `hello` listens on for the NATS Service API. */
export const ADR32_HELLO = 'bench.Bench.hello';

/** Callers of the ADR-32 row and its baseline: both hand-rolled (one reply subscription), so only the server differs. */
export function adr32Callers(nc: NatsConnection, app: App, body: unknown): Record<string, () => Promise<unknown>> {
  return {
    'hand-rolled': callers(nc, app, 'hello', body)['hand-rolled'],
    'ADR-32 subject': handRolled(nc, ADR32_HELLO, body),
    'micro-nats': callers(nc, app, 'hello', body)['micro-nats'],
  };
}

/** Names of {@link adr32Callers}, for `interleave`. */
export const ADR32_NAMES = ['hand-rolled', 'ADR-32 subject', 'micro-nats'] as unknown as Caller[];

async function main(): Promise<void> {
  const c = Number(process.argv[2] ?? 16);
  const rounds = Number(process.argv[3] ?? 2);
  const total = Number(process.argv[4] ?? 2_000);
  const server = await startNatsServer();
  const child = new Child('server.js', [server.url]);
  await child.wait('ready');
  const nc = await connect({ servers: server.url });
  const app = await bootstrap({ address: server.url, argv: [], env: {} });
  const res = await interleave(adr32Callers(nc, app, { name: 'John' }) as any, ADR32_NAMES, rounds, total, c, Math.min(500, total));
  const base = median(res['hand-rolled'].map((r) => r.rps));
  for (const n of ADR32_NAMES as string[]) {
    const rps = median(res[n].map((r) => r.rps));
    console.log(`${n.padEnd(16)} ${rps.toFixed(0).padStart(7)} req/s  ratio ${(rps / base).toFixed(3)}  p50 ${median(res[n].map((r) => r.p50)).toFixed(3)} ms`);
  }
  await app.stop();
  await nc.close();
  await child.stop();
  await server.stop();
}

if (require.main === module) main().catch((err) => { console.error(err); process.exit(1); });

/**
 * `health [service]`: calls `Debug.Health` on every node, addressed directly, and shows each round trip.
 * NATS Service API nodes are pinged instead (their registry address is their `$SRV.PING` subject).
 */
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { MicroError, type App } from 'micro-nats';
import type { Service as ServiceRecord } from 'micro-nats/registry';
import type { NatsConnection } from '@nats-io/transport-node';
import { openNats } from '../connection';
import { CliError, Exit, type ExitCode } from '../exit';
import { parseDuration } from '../input';
import { errorJson, out, outJson, table, withProgress } from '../output';
import { protocolOf } from './registry';
import { run } from '../run';

interface Check {
  service: string; version: string; node: string; address: string; protocol: string;
  status: string; ok: boolean; rttMs: number; error?: Record<string, unknown>;
}

type Ping = (node: ServiceRecord['nodes'][number], timeout: number) => Promise<string>;

/** `Debug.Health` through the client, addressed to the node. */
const healthCall = (app: App, service: string): Ping => async (node, timeout) => {
  const res = await app.client.call<{ status?: string }>(service, 'Debug.Health', {}, { address: node.address, timeout, retries: 0 });
  return typeof res?.status === 'string' ? res.status : 'ok';
};

/** An ADR-32 node's registry address is its `$SRV.PING.<name>.<id>` subject: a ping response means alive. */
const adr32Ping = (nc: () => Promise<NatsConnection>): Ping => async (node, timeout) => {
  let reply;
  try {
    reply = await (await nc()).request(node.address, '', { timeout });
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`no ping reply: ${(err as Error).message}`, Exit.ServerError);
  }
  try {
    return reply.json<{ type?: string }>()?.type === PING_RESPONSE ? 'ok' : 'unexpected ping reply';
  } catch {
    return 'unexpected ping reply';
  }
};

async function check(s: ServiceRecord, node: ServiceRecord['nodes'][number], ping: Ping, timeout: number): Promise<Check> {
  const base = { service: s.name, version: s.version, node: node.id, address: node.address, protocol: protocolOf(node) };
  const start = performance.now();
  try {
    const status = await ping(node, timeout);
    return { ...base, status, ok: status === 'ok', rttMs: round(performance.now() - start) };
  } catch (err) {
    const rttMs = round(performance.now() - start);
    const status = err instanceof MicroError ? `${err.code} ${err.detail}` : String((err as Error).message);
    return { ...base, status, ok: false, rttMs, error: errorJson(err) };
  }
}

const PING_RESPONSE = 'io.nats.micro.v1.ping_response';
const round = (ms: number) => Math.round(ms * 100) / 100;

export function healthCommand(program: Command, add: (c: Command) => Command): void {
  add(program.command('health').description('call Debug.Health on every node (of one service, or all) and show the round-trip time')
    .argument('[service]', 'only the nodes of this service')
    .option('--timeout <duration>', 'budget per node, e.g. 1s (default 2s)', parseDuration('--timeout')))
    .action((service: string | undefined, _o, cmd: Command) => run(cmd, async (app, f) => {
      const services = await withProgress('asking the registry',
        service ? app.registry.getService(service) : app.registry.listServices());
      const timeout = f.timeout ?? 2_000;
      let raw: Promise<NatsConnection> | undefined;   // opened only when an ADR-32 node is there
      const pingAdr32 = adr32Ping(() => (raw ??= openNats(f)));
      try {
        const checks = await withProgress('checking nodes', Promise.all(services.flatMap((s) => s.nodes.map((n) =>
          check(s, n, protocolOf(n) === 'ADR-32' ? pingAdr32 : healthCall(app, s.name), timeout)))));
        return print(checks, f.json);
      } finally {
        if (raw) await (await raw.catch(() => undefined))?.close();
      }
    }));
}

function print(checks: Check[], json: boolean | undefined): ExitCode {
  if (json) outJson(checks);
  else if (checks.length === 0) out('no services registered');
  else out(table(['SERVICE', 'VERSION', 'NODE', 'STATUS', 'RTT'],
    checks.map((c) => [c.service, c.version || '-', c.node, c.status, `${c.rttMs.toFixed(2)} ms`])));
  return checks.every((c) => c.ok) ? Exit.Ok : Exit.ServerError;
}

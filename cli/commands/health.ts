/** `health [service]`: calls `Debug.Health` on every node, addressed directly, and shows each round trip. */
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { MicroError, type App, type ServiceRecord } from 'micro-nats';
import { Exit } from '../exit';
import { parseDuration } from '../input';
import { errorJson, out, outJson, table, withProgress } from '../output';
import { protocolOf } from './registry';
import { run } from '../run';

interface Check {
  service: string; version: string; node: string; address: string; protocol: string;
  status: string; ok: boolean; rttMs: number; error?: Record<string, unknown>;
}

async function check(app: App, s: ServiceRecord, node: ServiceRecord['nodes'][number], timeout: number): Promise<Check> {
  const base = { service: s.name, version: s.version, node: node.id, address: node.address, protocol: protocolOf(node) };
  const start = performance.now();
  try {
    const res = await app.client.call<{ status?: string }>(s.name, 'Debug.Health', {}, { address: node.address, timeout, retries: 0 });
    const rttMs = round(performance.now() - start);
    const status = typeof res?.status === 'string' ? res.status : 'ok';
    return { ...base, status, ok: status === 'ok', rttMs };
  } catch (err) {
    const rttMs = round(performance.now() - start);
    const status = err instanceof MicroError ? `${err.code} ${err.detail}` : String((err as Error).message);
    return { ...base, status, ok: false, rttMs, error: errorJson(err) };
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export function healthCommand(program: Command, add: (c: Command) => Command): void {
  add(program.command('health').description('call Debug.Health on every node (of one service, or all) and show the round-trip time')
    .argument('[service]', 'only the nodes of this service')
    .option('--timeout <duration>', 'budget per node, e.g. 1s (default 2s)', parseDuration('--timeout')))
    .action((service: string | undefined, _o, cmd: Command) => run(cmd, async (app, f) => {
      const services = await withProgress('asking the registry',
        service ? app.registry.getService(service) : app.registry.listServices());
      const timeout = f.timeout ?? 2_000;
      const checks = await withProgress('checking nodes',
        Promise.all(services.flatMap((s) => s.nodes.map((n) => check(app, s, n, timeout)))));
      if (f.json) outJson(checks);
      else if (checks.length === 0) out('no services registered');
      else out(table(['SERVICE', 'VERSION', 'NODE', 'STATUS', 'RTT'],
        checks.map((c) => [c.service, c.version || '-', c.node, c.status, `${c.rttMs.toFixed(2)} ms`])));
      return checks.every((c) => c.ok) ? Exit.Ok : Exit.ServerError;
    }));
}

/**
 * Real nats-server processes for tests: yours and ours. Every server listens on a free loopback port
 * and is killed when the test process exits, even when a test forgets to stop it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findNatsServer } from './binary';
import { freePort } from './ports';
import { NatsProcess } from './process';
import { waitForRoutes } from './routes';

export { findNatsServer } from './binary';
export { freePort } from './ports';

/** Options of {@link startNatsServer}. */
export interface NatsServerOptions {
  /** Enable JetStream (storage in a temporary folder removed on stop). Default false. */
  jetstream?: boolean;
  /** Client port. Default: a free loopback port. */
  port?: number;
  /** Extra nats-server arguments, e.g. `['--user', 'a', '--pass', 'b']` (`max_payload` has no flag: use `config`). */
  args?: string[];
  /** Serve the HTTP monitoring endpoints (`/connz`, `/varz`) on a free port, given as `monitorUrl`. Default false. */
  monitor?: boolean;
  /** nats-server configuration file text for settings that have no flag, e.g. `'max_payload: 4096'`. */
  config?: string;
}

/** A running nats-server. */
export interface NatsServer {
  /** `nats://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** `http://127.0.0.1:<port>` of the monitoring endpoints, with `monitor: true`. */
  monitorUrl?: string;
  /** Graceful stop (SIGTERM); resolves when the process exited. */
  stop(): Promise<void>;
  /** Abrupt stop (SIGKILL), as a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port (after stop or kill). */
  restart(): Promise<void>;
}

/** A running cluster of nats-servers with routes between all of them. */
export interface NatsCluster {
  urls: string[];
  servers: NatsServer[];
  stop(): Promise<void>;
  /** SIGKILLs node i. */
  kill(i: number): Promise<void>;
  /** Starts node i again and waits until its routes are back. */
  restart(i: number): Promise<void>;
}

function serverHandle(proc: NatsProcess, cleanup: () => void, onRestart: () => Promise<void> = async () => {}, mport?: number): NatsServer {
  return {
    url: `nats://127.0.0.1:${proc.port}`,
    ...(mport ? { monitorUrl: `http://127.0.0.1:${mport}` } : {}),
    port: proc.port,
    stop: async () => { await proc.stop(); cleanup(); },
    kill: () => proc.kill(),
    restart: async () => { await proc.start(); await onRestart(); },
  };
}

/** Starts one nats-server on a free loopback port and waits until it accepts connections. */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServer> {
  const bin = findNatsServer();
  const port = opts.port ?? (await freePort());
  const args = ['-a', '127.0.0.1', '-p', String(port), ...(opts.args ?? [])];
  const dir = mkdtempSync(join(tmpdir(), 'micro-nats-'));
  if (opts.jetstream) args.push('-js', '-sd', join(dir, 'js'));
  const mport = opts.monitor ? await freePort() : undefined;
  if (mport) args.push('-m', String(mport));
  if (opts.config !== undefined) {
    writeFileSync(join(dir, 'nats.conf'), opts.config);
    args.push('-c', join(dir, 'nats.conf'));
  }
  const proc = new NatsProcess(bin, args, port);
  await proc.start();
  return serverHandle(proc, () => rmSync(dir, { recursive: true, force: true }), undefined, mport);
}

/** Starts `n` nats-servers routed into one cluster on loopback and waits until every route is up. */
export async function startNatsCluster(n = 3): Promise<NatsCluster> {
  const bin = findNatsServer();
  const nodes: { port: number; cport: number; mport: number }[] = [];
  for (let i = 0; i < n; i++) nodes.push({ port: await freePort(), cport: await freePort(), mport: await freePort() });
  const routes = nodes.map((x) => `nats://127.0.0.1:${x.cport}`).join(',');
  const procs = nodes.map((x, i) => new NatsProcess(bin, [
    '-a', '127.0.0.1', '-p', String(x.port), '-m', String(x.mport), '-n', `micro-nats-${i}`,
    '--cluster_name', 'micro-nats-test', '--cluster', `nats://127.0.0.1:${x.cport}`, '--routes', routes,
  ], x.port));
  const allRoutes = () => waitForRoutes(nodes.filter((_, i) => procs[i].running).map((x) => x.mport), procs.filter((p) => p.running).length - 1);
  try {
    await Promise.all(procs.map((p) => p.start()));
    await allRoutes();
  } catch (err) {
    await Promise.all(procs.map((p) => p.kill()));
    throw err;
  }
  const servers = procs.map((p) => serverHandle(p, () => {}, allRoutes));
  return {
    urls: servers.map((s) => s.url),
    servers,
    stop: async () => { await Promise.all(procs.map((p) => p.stop())); },
    kill: (i) => procs[i].kill(),
    restart: (i) => servers[i].restart(),
  };
}

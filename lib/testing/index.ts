/**
 * Real nats-server processes for tests: yours and ours. Every server listens on a free loopback port.
 *
 * What is cleaned up, and when:
 * - `stop()` ends the process (SIGTERM, then SIGKILL after 5 s) and removes the server's temporary folder
 *   ({@link NatsServer.dir}: config file, JetStream storage).
 * - `kill()` ends the process (SIGKILL, as a crash) and keeps the folder, so that `restart()` finds its
 *   JetStream data; the folder goes with a later `stop()` or at process exit.
 * - A first start that fails (`startNatsServer` rejects) kills the process and removes the folder.
 * - When the test process exits ('exit': a normal end or `process.exit()`, e.g. mocha `--exit`), every
 *   server still running is SIGKILLed and every folder not yet removed is removed, even when a test
 *   forgot to stop it. A test runner that is itself SIGKILLed, or dies from a signal it does not handle
 *   (SIGTERM, SIGINT, SIGHUP without a handler), runs no 'exit' handler and cannot clean up: its
 *   nats-server children keep running and their folders stay in the OS temp dir (`micro-nats-*`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findNatsServer } from './binary';
import { atExit } from './cleanup';
import { freePort } from './ports';
import { NatsProcess } from './process';
import { waitForRoutes } from './routes';

export { findNatsServer } from './binary';
export { freePort } from './ports';

/** Options of {@link startNatsServer}. */
export interface NatsServerOptions {
  /** Enable JetStream, stored in the server's temporary folder (kept across kill/restart, removed on stop). Default false. */
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
  /**
   * The server's temporary folder (config file, JetStream storage `js/`), present with `jetstream` or `config`.
   * Kept across `kill()`/`restart()`; removed by `stop()` and at process exit.
   */
  dir?: string;
  /** Graceful stop (SIGTERM); resolves when the process exited and its folder is removed. */
  stop(): Promise<void>;
  /** Abrupt stop (SIGKILL), as a crash. Keeps the folder (JetStream data) for `restart()`. */
  kill(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open, nothing is answered (a hung host). `thaw()` resumes it. */
  freeze(): void;
  /** Resumes a frozen process (SIGCONT). */
  thaw(): void;
  /**
   * Starts it again on the same port: after `kill()` with its JetStream data, after `stop()` with a new empty
   * folder. A restart that fails keeps the folder; `stop()` removes it.
   */
  restart(): Promise<void>;
}

/** A running cluster of nats-servers with routes between all of them (folders only with `jetstream`; no config file). */
export interface NatsCluster {
  urls: string[];
  servers: NatsServer[];
  stop(): Promise<void>;
  /** SIGKILLs node i. */
  kill(i: number): Promise<void>;
  /** Starts node i again and waits until its routes are back. */
  restart(i: number): Promise<void>;
}

const CONFIG_FILE = 'nats.conf';

/**
 * The temporary folder of one server. Between `keep` and `remove`, process exit kills the server and then
 * removes the folder (in that order: a live JetStream could write into it while it is being removed).
 */
class ServerFolder {
  readonly path = mkdtempSync(join(tmpdir(), 'micro-nats-'));
  private cancelExit?: () => void;

  constructor(private readonly config: string | undefined) {}

  /** (Re)creates the folder and its config file, for a start; registers the exit cleanup once. */
  keep(proc: NatsProcess): void {
    mkdirSync(this.path, { recursive: true });
    if (this.config !== undefined) writeFileSync(join(this.path, CONFIG_FILE), this.config);
    this.cancelExit ??= atExit(() => { proc.killNow(); this.delete(); });
  }

  /** Removes the folder now (the server has stopped, or never started). */
  remove(): void {
    this.cancelExit?.();
    this.cancelExit = undefined;
    this.delete();
  }

  private delete(): void {
    // Retries cover a just-killed server still closing its files; 'exit' handlers must not throw.
    try { rmSync(this.path, { recursive: true, force: true, maxRetries: 3, retryDelay: 20 }); } catch { /* best effort */ }
  }
}

interface HandleParts { proc: NatsProcess; folder?: ServerFolder; monitorPort?: number; onRestart?: () => Promise<void> }

function serverHandle({ proc, folder, monitorPort, onRestart }: HandleParts): NatsServer {
  return {
    url: `nats://127.0.0.1:${proc.port}`,
    port: proc.port,
    ...(monitorPort ? { monitorUrl: `http://127.0.0.1:${monitorPort}` } : {}),
    ...(folder ? { dir: folder.path } : {}),
    stop: async () => { await proc.stop(); folder?.remove(); },
    kill: () => proc.kill(),
    freeze: () => proc.freeze(true),
    thaw: () => proc.freeze(false),
    restart: async () => {
      folder?.keep(proc);
      await proc.start();
      await onRestart?.();
    },
  };
}

/**
 * Starts one nats-server on a free loopback port and waits until it accepts connections. Rejects with the
 * server's output when it does not start; the process and folder are gone by then.
 */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServer> {
  const bin = findNatsServer();
  const port = opts.port ?? (await freePort());
  const monitorPort = opts.monitor ? await freePort() : undefined;
  const args = ['-a', '127.0.0.1', '-p', String(port), ...(opts.args ?? [])];
  if (monitorPort) args.push('-m', String(monitorPort));
  // A folder only when something is stored in it: then there is nothing to leak otherwise.
  const folder = opts.jetstream || opts.config !== undefined ? new ServerFolder(opts.config) : undefined;
  if (folder && opts.jetstream) args.push('-js', '-sd', join(folder.path, 'js'));
  if (folder && opts.config !== undefined) args.push('-c', join(folder.path, CONFIG_FILE));
  const proc = new NatsProcess(bin, args, port);
  try {
    folder?.keep(proc);
    await proc.start();
  } catch (err) {
    folder?.remove();
    throw err;
  }
  return serverHandle({ proc, folder, monitorPort });
}

/** Options of {@link startNatsCluster}. */
export interface NatsClusterOptions {
  /** Enable clustered JetStream, each node storing in its own temporary folder (kept across kill/restart). Default false. */
  jetstream?: boolean;
}

/** Starts `n` nats-servers routed into one cluster on loopback and waits until every route is up. */
export async function startNatsCluster(n = 3, opts: NatsClusterOptions = {}): Promise<NatsCluster> {
  const bin = findNatsServer();
  const nodes: { port: number; cport: number; mport: number }[] = [];
  for (let i = 0; i < n; i++) nodes.push({ port: await freePort(), cport: await freePort(), mport: await freePort() });
  const routes = nodes.map((x) => `nats://127.0.0.1:${x.cport}`).join(',');
  const folders = nodes.map(() => (opts.jetstream ? new ServerFolder(undefined) : undefined));
  const procs = nodes.map((x, i) => new NatsProcess(bin, [
    '-a', '127.0.0.1', '-p', String(x.port), '-m', String(x.mport), '-n', `micro-nats-${i}`,
    '--cluster_name', 'micro-nats-test', '--cluster', `nats://127.0.0.1:${x.cport}`, '--routes', routes,
    ...(folders[i] ? ['-js', '-sd', join(folders[i]!.path, 'js')] : []),
  ], x.port));
  const allRoutes = () => waitForRoutes(nodes.filter((_, i) => procs[i].running).map((x) => x.mport), procs.filter((p) => p.running).length - 1);
  const removeFolders = () => { for (const f of folders) f?.remove(); };
  try {
    procs.forEach((p, i) => folders[i]?.keep(p));
    await Promise.all(procs.map((p) => p.start()));
    await allRoutes();
  } catch (err) {
    await Promise.all(procs.map((p) => p.kill()));
    removeFolders();
    throw err;
  }
  const servers = procs.map((proc, i) => serverHandle({ proc, folder: folders[i], monitorPort: nodes[i].mport, onRestart: allRoutes }));
  return {
    urls: servers.map((s) => s.url),
    servers,
    stop: async () => { await Promise.all(procs.map((p) => p.stop())); removeFolders(); },
    kill: (i) => procs[i].kill(),
    restart: (i) => servers[i].restart(),
  };
}

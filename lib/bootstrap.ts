/**
 * bootstrap(): reads configuration, builds the components, binds them and every `@Service` class in an
 * Inversify container, turns `@Handler`s into endpoints and `@Subscribe`s into subscriptions, starts.
 */
import { Container } from 'inversify';
import type { ConnectionOptions } from '@nats-io/transport-node';
import type { Broker, ErrorHandler } from './broker';
import type { Client } from './client';
import type { JetStreamSettings } from './broker/jetstream-options';
import { buildComponents, type MemoryWorld } from './components';
import { resolveConfig, type Config, type ConfigInput } from './config';
import type { Registry } from './registry';
import type { Server } from './server';
import type { Transport } from './transport';
import { ConfigError } from './errors';
import { DEFAULT_INBOX_PREFIX } from './config/defaults';
import { TYPES } from './tokens';
import { requireParameterTypes, requireServiceMeta, resolveClientTarget } from './metadata';
import type { MiddlewareRef } from './middleware';
import { resolveMiddleware } from './middleware/resolve';
import { tracingApi, type TracingOption } from './otel/api';
import { otelMiddleware } from './otel/middleware';
import type { HealthReport } from './server';
import { wireService, type WiredService } from './service-wiring';
import { runOnStart, runOnStop } from './lifecycle';
import type { Logger } from './logger';
import { consoleLogger } from './logger/console';
import { loggingErrorHandler } from './broker/options';
import { helpText, wantsHelp } from './config/help';
import { redact } from './nats/servers';
import type { OutlierOptions } from './selector/registry';

/** Options of {@link bootstrap}: configuration (overridden by `MICRO_*` env and go-micro flags) and services. */
export interface BootstrapOptions extends ConfigInput<Transport, Broker, Registry> {
  /** `@Service` classes to run, one server each. Default none: a pure client. */
  services?: Function[];
  /** Bring your own Inversify container (its bindings are injected into services). Default: a new one. */
  container?: Container;
  /** nats.js connection options (auth, TLS, reconnect) passed through to every NATS connection. Default: nats.js's own. */
  nats?: Partial<ConnectionOptions>;
  /** Stop gracefully on SIGINT/SIGTERM, then exit; `--help` prints the flags and exits 0. Default false. */
  signals?: boolean;
  /**
   * Where micro-nats logs (start, registration, NATS connection changes, stop, failed requests and events).
   * pino's shape: a pino logger is passed as is. Default: JSON lines on stderr at `logLevel`.
   */
  logger?: Logger;
  /** Receives events whose `@Subscribe` handler threw or whose DTO was invalid. Default: log them to `logger`. */
  errorHandler?: ErrorHandler;
  /** Stream, dead-letter and delivery settings of `broker: 'jetstream'`. Default: see JetStreamBroker. */
  jetstream?: JetStreamSettings;
  /** Memory implementations shared by several bootstraps in one process (tests). Default: one of its own. */
  memory?: MemoryWorld;
  /** Outlier ejection of the client's selector: a node whose calls time out in a row is skipped for a cool-off. Default 3 in a row, 10 000 ms. */
  outlier?: OutlierOptions;
  /**
   * Middleware around every handler and subscriber of every service, outside each class's and method's
   * `@Use`; first listed outermost. Functions, or classes resolved from the container. Default none.
   */
  middleware?: MiddlewareRef[];
  /** Middleware around every call, stream and publish of `app.client` (and injected clients); first outermost. Default none. */
  clientMiddleware?: MiddlewareRef[];
  /**
   * OpenTelemetry spans and metrics through `@opentelemetry/api`, as the outermost middleware on both sides.
   * `'auto'` (default): when the API is installed and an SDK is registered before bootstrap; `true`: whenever
   * the API is installed (an SDK registered later is picked up); `false`: never.
   */
  tracing?: TracingOption;
}

/** What `app.health()` reports: `ok` when every service is. */
export interface AppHealth {
  /** `ok`, or `unhealthy` when any service is. */
  status: 'ok' | 'unhealthy';
  /** Each service's report by name (what its `Debug.Health` answers). */
  services: Record<string, HealthReport>;
}

/** A running app. */
export interface App {
  /** Calls, streams, publishes; `client.proxy(Greeter)` for typed clients. */
  client: Client;
  /** The container holding the components (under `TYPES`) and the service instances: the one given, or a new one. */
  container: Container;
  /** The transport RPC requests travel on. */
  transport: Transport;
  /** The broker behind `publish` and `@Subscribe`. */
  broker: Broker;
  /** The registry in use (behind its cache). */
  registry: Registry;
  /** The server of the first service (every one is in `servers`); `undefined` in a pure client. */
  server: Server | undefined;
  /** One started server per class in `services`, in that order; empty in a pure client. */
  servers: Server[];
  /** The resolved, frozen configuration (defaults < code < `MICRO_*` env < flags). */
  config: Config<Transport, Broker, Registry>;
  /** The health of every service, as `Debug.Health` reports it, for an HTTP probe. Never rejects. */
  health(): Promise<AppHealth>;
  /** Deregisters, finishes in-flight work, drains, disconnects. Idempotent. */
  stop(): Promise<void>;
}

/** Thrown by {@link bootstrap} on `--help` when it does not own the process (`signals` off): `message` is the help. */
export class HelpRequested extends Error {
  override readonly name = 'HelpRequested';
}

/**
 * Resolves the configuration, builds and binds the components, waits for NATS (up to `connectTimeout`),
 * then wires every service, awaits its `onStart()` and starts it. Throws on invalid configuration, a class
 * without `@Service`, a parameter without a recorded type, two services of one name or a token already
 * bound; rejects 503 when NATS does not answer in time. On failure, closes whatever it had built.
 */
export async function bootstrap(options: BootstrapOptions = {}): Promise<App> {
  if (wantsHelp(options.argv ?? process.argv.slice(2))) {
    if (!options.signals) throw new HelpRequested(helpText());
    process.stdout.write(helpText());
    process.exit(0);
  }
  const config = resolveConfig<Transport, Broker, Registry>(options);
  const logger = options.logger ?? consoleLogger({ level: config.logLevel });
  const classes = options.services ?? [];
  const metas = classes.map((cls) => ({ cls, meta: requireServiceMeta(cls) }));
  for (const { cls, meta } of metas) {
    for (const c of meta.clients) resolveClientTarget(c);
    requireParameterTypes(cls, meta);
  }
  checkSingleServiceSettings(config, metas.length);
  const names = new Set<string>();
  for (const { cls, meta } of metas) {
    if (names.has(meta.name)) throw new Error(`bootstrap: two services are named "${meta.name}" (class ${cls.name})`);
    names.add(meta.name);
  }
  // `nats.inboxPrefix` applies unless the `inboxPrefix` setting is given (code, env or flag).
  const inboxPrefix = config.inboxPrefix === DEFAULT_INBOX_PREFIX ? options.nats?.inboxPrefix ?? config.inboxPrefix : config.inboxPrefix;
  const c = buildComponents({ ...config, inboxPrefix, nats: options.nats, errorHandler: options.errorHandler ?? loggingErrorHandler(logger),
    memory: options.memory, outlier: options.outlier, jetstream: options.jetstream, logger, connectTimeout: config.connectTimeout });
  const container = options.container ?? new Container();
  const bindings: [symbol, unknown][] = [[TYPES.Transport, c.transport], [TYPES.Broker, c.broker], [TYPES.Registry, c.registry],
    [TYPES.Client, c.client], [TYPES.Codec, c.codecs], [TYPES.Selector, c.selector], [TYPES.Config, config]];
  for (const [token, value] of bindings) {
    if (container.isBound(token)) throw new Error(`bootstrap: ${String(token)} is already bound in the container given`);
    container.bind(token).toConstantValue(value);
  }
  const started: WiredService[] = [];
  try {
    const otel = tracingApi(options.tracing);
    const traced = otel ? otelMiddleware(otel) : undefined;
    const appMw = resolveMiddleware(container, options.middleware ?? [], 'bootstrap middleware');
    const client = resolveMiddleware(container, options.clientMiddleware ?? [], 'bootstrap clientMiddleware');
    c.client.use(traced ? [traced.client, ...client] : client);
    const server = traced ? [traced.server, ...appMw] : appMw;
    const wired = metas.map(({ cls, meta }, i) => wireService(c, container, cls, meta, config, i === 0 && metas.length === 1, logger, server));
    if (wired[0]) container.bind(TYPES.Server).toConstantValue(wired[0].server);
    await c.connect();
    for (const w of wired) {
      await runOnStart(w);
      started.push(w);
      await w.server.start();
      logRegistered(logger, w);
    }
    logger.info({ services: wired.map((w) => w.server.name), transport: label(config.transport, config.transportAddress) },
      'micro-nats started');
    return makeApp(c, container, wired, config, options.signals === true, logger);
  } catch (err) {
    await runOnStop(started, logger);
    await c.close();
    throw err;
  }
}

/** A component's name and, on NATS, its servers without credentials. */
function label(component: unknown, servers: readonly string[]): string {
  return typeof component === 'string' ? (component === 'memory' ? 'memory' : `${component} ${redact(servers.join(','))}`) : String(component);
}

function logRegistered(logger: Logger, { server }: WiredService): void {
  const node = server.service().nodes[0];
  logger.info({ service: server.name, version: server.version, node: node?.id, address: node?.address,
    endpoints: [...server.endpoints.keys()].filter((e) => e !== 'Debug.Health') }, `${server.name} registered`);
}

/** `--server_name`, `--server_version` and `--server_address` name one service: with several they'd be ambiguous. */
function checkSingleServiceSettings(config: Config<Transport, Broker, Registry>, services: number): void {
  if (services <= 1) return;
  const set = (['name', 'version', 'address'] as const).filter((k) => config.server[k]);
  if (set.length > 0) {
    throw new ConfigError(`server.${set[0]}`, `bootstrap: server ${set.join(', ')} (--server_${set[0]} / MICRO_SERVER_${set[0].toUpperCase()}) names one `
      + `service, but ${services} services are given; run them in separate bootstraps or drop the setting`);
  }
}

function makeApp(c: ReturnType<typeof buildComponents>, container: Container, wired: WiredService[],
                 config: Config<Transport, Broker, Registry>, signals: boolean, logger: Logger): App {
  let stopped: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, `${signal} received, stopping`);
    void app.stop().then(() => process.exit(0), (err) => { logger.fatal({ err }, 'stop failed'); process.exit(1); });
  };
  const servers: Server[] = wired.map((w) => w.server);
  const app: App = {
    client: c.client, container, transport: c.transport, broker: c.broker, registry: c.registry,
    server: servers[0], servers, config,
    health: async () => {
      const reports = await Promise.all(servers.map((s) => s.health()));
      const services = Object.fromEntries(servers.map((s, i) => [s.service().name, reports[i]]));
      return { status: reports.every((r) => r.status === 'ok') ? 'ok' : 'unhealthy', services };
    },
    stop: () => (stopped ??= (async () => {
      if (signals) { process.removeListener('SIGINT', onSignal); process.removeListener('SIGTERM', onSignal); }
      logger.info({ services: wired.map((w) => w.server.name) }, 'stopping');
      // Deregistered and in-flight work finished before the hooks; the connections close after them.
      for (const w of wired) await w.server.stop();
      await runOnStop(wired, logger);
      await c.close();
      logger.info('stopped');
    })()),
  };
  if (signals) { process.once('SIGINT', onSignal); process.once('SIGTERM', onSignal); }
  return app;
}

/**
 * Where NATS is and how to log in: the connection flags every command accepts, and opening a pure
 * client (`bootstrap({ services: [] })`) on them that fails fast when NATS cannot be reached.
 *
 * Servers, highest first: `-s/--server` or `--address` on the command, the same before the command,
 * `MICRO_ADDRESS`, `NATS_URL`, `nats://127.0.0.1:4222`. go-micro's `--registry_address`,
 * `--transport_address`, `--broker_address` and their `MICRO_*` variables still apply per component.
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { connect, credsAuthenticator, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { bootstrap, MicroError, silentLogger, type App } from 'micro-nats';
import { checkInboxPrefix, parseServers, redact, splitCredentials } from 'micro-nats/components';
import { CliError, Exit } from './exit';

/** The connection flags as commander parses them (keys keep go-micro's underscores). */
export interface ConnectionFlags {
  server?: string; address?: string; user?: string; password?: string; token?: string; creds?: string;
  tlscert?: string; tlskey?: string; tlsca?: string;
  registry_address?: string; transport_address?: string; broker_address?: string; registry_timeout?: string;
  inbox_prefix?: string;
}

/** How long connecting may take before the command gives up: a CLI must not hang on a bad address. */
export const CONNECT_TIMEOUT_MS = 2_000;
/**
 * How long a command's registry lookup gathers answers. A command's lookup is always cold (a new process),
 * and a service on a busy host can answer later than a service's 100 ms window: "not found" would be wrong.
 * `--registry_timeout` or `MICRO_REGISTRY_TIMEOUT` overrides it.
 */
export const LOOKUP_WINDOW_MS = 500;
const DEFAULT_SERVER = 'nats://127.0.0.1:4222';
const GO_MICRO_FLAGS = ['registry_address', 'transport_address', 'broker_address', 'registry_timeout'] as const;

/**
 * Adds the connection flags to `cmd`. `address: false` leaves `--address` out, for commands where
 * `--address` names a service node (`call`, `stream`); `-s/--server` is there on every command.
 */
export function connectionOptions(cmd: Command, o: { address?: boolean } = {}): Command {
  cmd.option('-s, --server <urls>', 'NATS servers, comma-separated (default: $MICRO_ADDRESS, $NATS_URL, nats://127.0.0.1:4222)');
  if (o.address !== false) cmd.option('--address <urls>', 'the same as --server (go-micro\'s name)');
  return cmd
    .option('--user <user>', 'NATS user name')
    .option('--password <password>', 'NATS password')
    .option('--token <token>', 'NATS authentication token')
    .option('--creds <file>', 'NATS credentials file (JWT and NKey seed)')
    .option('--tlscert <file>', 'TLS client certificate')
    .option('--tlskey <file>', 'TLS client key')
    .option('--tlsca <file>', 'TLS certificate authority')
    .addOption(new Option('--registry_address <urls>', 'NATS servers of the registry only').hideHelp())
    .addOption(new Option('--transport_address <urls>', 'NATS servers of the transport only').hideHelp())
    .addOption(new Option('--broker_address <urls>', 'NATS servers of the broker only').hideHelp())
    .option('--inbox_prefix <prefix>', 'prefix of the reply subjects the CLI subscribes (default: $MICRO_INBOX_PREFIX, _INBOX)')
    .option('--registry_timeout <duration>', `how long a registry lookup gathers answers (Go duration, default ${LOOKUP_WINDOW_MS}ms)`)
    .option('--json', 'machine-readable JSON output on stdout');
}

/** The command's own flags over the program's (flags given before the command name). */
export function mergedFlags(cmd: Command): ConnectionFlags & { json?: boolean } {
  const global = cmd.parent?.opts() ?? {};
  const local = cmd.opts();
  const merged: Record<string, unknown> = { ...global };
  for (const [k, v] of Object.entries(local)) if (v !== undefined) merged[k] = v;
  return merged as ConnectionFlags & { json?: boolean };
}

/** The NATS servers to use, by the precedence above. `flags.address` must already exclude a node address. */
export function resolveServers(flags: ConnectionFlags, env: NodeJS.ProcessEnv): string {
  const pick = [flags.server, flags.address, env.MICRO_ADDRESS, env.NATS_URL].find((s) => s !== undefined && s.trim() !== '');
  return pick ?? DEFAULT_SERVER;
}

/**
 * The reply-subject prefix: `--inbox_prefix`, then `MICRO_INBOX_PREFIX` (as services read it), else undefined
 * (nats.js's `_INBOX`). Exit 1 for one that does not start with `_` or has spaces or wildcards.
 */
export function resolveInboxPrefix(flags: ConnectionFlags, env: NodeJS.ProcessEnv): string | undefined {
  const [value, option] = flags.inbox_prefix !== undefined ? [flags.inbox_prefix, '--inbox_prefix'] : [env.MICRO_INBOX_PREFIX?.trim() || undefined, 'MICRO_INBOX_PREFIX'];
  if (value === undefined) return undefined;
  try {
    checkInboxPrefix(option, value);
  } catch (err) {
    throw new CliError((err as Error).message, Exit.Usage);
  }
  return value;
}

/** nats.js connection options from the credential and TLS flags, with a short connect timeout. */
export function natsOptions(flags: ConnectionFlags): Partial<ConnectionOptions> {
  const o: Partial<ConnectionOptions> = { timeout: CONNECT_TIMEOUT_MS, name: 'micro-nats-cli' };
  if (flags.user !== undefined) o.user = flags.user;
  if (flags.password !== undefined) o.pass = flags.password;
  if (flags.token !== undefined) o.token = flags.token;
  if (flags.creds !== undefined) o.authenticator = credsAuthenticator(readInput(flags.creds, '--creds'));
  if (flags.tlscert || flags.tlskey || flags.tlsca) {
    o.tls = {
      ...(flags.tlscert && { certFile: flags.tlscert }), ...(flags.tlskey && { keyFile: flags.tlskey }),
      ...(flags.tlsca && { caFile: flags.tlsca }),
    };
  }
  return o;
}

function readInput(file: string, flag: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new CliError(`${flag}: cannot read ${file}: ${(err as Error).message}`, Exit.Usage);
  }
}

/**
 * Opens a pure client on the flags and connects at once, so that an unreachable NATS fails here
 * (exit 5, within {@link CONNECT_TIMEOUT_MS}) rather than as a slow "service unavailable" later.
 */
export async function openClient(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Promise<App> {
  const servers = resolveServers(flags, env);
  const argv = [...GO_MICRO_FLAGS, 'inbox_prefix' as const].flatMap((f) => (flags[f] !== undefined ? [`--${f}`, flags[f]!] : []));
  // MICRO_ADDRESS and NATS_URL are resolved above, below the flags; bootstrap must not read them again over them.
  const { MICRO_ADDRESS: _a, NATS_URL: _n, ...rest } = env;
  let app: App;
  try {
    // A command does not wait for NATS (one attempt) and prints its own output: the service logs stay off.
    app = await bootstrap({ services: [], address: servers, nats: natsOptions(flags), argv, env: rest, connectTimeout: 0,
      registryTimeout: LOOKUP_WINDOW_MS, logger: silentLogger });
  } catch (err) {
    if (err instanceof MicroError && err.code === 503) throw unreachableError(servers, err);
    throw new CliError((err as Error).message, Exit.Usage);
  }
  try {
    await app.broker.connect();
  } catch (err) {
    await app.stop().catch(() => undefined);
    throw unreachableError(servers, err);
  }
  return app;
}

/** Exit 5, naming the servers once. */
function unreachableError(servers: string, err: unknown): CliError {
  const why = (err as Error).message;
  // The client's own message usually names the servers already; say them once.
  return new CliError(redact(why.includes(servers) ? why : `cannot connect to NATS at ${servers}: ${why}`), Exit.Unreachable,
    'is nats-server running there? Give the address with --server (or --address), MICRO_ADDRESS or NATS_URL');
}

/**
 * A plain nats.js connection on the same servers and credentials, for what the client has no call for
 * (the NATS Service API's `$SRV` verbs). Fails like {@link openClient}: exit 5 within the connect timeout.
 */
export async function openNats(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Promise<NatsConnection> {
  const servers = resolveServers(flags, env);
  try {
    // nats.js ignores credentials in a URL (and may read a password as the port): they become options.
    const split = splitCredentials(parseServers(servers));
    const inboxPrefix = resolveInboxPrefix(flags, env);
    return await connect({ ...split.credentials, ...natsOptions(flags), servers: split.servers, ...(inboxPrefix ? { inboxPrefix } : {}) });
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(redact(`cannot connect to NATS at ${servers}: ${(err as Error).message}`), Exit.Unreachable,
      'is nats-server running there? Give the address with --server (or --address), MICRO_ADDRESS or NATS_URL');
  }
}

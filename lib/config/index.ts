/**
 * Configuration resolution: defaults < code options < `MICRO_*` environment < go-micro flags.
 *
 * Flags (`--flag=value` or `--flag value`; other arguments are left to the application):
 * `--transport --broker --registry` (nats | memory; the broker also jetstream), `--transport_address --broker_address
 * --registry_address` (comma-separated NATS servers), `--server_name --server_version --server_id
 * --server_address`, `--server_metadata k=v` (repeatable, or comma-separated), `--register_ttl` and
 * `--register_interval` (whole seconds, as go-micro), `--client_request_timeout` (a Go duration:
 * `500ms`, `5s`, `1m`; a bare number is refused), `--client_retries`, `--selector` (random |
 * roundRobin), `--adr32` (true | false: serve the NATS Service API), `--adr32_prefix` (its control
 * subject prefix, default `$SRV`). Each has an environment variable `MICRO_<FLAG>` (`MICRO_REGISTER_TTL`).
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_NATS_URL } from '../nats/servers';
import { readCode } from './code';
import { mergeLayers, type Layer, type Settings } from './layer';
import type { BrokerName, ComponentName, SelectorName } from './parse';
import { readEnv, readFlags } from './sources';

export { BROKER_NAMES, COMPONENT_NAMES, SELECTOR_NAMES, type BrokerName, type ComponentName, type SelectorName } from './parse';
export { FLAGS, envName } from './sources';

/** The server part of the code options (`--server_*` flags). */
export interface ServerInput {
  /** Replaces the `@Service` name. Default: the decorator's. */
  name?: string;
  /** Replaces the `@Service` version. Default: the decorator's. */
  version?: string;
  /** Node id. Default: a random UUID. */
  id?: string;
  /** Listen address handed to the transport. Default `''` (the transport picks one). */
  address?: string;
  /** Added to every registered node; merged key by key with env and flags. Default `{}`. */
  metadata?: Record<string, string>;
}

/** The client part of the code options (`--client_*` and `--selector` flags). */
export interface ClientInput {
  /** Per-call budget in milliseconds. Default 5 000. */
  timeout?: number;
  /** Extra attempts after a failed call. Default 1. */
  retries?: number;
  /** How a node is picked among a service's nodes. Default `'random'`. */
  selector?: SelectorName;
}

/**
 * The configuration options given in code. `T`, `B` and `R` are the transport, broker and registry
 * instance types a caller may pass instead of a name. Keys not listed here are ignored, so the whole
 * bootstrap options object can be passed.
 */
export interface ConfigInput<T extends object = object, B extends object = object, R extends object = object> {
  /** `'nats'`, `'memory'`, or a transport instance. Default `'nats'`. */
  transport?: ComponentName | T;
  /** `'nats'`, `'memory'`, `'jetstream'` (durable events), or a broker instance. Default `'nats'`. */
  broker?: BrokerName | B;
  /** `'nats'`, `'memory'`, or a registry instance. Default `'nats'`. */
  registry?: ComponentName | R;
  /** NATS servers for all three components (a list, or one string with commas). Default `nats://127.0.0.1:4222`. */
  address?: string | string[];
  /** NATS servers of the transport. Default `address`. */
  transportAddress?: string | string[];
  /** NATS servers of the broker. Default `address`. */
  brokerAddress?: string | string[];
  /** NATS servers of the registry. Default `address`. */
  registryAddress?: string | string[];
  /** Server identity and node settings. */
  server?: ServerInput;
  /** How long the registry keeps a node without a heartbeat, in ms. Default 60 000. */
  registerTtl?: number;
  /** How often a service re-announces itself, in ms; must be shorter than `registerTtl`. Default 30 000, or half a shorter TTL. */
  registerInterval?: number;
  /** Call budget, retries and node selection. */
  client?: ClientInput;
  /** Serve every service on the NATS Service API (ADR-32) too, and discover ADR-32 services. Default true (NATS components only). */
  adr32?: boolean;
  /** Prefix of the ADR-32 control subjects (`$SRV.PING`, …). Default `$SRV`. */
  adr32Prefix?: string;
  /** Command-line arguments to read flags from; defaults to `process.argv.slice(2)`. */
  argv?: readonly string[];
  /** Environment to read `MICRO_*` from; defaults to `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** The resolved server settings. */
export interface ServerConfig {
  /** Overrides the `@Service` name when set; there is no default because the decorator names the service. */
  readonly name?: string;
  /** Overrides the `@Service` version when set. */
  readonly version?: string;
  /** Node id; a random UUID unless configured. */
  readonly id: string;
  /** Listen address handed to the transport; `''` lets the transport choose (`_INBOX.<nuid>` for NATS). */
  readonly address: string;
  /** Merged key by key across the layers; added to every registered node. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** The resolved client settings. */
export interface ClientConfig {
  /** Per-call budget in ms. */
  readonly timeout: number;
  /** Extra attempts after a failed call. */
  readonly retries: number;
  /** How a node is picked among a service's nodes. */
  readonly selector: SelectorName;
}

/** The resolved configuration, frozen; instances passed in code are kept as they are. */
export interface Config<T extends object = object, B extends object = object, R extends object = object> {
  /** The transport's name, or the instance given in code. */
  readonly transport: ComponentName | T;
  /** The broker's name, or the instance given in code. */
  readonly broker: BrokerName | B;
  /** The registry's name, or the instance given in code. */
  readonly registry: ComponentName | R;
  /** The transport's NATS servers, normalised with `nats://`. */
  readonly transportAddress: readonly string[];
  /** The broker's NATS servers, normalised with `nats://`. */
  readonly brokerAddress: readonly string[];
  /** The registry's NATS servers, normalised with `nats://`. */
  readonly registryAddress: readonly string[];
  /** Server identity and node settings. */
  readonly server: ServerConfig;
  /** How long the registry keeps a node without a heartbeat, in ms. */
  readonly registerTtl: number;
  /** How often a service re-announces itself, in ms; always shorter than `registerTtl`. */
  readonly registerInterval: number;
  /** Call budget, retries and node selection. */
  readonly client: ClientConfig;
  /** The NATS Service API (ADR-32): whether services speak it and discovery looks for it, and its control subject prefix. */
  readonly adr32: { readonly enabled: boolean; readonly prefix: string };
}

/** What applies when nothing else is configured. `registerInterval` shrinks to half a shorter `registerTtl`. */
export const CONFIG_DEFAULTS = Object.freeze({
  transport: 'nats', broker: 'nats', registry: 'nats', address: DEFAULT_NATS_URL,
  registerTtl: 60_000, registerInterval: 30_000, timeout: 5_000, retries: 1, selector: 'random', serverAddress: '',
  adr32: true, adr32Prefix: '$SRV',
} as const);

function defaults(ttl: number): Layer {
  const d = CONFIG_DEFAULTS;
  const from = 'default';
  return {
    transport: { value: d.transport, from }, broker: { value: d.broker, from }, registry: { value: d.registry, from },
    transportAddress: { value: [d.address], from }, brokerAddress: { value: [d.address], from }, registryAddress: { value: [d.address], from },
    serverId: { value: randomUUID(), from }, serverAddress: { value: d.serverAddress, from }, serverMetadata: { value: {}, from },
    registerTtl: { value: d.registerTtl, from },
    // A node must heartbeat at least once per TTL, so a short TTL alone must not leave the 30 s default.
    registerInterval: { value: Math.min(d.registerInterval, ttl / 2), from },
    timeout: { value: d.timeout, from }, retries: { value: d.retries, from }, selector: { value: d.selector, from },
    adr32: { value: d.adr32, from }, adr32Prefix: { value: d.adr32Prefix, from },
  };
}

/** Resolves the configuration. Throws on an invalid value, naming the option, variable or flag. */
export function resolveConfig<T extends object = object, B extends object = object, R extends object = object>(
  input: ConfigInput<T, B, R> = {},
): Config<T, B, R> {
  if (input === null || typeof input !== 'object') throw new Error(`config: expected an options object, got ${String(input)}`);
  const given = [readCode(input), readEnv(input.env ?? process.env), readFlags(input.argv ?? process.argv.slice(2))];
  const ttl = mergeLayers(given).registerTtl?.value as number | undefined;
  const merged = mergeLayers([defaults(ttl ?? CONFIG_DEFAULTS.registerTtl), ...given]);
  const s = Object.fromEntries(Object.entries(merged).map(([k, e]) => [k, e.value])) as unknown as Settings;
  if (s.registerInterval >= s.registerTtl) {
    throw new Error(`${merged.registerInterval!.from}: the register interval (${s.registerInterval} ms) must be shorter than `
      + `the register TTL (${s.registerTtl} ms, from ${merged.registerTtl!.from}), or nodes expire between heartbeats`);
  }
  const server: ServerConfig = Object.freeze({
    ...(s.serverName !== undefined && { name: s.serverName }),
    ...(s.serverVersion !== undefined && { version: s.serverVersion }),
    id: s.serverId, address: s.serverAddress, metadata: Object.freeze({ ...s.serverMetadata }),
  });
  return Object.freeze({
    transport: s.transport as ComponentName | T,
    broker: s.broker as BrokerName | B,
    registry: s.registry as ComponentName | R,
    transportAddress: Object.freeze([...s.transportAddress]),
    brokerAddress: Object.freeze([...s.brokerAddress]),
    registryAddress: Object.freeze([...s.registryAddress]),
    server,
    registerTtl: s.registerTtl,
    registerInterval: s.registerInterval,
    client: Object.freeze({ timeout: s.timeout, retries: s.retries, selector: s.selector }),
    adr32: Object.freeze({ enabled: s.adr32, prefix: s.adr32Prefix }),
  });
}

/** The shapes of configuration: what code gives (`ConfigInput`) and what resolution returns (`Config`). */
import type { BrokerName, RegistryName, TransportName } from '../implementations';
import type { SelectorName } from './parse';
import type { LogLevel } from '../logger';

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
  /** Requests run at once; past it a request gets an immediate 503 (`micro.server.refused`). Default 16 384. */
  maxInflight?: number;
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
  transport?: TransportName | T;
  /** `'nats'`, `'memory'`, `'jetstream'` (durable events), or a broker instance. Default `'nats'`. */
  broker?: BrokerName | B;
  /** `'nats'`, `'memory'`, or a registry instance. Default `'nats'`. */
  registry?: RegistryName | R;
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
  /**
   * Registry subject prefixes P (queries on `P.query`, announcements on `P.watch`), all spoken at once.
   * Default `['micro.registry.nats', 'micro.nats']`: go-micro's nats registry plugins and go-micro.dev/v5.7+.
   */
  registrySubjects?: readonly string[];
  /** How long the registry keeps a node without a heartbeat, in ms. Default 60 000. */
  registerTtl?: number;
  /** How often a service re-announces itself, in ms; must be shorter than `registerTtl`. Default 30 000, or half a shorter TTL. */
  registerInterval?: number;
  /** How long a NATS registry lookup gathers answers, in ms. Default 100. */
  registryTimeout?: number;
  /** Call budget, retries and node selection. */
  client?: ClientInput;
  /** Serve every service on the NATS Service API (ADR-32) too, and discover ADR-32 services. Default true (NATS components only). */
  adr32?: boolean;
  /** Prefix of the ADR-32 control subjects (`$SRV.PING`, …). Default `$SRV`. */
  adr32Prefix?: string;
  /** Prefix of every reply subject this process subscribes (nats.js `inboxPrefix`); must start with `_`. Default `_INBOX`. */
  inboxPrefix?: string;
  /** Prefix of the node addresses servers listen on (`<prefix>.<nuid>`). Default `_INBOX`, as go-micro. */
  addressPrefix?: string;
  /** Queue group of the servers' listen subscriptions. Default `micro-nats`. */
  queueGroup?: string;
  /** Level of the built-in logger (a `logger` passed to bootstrap keeps its own). Default `info`. */
  logLevel?: LogLevel;
  /** How long bootstrap waits for NATS to answer at start, in ms; 0 tries once. Default 30 000. */
  connectTimeout?: number;
  /**
   * Grace period of a graceful stop in ms (`--stop_grace 10s`, `MICRO_STOP_GRACE`): subscriptions drain, in-flight
   * handlers finish and published events flush within it; then what is left is aborted and logged. Default 10 000.
   */
  stopGrace?: number;
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
  /** Listen address handed to the transport; `''` lets the transport choose (`<addressPrefix>.<nuid>` for NATS). */
  readonly address: string;
  /** Merged key by key across the layers; added to every registered node. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Requests run at once (`--server_max_inflight`, `MICRO_SERVER_MAX_INFLIGHT`). */
  readonly maxInflight: number;
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
  readonly transport: TransportName | T;
  /** The broker's name, or the instance given in code. */
  readonly broker: BrokerName | B;
  /** The registry's name, or the instance given in code. */
  readonly registry: RegistryName | R;
  /** The transport's NATS servers, normalised with `nats://`. */
  readonly transportAddress: readonly string[];
  /** The broker's NATS servers, normalised with `nats://`. */
  readonly brokerAddress: readonly string[];
  /** The registry's NATS servers, normalised with `nats://`. */
  readonly registryAddress: readonly string[];
  /** Server identity and node settings. */
  readonly server: ServerConfig;
  /** Registry subject prefixes spoken (NATS registry). */
  readonly registrySubjects: readonly string[];
  /** How long the registry keeps a node without a heartbeat, in ms. */
  readonly registerTtl: number;
  /** How often a service re-announces itself, in ms; always shorter than `registerTtl`. */
  readonly registerInterval: number;
  /** How long a NATS registry lookup gathers answers, in ms. */
  readonly registryTimeout: number;
  /** Call budget, retries and node selection. */
  readonly client: ClientConfig;
  /** The NATS Service API (ADR-32): whether services speak it and discovery looks for it, and its control subject prefix. */
  readonly adr32: { readonly enabled: boolean; readonly prefix: string };
  /** Prefix of every reply subject this process subscribes (nats.js `inboxPrefix`). */
  readonly inboxPrefix: string;
  /** Prefix of the node addresses servers listen on. */
  readonly addressPrefix: string;
  /** Queue group of the servers' listen subscriptions. */
  readonly queueGroup: string;
  /** Level of the built-in logger. */
  readonly logLevel: LogLevel;
  /** How long bootstrap waits for NATS at start, in ms (0: one attempt). */
  readonly connectTimeout: number;
  /** Grace period of a graceful stop, in ms. */
  readonly stopGrace: number;
}

/**
 * Configuration resolution: defaults < code options < `NATS_URL` < `MICRO_*` environment < go-micro flags.
 *
 * Flags (`--flag=value` or `--flag value`; other arguments are left to the application):
 * `--transport --broker --registry` (nats | memory; the broker also jetstream), `--transport_address --broker_address
 * --registry_address` (comma-separated NATS servers), `--server_name --server_version --server_id
 * --server_address`, `--server_metadata k=v` (repeatable, or comma-separated), `--server_max_inflight`, `--register_ttl` and
 * `--register_interval` (whole seconds, as go-micro), `--client_request_timeout` (a Go duration:
 * `500ms`, `5s`, `1m`; a bare number is refused), `--registry_timeout` (a Go duration: how long a lookup
 * gathers answers), `--client_retries`, `--selector` (random |
 * roundRobin), `--registry_subjects` (registry subject prefixes, comma-separated), `--adr32` (true | false:
 * serve the NATS Service API), `--adr32_prefix` (its control
 * subject prefix, default `$SRV`), `--inbox_prefix` (reply subjects, default `_INBOX`), `--address_prefix`
 * (node addresses, default `_INBOX`), `--queue_group` (of listen subscriptions, default `micro-nats`),
 * plus `--address` (all three components; a per-component address in the same layer wins), `--log_level`
 * and `--connect_timeout` (a Go duration, or 0). Each has an environment variable `MICRO_<FLAG>`
 * (`MICRO_REGISTER_TTL`); `NATS_URL` stands in for `MICRO_ADDRESS`. A `--flag` within two edits of one of
 * these, or with one of their prefixes (`--client_…`), is refused; see `help.ts`.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_ADDRESS_PREFIX, DEFAULT_INBOX_PREFIX, DEFAULT_QUEUE_GROUP } from './defaults';
import { DEFAULT_ADR32, DEFAULT_ADR32_PREFIX, DEFAULT_CALL_TIMEOUT, DEFAULT_COMPONENT, DEFAULT_NATS_URL, DEFAULT_REGISTER_INTERVAL, DEFAULT_REGISTER_TTL, DEFAULT_REGISTRY_TIMEOUT,
  DEFAULT_MAX_INFLIGHT, DEFAULT_REGISTRY_SUBJECTS, DEFAULT_RETRIES, DEFAULT_SELECTOR, DEFAULT_CONNECT_TIMEOUT, DEFAULT_LOG_LEVEL,
  DEFAULT_STOP_GRACE } from './defaults';
import { ConfigError } from '../errors';
import { readCode } from './code';
import { mergeLayers, type Layer, type Settings } from './layer';
import type { BrokerName, RegistryName, TransportName } from '../implementations';
import type { Config, ConfigInput, ServerConfig } from './types';
import { readEnv, readFlags } from './sources';

export { COMPONENT_NAMES, type BrokerName, type RegistryName, type TransportName } from '../implementations';
export { SELECTOR_NAMES, type ComponentName, type SelectorName } from './parse';
export { FLAGS, envName } from './sources';

export type { ClientConfig, ClientInput, Config, ConfigInput, ServerConfig, ServerInput } from './types';

/** What applies when nothing else is configured. `registerInterval` shrinks to half a shorter `registerTtl`. */
export const CONFIG_DEFAULTS = Object.freeze({
  transport: DEFAULT_COMPONENT, broker: DEFAULT_COMPONENT, registry: DEFAULT_COMPONENT, address: DEFAULT_NATS_URL,
  registrySubjects: DEFAULT_REGISTRY_SUBJECTS, registerTtl: DEFAULT_REGISTER_TTL, registerInterval: DEFAULT_REGISTER_INTERVAL, timeout: DEFAULT_CALL_TIMEOUT,
  retries: DEFAULT_RETRIES, selector: DEFAULT_SELECTOR, serverAddress: '', serverMaxInflight: DEFAULT_MAX_INFLIGHT, adr32: DEFAULT_ADR32, adr32Prefix: DEFAULT_ADR32_PREFIX,
  inboxPrefix: DEFAULT_INBOX_PREFIX, addressPrefix: DEFAULT_ADDRESS_PREFIX, queueGroup: DEFAULT_QUEUE_GROUP,
  logLevel: DEFAULT_LOG_LEVEL, connectTimeout: DEFAULT_CONNECT_TIMEOUT,
  registryTimeout: DEFAULT_REGISTRY_TIMEOUT,
  stopGrace: DEFAULT_STOP_GRACE,
} as const);

function defaults(ttl: number): Layer {
  const d = CONFIG_DEFAULTS;
  const from = 'default';
  return {
    transport: { value: d.transport, from }, broker: { value: d.broker, from }, registry: { value: d.registry, from },
    transportAddress: { value: [d.address], from }, brokerAddress: { value: [d.address], from }, registryAddress: { value: [d.address], from },
    serverId: { value: randomUUID(), from }, serverAddress: { value: d.serverAddress, from }, serverMetadata: { value: {}, from },
    serverMaxInflight: { value: d.serverMaxInflight, from },
    registerTtl: { value: d.registerTtl, from }, registrySubjects: { value: d.registrySubjects, from },
    // A node must heartbeat at least once per TTL, so a short TTL alone must not leave the 30 s default.
    registerInterval: { value: Math.min(d.registerInterval, ttl / 2), from },
    timeout: { value: d.timeout, from }, retries: { value: d.retries, from }, selector: { value: d.selector, from },
    adr32: { value: d.adr32, from }, adr32Prefix: { value: d.adr32Prefix, from },
    inboxPrefix: { value: d.inboxPrefix, from }, addressPrefix: { value: d.addressPrefix, from }, queueGroup: { value: d.queueGroup, from },
    logLevel: { value: d.logLevel, from }, connectTimeout: { value: d.connectTimeout, from },
    registryTimeout: { value: d.registryTimeout, from },
    stopGrace: { value: d.stopGrace, from },
  };
}

/** Resolves the configuration. Throws on an invalid value, naming the option, variable or flag. */
export function resolveConfig<T extends object = object, B extends object = object, R extends object = object>(
  input: ConfigInput<T, B, R> = {},
): Config<T, B, R> {
  if (input === null || typeof input !== 'object') throw new ConfigError('config', `config: expected an options object, got ${String(input)}`);
  const given = [readCode(input), readEnv(input.env ?? process.env), readFlags(input.argv ?? process.argv.slice(2))];
  const ttl = mergeLayers(given).registerTtl?.value as number | undefined;
  const merged = mergeLayers([defaults(ttl ?? CONFIG_DEFAULTS.registerTtl), ...given]);
  const s = Object.fromEntries(Object.entries(merged).map(([k, e]) => [k, e.value])) as unknown as Settings;
  if (s.registerInterval >= s.registerTtl) {
    throw new ConfigError(merged.registerInterval!.from, `${merged.registerInterval!.from}: the register interval (${s.registerInterval} ms) must be shorter than `
      + `the register TTL (${s.registerTtl} ms, from ${merged.registerTtl!.from}), or nodes expire between heartbeats`);
  }
  const server: ServerConfig = Object.freeze({
    ...(s.serverName !== undefined && { name: s.serverName }),
    ...(s.serverVersion !== undefined && { version: s.serverVersion }),
    id: s.serverId, address: s.serverAddress, metadata: Object.freeze({ ...s.serverMetadata }), maxInflight: s.serverMaxInflight,
  });
  return Object.freeze({
    transport: s.transport as TransportName | T,
    broker: s.broker as BrokerName | B,
    registry: s.registry as RegistryName | R,
    transportAddress: Object.freeze([...s.transportAddress]),
    brokerAddress: Object.freeze([...s.brokerAddress]),
    registryAddress: Object.freeze([...s.registryAddress]),
    server,
    registrySubjects: Object.freeze([...s.registrySubjects]),
    registerTtl: s.registerTtl,
    registerInterval: s.registerInterval,
    registryTimeout: s.registryTimeout,
    client: Object.freeze({ timeout: s.timeout, retries: s.retries, selector: s.selector }),
    adr32: Object.freeze({ enabled: s.adr32, prefix: s.adr32Prefix }),
    inboxPrefix: s.inboxPrefix, addressPrefix: s.addressPrefix, queueGroup: s.queueGroup,
    logLevel: s.logLevel,
    connectTimeout: s.connectTimeout,
    stopGrace: s.stopGrace,
  });
}

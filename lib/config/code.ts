/**
 * The code layer: the options object passed to `bootstrap`, checked eagerly and flattened. Messages
 * name the option (`client.timeout`) and say what is accepted.
 */
import { ConfigError } from '../errors';
import { SERVICE_NAME_PATTERN } from '../metadata';
import { checkInboxPrefix, describeValue } from './check';
import { parseServers } from '../nats/servers';
import { COMPONENT_NAMES, type ComponentKind } from '../implementations';
import { SELECTOR_NAMES, SUBJECT_PREFIX } from './parse';
import { LOG_LEVELS } from '../logger';
import type { Layer, SettingKey } from './layer';
import type { ConfigInput } from './types';

function fail(option: string, value: unknown, accepted: string): never {
  throw new ConfigError(option, `${option}: ${describeValue(value)} is not ${accepted}`);
}

function component(kind: ComponentKind, v: unknown): unknown {
  const names: readonly string[] = COMPONENT_NAMES[kind];
  if (typeof v === 'string' && names.includes(v)) return v;
  if (typeof v === 'object' && v !== null) return v; // an instance the caller built: used as is
  return fail(kind, v, `one of ${names.join(', ')} or an instance`);
}

function positiveMs(option: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(option, v, 'a number of milliseconds greater than 0');
  return v;
}

function text(option: string, v: unknown, pattern: RegExp, accepted: string): string {
  if (typeof v !== 'string' || !pattern.test(v)) fail(option, v, accepted);
  return v;
}

function addresses(option: string, v: unknown): string[] {
  const ok = typeof v === 'string' || (Array.isArray(v) && v.every((s) => typeof s === 'string'));
  if (!ok) fail(option, v, 'a NATS address or a list of them');
  return parseServers(v as string | string[], option);
}

function metadata(option: string, v: unknown): Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(option, v, 'an object of string values');
  for (const [k, s] of Object.entries(v)) if (typeof s !== 'string') fail(`${option}.${k}`, s, 'a string');
  return { ...(v as Record<string, string>) };
}

function object(option: string, v: unknown): Record<string, unknown> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(option, v, 'an object');
  return v as Record<string, unknown>;
}

/** Flattens and checks the code options; absent options are absent from the layer. */
export function readCode(input: ConfigInput): Layer {
  const layer: Layer = {};
  const set = (key: SettingKey, option: string, v: unknown, check: (option: string, v: unknown) => unknown) => {
    if (v !== undefined) layer[key] = { value: check(option, v), from: option };
  };
  const server = object('server', input.server);
  const client = object('client', input.client);
  for (const key of ['transport', 'broker', 'registry'] as const) set(key, key, input[key], (_o, v) => component(key, v));
  for (const key of ['transportAddress', 'brokerAddress', 'registryAddress'] as const) {
    // The per-component address wins over `address`, which only fills in for it.
    set(key, 'address', input.address, addresses);
    set(key, key, input[key], addresses);
  }
  set('serverName', 'server.name', server.name, (o, v) => text(o, v, SERVICE_NAME_PATTERN, `a service name (${SERVICE_NAME_PATTERN.source})`));
  set('serverVersion', 'server.version', server.version, (o, v) => text(o, v, /^\S+$/, 'a non-empty string without spaces'));
  set('serverId', 'server.id', server.id, (o, v) => text(o, v, /^\S+$/, 'a non-empty string without spaces'));
  set('serverAddress', 'server.address', server.address, (o, v) => text(o, v, /^\S*$/, 'a string without spaces'));
  set('serverMetadata', 'server.metadata', server.metadata, metadata);
  set('serverMaxInflight', 'server.maxInflight', server.maxInflight, (o, v) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(o, v, 'a whole number >= 1');
    return v;
  });
  set('registrySubjects', 'registrySubjects', input.registrySubjects, (o, v) => {
    if (!Array.isArray(v) || v.length === 0) fail(o, v, 'a non-empty list of subject prefixes');
    return v.map((p) => text(o, p, SUBJECT_PREFIX, 'subject prefixes without spaces, wildcards or empty tokens'));
  });
  set('registerTtl', 'registerTtl', input.registerTtl, positiveMs);
  set('registerInterval', 'registerInterval', input.registerInterval, positiveMs);
  set('registryTimeout', 'registryTimeout', input.registryTimeout, positiveMs);
  set('stopGrace', 'stopGrace', input.stopGrace, positiveMs);
  set('timeout', 'client.timeout', client.timeout, positiveMs);
  set('retries', 'client.retries', client.retries, (o, v) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(o, v, 'a whole number >= 0');
    return v;
  });
  set('selector', 'client.selector', client.selector, (o, v) => {
    if (!(SELECTOR_NAMES as readonly unknown[]).includes(v)) fail(o, v, `one of ${SELECTOR_NAMES.join(', ')}`);
    return v;
  });
  set('adr32', 'adr32', input.adr32, (o, v) => (typeof v === 'boolean' ? v : fail(o, v, 'true or false')));
  set('logLevel', 'logLevel', input.logLevel, (o, v) => {
    if (!(LOG_LEVELS as readonly unknown[]).includes(v)) fail(o, v, `one of ${LOG_LEVELS.join(', ')}`);
    return v;
  });
  set('connectTimeout', 'connectTimeout', input.connectTimeout, (o, v) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(o, v, 'a number of milliseconds >= 0 (0: one attempt)');
    return v;
  });
  set('adr32Prefix', 'adr32Prefix', input.adr32Prefix, (o, v) => text(o, v, SUBJECT_PREFIX, 'a subject prefix without spaces, wildcards or empty tokens'));
  set('inboxPrefix', 'inboxPrefix', input.inboxPrefix, (o, v) => { checkInboxPrefix(o, v); return v; });
  set('addressPrefix', 'addressPrefix', input.addressPrefix, (o, v) => text(o, v, SUBJECT_PREFIX, 'a subject prefix without spaces, wildcards or empty tokens'));
  set('queueGroup', 'queueGroup', input.queueGroup, (o, v) => text(o, v, SUBJECT_PREFIX, 'a queue group name without spaces or wildcards'));
  return layer;
}

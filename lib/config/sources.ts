/**
 * The flag and environment layers. Both are read into the same shape: for each of go-micro's flag
 * names, the parsed value and the label it came from (`--registry`, `MICRO_REGISTRY`).
 */
import { ConfigError } from '../errors';
import {
  componentParser, parseAddresses, parseBool, parseCount, parseDuration, parseLogLevel, parsePositiveCount, parseMetadata, parseSeconds,
  parseSelector, parseServiceName, parseSubjectPrefix, parseSubjectPrefixes, parseToken, parseWait,
} from './parse';
import { checkInboxPrefix } from './check';

function parseInboxPrefix(raw: string, label: string): string {
  const v = raw.trim();
  checkInboxPrefix(label, v);
  return v;
}
import type { Layer, SettingKey } from './layer';

interface FlagSpec { readonly flag: string; readonly key: SettingKey; readonly parse: (raw: string, label: string) => unknown }

/** go-micro's flag names, the setting each one changes and how its text is read. */
export const FLAGS: readonly FlagSpec[] = Object.freeze([
  { flag: 'address', key: 'address', parse: parseAddresses },
  { flag: 'transport', key: 'transport', parse: componentParser('transport') },
  { flag: 'transport_address', key: 'transportAddress', parse: parseAddresses },
  { flag: 'broker', key: 'broker', parse: componentParser('broker') },
  { flag: 'broker_address', key: 'brokerAddress', parse: parseAddresses },
  { flag: 'registry', key: 'registry', parse: componentParser('registry') },
  { flag: 'registry_address', key: 'registryAddress', parse: parseAddresses },
  { flag: 'server_name', key: 'serverName', parse: parseServiceName },
  { flag: 'server_version', key: 'serverVersion', parse: parseToken },
  { flag: 'server_id', key: 'serverId', parse: parseToken },
  { flag: 'server_address', key: 'serverAddress', parse: parseToken },
  { flag: 'server_metadata', key: 'serverMetadata', parse: parseMetadata },
  { flag: 'server_max_inflight', key: 'serverMaxInflight', parse: parsePositiveCount },
  { flag: 'registry_subjects', key: 'registrySubjects', parse: parseSubjectPrefixes },
  { flag: 'register_ttl', key: 'registerTtl', parse: parseSeconds },
  { flag: 'register_interval', key: 'registerInterval', parse: parseSeconds },
  { flag: 'registry_timeout', key: 'registryTimeout', parse: parseDuration },
  { flag: 'client_request_timeout', key: 'timeout', parse: parseDuration },
  { flag: 'client_retries', key: 'retries', parse: parseCount },
  { flag: 'selector', key: 'selector', parse: parseSelector },
  { flag: 'adr32', key: 'adr32', parse: parseBool },
  { flag: 'adr32_prefix', key: 'adr32Prefix', parse: parseSubjectPrefix },
  { flag: 'inbox_prefix', key: 'inboxPrefix', parse: parseInboxPrefix },
  { flag: 'address_prefix', key: 'addressPrefix', parse: parseSubjectPrefix },
  { flag: 'queue_group', key: 'queueGroup', parse: parseSubjectPrefix },
  { flag: 'log_level', key: 'logLevel', parse: parseLogLevel },
  { flag: 'connect_timeout', key: 'connectTimeout', parse: parseWait },
  { flag: 'stop_grace', key: 'stopGrace', parse: parseDuration },
].map((f) => Object.freeze(f as FlagSpec)));

/** The environment variable for a flag: `MICRO_` and the upper-cased flag name. */
export function envName(flag: string): string {
  return `MICRO_${flag.toUpperCase()}`;
}

/** Sets `spec`'s value in `layer`; metadata accumulates (repeated flags) where anything else is replaced. */
function put(layer: Layer, spec: FlagSpec, raw: string, label: string): void {
  const value = spec.parse(raw, label);
  const prev = layer[spec.key];
  const merged = spec.key === 'serverMetadata' && prev ? { ...(prev.value as object), ...(value as object) } : value;
  layer[spec.key] = { value: merged, from: label };
}

/**
 * `MICRO_*` variables; an empty variable counts as unset, as a shell `VAR=` usually means "no value".
 * `NATS_URL` (as the NATS CLI reads it) stands in for `MICRO_ADDRESS` when that is unset.
 */
export function readEnv(env: Readonly<Record<string, string | undefined>>): Layer {
  const layer: Layer = {};
  const nats = env.NATS_URL;
  if (nats !== undefined && nats.trim() !== '') put(layer, FLAGS[0], nats, 'NATS_URL');
  for (const spec of FLAGS) {
    const name = envName(spec.flag);
    const raw = env[name];
    if (raw !== undefined && raw.trim() !== '') put(layer, spec, raw, name);
  }
  return spreadAddress(layer);
}

/** `address` fills in each component's address not set in the same layer (a per-component one wins). */
function spreadAddress(layer: Layer): Layer {
  const all = layer.address;
  if (!all) return layer;
  delete layer.address;
  for (const key of ['transportAddress', 'brokerAddress', 'registryAddress'] as const) layer[key] ??= all;
  return layer;
}

/** A flag that looks like a micro-nats one: a known prefix, or within two edits of a known name. */
function looksOurs(flag: string): string | undefined {
  const near = FLAGS.map((f) => f.flag).find((name) => distance(flag, name) <= 2);
  if (near) return `did you mean --${near}?`;
  if (/^(client|server|register|registry|broker|transport|adr32|log|connect)_/.test(flag)) return 'it is not a micro-nats flag';
  return undefined;
}

/** Levenshtein distance, bounded by short flag names. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/**
 * go-micro's flags in `argv`, as `--flag=value` or `--flag value`; parsing stops at `--`. Any other
 * argument is left to the application, which may have flags of its own.
 */
export function readFlags(argv: readonly string[]): Layer {
  const layer: Layer = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') break;
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const spec = FLAGS.find((f) => f.flag === flag);
    if (!spec) {
      const hint = flag === 'help' || flag.length > 40 ? undefined : looksOurs(flag);
      if (hint) throw new ConfigError(`--${flag}`, `--${flag}: unknown flag; ${hint} (--help lists them)`);
      continue;
    }
    let raw: string;
    if (eq >= 0) {
      raw = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new Error(`--${flag}: missing value (use --${flag}=<value> or --${flag} <value>)`);
      raw = next;
      i++;
    }
    put(layer, spec, raw, `--${flag}`);
  }
  return spreadAddress(layer);
}

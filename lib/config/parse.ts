/**
 * Parsers for configuration values given as text (flags and environment variables). Each takes the
 * label of where the text came from (`--register_ttl`, `MICRO_REGISTER_TTL`) so that a bad value is
 * reported against what the user actually typed, together with the accepted forms.
 */
import { ConfigError } from '../errors';
import { COMPONENT_NAMES, type BrokerName, type ComponentKind, type RegistryName, type TransportName } from '../implementations';
import { SERVICE_NAME_PATTERN } from '../metadata';
import { parseServers } from '../nats/servers';
import { LOG_LEVELS, type LogLevel } from '../logger';

/** Node selection strategies of the client. */
export const SELECTOR_NAMES = Object.freeze(['random', 'roundRobin'] as const);

/** A transport, broker or registry name (each kind accepts the names of its own table). */
export type ComponentName = TransportName | BrokerName | RegistryName;
/** `'random'` or `'roundRobin'`. */
export type SelectorName = (typeof SELECTOR_NAMES)[number];

function bad(label: string, raw: string, accepted: string): ConfigError {
  return new ConfigError(label, `${label}: ${JSON.stringify(raw)} is not ${accepted}`);
}

/** The parser of a `kind` name (case-insensitive): one of the names of that kind's table. */
export function componentParser(kind: ComponentKind): (raw: string, label: string) => ComponentName {
  const names: readonly string[] = COMPONENT_NAMES[kind];
  return (raw, label) => {
    const v = raw.trim().toLowerCase();
    if (names.includes(v)) return v as ComponentName;
    throw bad(label, raw, `one of ${names.join(', ')}`);
  };
}


/** `random` or `roundRobin`; `roundrobin`, `round_robin` and `round-robin` are accepted too. */
export function parseSelector(raw: string, label: string): SelectorName {
  const v = raw.trim().toLowerCase().replace(/[-_]/g, '');
  if (v === 'random') return 'random';
  if (v === 'roundrobin') return 'roundRobin';
  throw bad(label, raw, 'one of random, roundRobin (also roundrobin, round_robin)');
}

/** A comma-separated list of NATS servers, normalised by `parseServers` (which adds `nats://`). */
export function parseAddresses(raw: string, label: string): string[] {
  if (raw.trim() === '') throw bad(label, raw, 'a NATS address list (e.g. nats://a:4222,nats://b:4222)');
  return parseServers(raw, label);
}

/** go-micro's `--register_ttl`/`--register_interval`: a whole number of seconds > 0, returned in ms. */
export function parseSeconds(raw: string, label: string): number {
  const v = raw.trim();
  if (!/^\d+$/.test(v) || Number(v) === 0) throw bad(label, raw, 'a whole number of seconds greater than 0 (e.g. 30)');
  return Number(v) * 1000;
}

/** A whole number >= 0. */
export function parseCount(raw: string, label: string): number {
  const v = raw.trim();
  if (!/^\d+$/.test(v)) throw bad(label, raw, 'a whole number >= 0 (e.g. 1)');
  return Number(v);
}

/** A whole number >= 1 (a limit). */
export function parsePositiveCount(raw: string, label: string): number {
  const v = raw.trim();
  if (!/^\d+$/.test(v) || Number(v) === 0) throw bad(label, raw, 'a whole number >= 1 (e.g. 1024)');
  return Number(v);
}

const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({ ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 });

/**
 * A Go duration as `time.ParseDuration` reads it (`500ms`, `5s`, `1m30s`, `1.5h`), returned in ms.
 * A bare number is refused, as in Go, because seconds and milliseconds are both plausible readings.
 */
export function parseDuration(raw: string, label: string): number {
  const v = raw.trim();
  const accepted = 'a duration greater than 0 with a unit, as Go writes it (e.g. 500ms, 5s, 1m30s; units ns, us, ms, s, m, h)';
  if (!/^(\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))*$/.test(v)) throw bad(label, raw, accepted);
  let ms = 0;
  for (const [, n, unit] of v.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) ms += Number(n) * UNIT_MS[unit];
  if (!(ms > 0)) throw bad(label, raw, accepted);
  return ms;
}

/** `k=v` pairs separated by commas (as urfave/cli splits go-micro's string slices); the value may contain `=`. */
export function parseMetadata(raw: string, label: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of raw.split(',')) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? '' : pair.slice(0, eq).trim();
    if (key === '') throw bad(label, pair, 'a key=value pair (e.g. team=core; several separated by commas)');
    out[key] = pair.slice(eq + 1).trim();
  }
  return out;
}

/** A service name: letters, digits, `_` and `-`. */
export function parseServiceName(raw: string, label: string): string {
  const v = raw.trim();
  if (!SERVICE_NAME_PATTERN.test(v)) throw bad(label, raw, `a service name (letters, digits, "_" and "-": ${SERVICE_NAME_PATTERN.source})`);
  return v;
}

/** Any non-empty text without whitespace (versions, ids). */
export function parseToken(raw: string, label: string): string {
  const v = raw.trim();
  if (v === '' || /\s/.test(v)) throw bad(label, raw, 'a non-empty value without spaces');
  return v;
}

/** `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`), case-insensitive. */
export function parseBool(raw: string, label: string): boolean {
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw bad(label, raw, 'true or false');
}

/** A NATS subject prefix without wildcards or empty tokens (`$SRV`, `acme.$SRV`). */
export function parseSubjectPrefix(raw: string, label: string): string {
  const v = raw.trim();
  if (!SUBJECT_PREFIX.test(v)) throw bad(label, raw, 'a subject prefix without spaces, wildcards or empty tokens (e.g. $SRV)');
  return v;
}

/** A comma-separated list of subject prefixes (`micro.registry.nats,micro.nats`); at least one. */
export function parseSubjectPrefixes(raw: string, label: string): string[] {
  const list = raw.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (list.length === 0) throw bad(label, raw, 'one or more subject prefixes, comma-separated (e.g. micro.registry.nats,micro.nats)');
  return list.map((p) => parseSubjectPrefix(p, label));
}

/** Dot-separated tokens of printable ASCII without `*`, `>` and spaces. */
export const SUBJECT_PREFIX = /^[!-)+-\-/-=?-~]+(\.[!-)+-\-/-=?-~]+)*$/;

/** A log level: trace, debug, info, warn, error, fatal or silent (case-insensitive). */
export function parseLogLevel(raw: string, label: string): LogLevel {
  const v = raw.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(v)) return v as LogLevel;
  throw bad(label, raw, `one of ${LOG_LEVELS.join(', ')}`);
}

/** A Go duration as {@link parseDuration}, or `0` (with or without a unit): "do not wait". */
export function parseWait(raw: string, label: string): number {
  return /^0+(\.0*)?(ns|us|ms|s|m|h)?$/.test(raw.trim()) ? 0 : parseDuration(raw, label);
}

/**
 * Strict checks of what callers hand the registry: services given to `register`, lookup names and
 * options. Each throws naming the fault; what arrives from the wire is read leniently in `wire.ts`.
 */
import { checkNumber } from '../config/check';
import { isPublishSubject } from '../nats/subject';
import { badRequest, excerpt, payloadTooLarge } from '../errors';
import type { Endpoint, Node, RegistryOptions, Service, Value } from './index';
import { encodeJSON, MAX_VALUE_DEPTH, toResult } from './wire';

/** Names `register` accepts: the subject-token characters, dot-separated tokens allowed for go-micro names. */
export const REGISTER_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
export { DEFAULT_MAX_PAYLOAD } from '../config/defaults';

function strictMetadata(m: unknown, where: string): Record<string, string> {
  if (m === undefined || m === null) return {};
  if (typeof m !== 'object' || Array.isArray(m)) throw badRequest('micro.registry', `${where}: metadata must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m as Record<string, unknown>)) {
    if (typeof v !== 'string') throw badRequest('micro.registry', `${where}: metadata "${excerpt(k)}" must be a string, got ${typeof v}`);
    out[k] = v;
  }
  return out;
}

function strictValue(v: unknown, where: string, depth: number): Value | undefined {
  if (v === undefined || v === null) return undefined;
  if (depth > MAX_VALUE_DEPTH) throw badRequest('micro.registry', `${where}: value nested deeper than ${MAX_VALUE_DEPTH}`);
  const x = v as Partial<Value>;
  if (typeof x !== 'object' || typeof x.name !== 'string' || typeof x.type !== 'string') {
    throw badRequest('micro.registry', `${where}: a value needs string "name" and "type"`);
  }
  const out: Value = { name: x.name, type: x.type };
  if (x.values !== undefined && x.values !== null) {
    if (!Array.isArray(x.values)) throw badRequest('micro.registry', `${where}: "values" must be an array`);
    out.values = x.values.map((c, i) => strictValue(c, `${where}.values[${i}]`, depth + 1)!).filter((c) => c !== undefined);
  }
  return out;
}

/**
 * Checks a service given to `register` and returns a normalised deep copy. Throws 400 naming the fault,
 * and with `maxPayload`, 413 when the announcement (`{"Action":"update","Service":…}`) exceeds it.
 */
export function checkService(s: unknown, maxPayload?: number): Service {
  if (!s || typeof s !== 'object') throw badRequest('micro.registry', 'register: a service object is required');
  const x = s as Partial<Service>;
  if (typeof x.name !== 'string' || !REGISTER_NAME.test(x.name)) {
    throw badRequest('micro.registry',
      `invalid service name ${JSON.stringify(x.name)}: expected letters, digits, "_" or "-" (dot-separated tokens allowed), no spaces or wildcards`);
  }
  const where = `service ${x.name}`;
  if (x.version !== undefined && typeof x.version !== 'string') throw badRequest('micro.registry', `${where}: version must be a string`);
  if (x.endpoints !== undefined && x.endpoints !== null && !Array.isArray(x.endpoints)) {
    throw badRequest('micro.registry', `${where}: endpoints must be an array`);
  }
  if (!Array.isArray(x.nodes) || x.nodes.length === 0) throw badRequest('micro.registry', `${where}: at least one node is required`);
  const endpoints: Endpoint[] = (x.endpoints ?? []).map((e, i) => {
    const ew = `${where} endpoint ${i}`;
    if (!e || typeof e !== 'object' || typeof e.name !== 'string' || e.name === '') throw badRequest('micro.registry', `${ew}: a non-empty name is required`);
    const out: Endpoint = { name: e.name, metadata: strictMetadata(e.metadata, `${where} endpoint ${e.name}`) };
    const req = strictValue(e.request, `${where} endpoint ${e.name} request`, 0);
    const res = strictValue(e.response, `${where} endpoint ${e.name} response`, 0);
    if (req) out.request = req;
    if (res) out.response = res;
    return out;
  });
  const ids = new Set<string>();
  const nodes: Node[] = x.nodes.map((n, i) => {
    if (!n || typeof n !== 'object' || typeof n.id !== 'string' || n.id === '') throw badRequest('micro.registry', `${where} node ${i}: a non-empty id is required`);
    if (typeof n.address !== 'string' || n.address === '') throw badRequest('micro.registry', `${where} node ${excerpt(n.id)}: a non-empty address is required`);
    if (ids.has(n.id)) throw badRequest('micro.registry', `${where}: node id ${excerpt(n.id)} appears twice`);
    ids.add(n.id);
    return { id: n.id, address: n.address, metadata: strictMetadata(n.metadata, `${where} node ${n.id}`) };
  });
  const out: Service = { name: x.name, version: x.version ?? '', metadata: strictMetadata(x.metadata, where), endpoints, nodes };
  if (maxPayload !== undefined) checkSize(out, maxPayload);
  return out;
}

/** Longest node id, service name or version a cache keeps. */
export const MAX_NAME_LENGTH = 256;
/** Metadata entries a cached node may carry. */
export const MAX_NODE_METADATA = 64;
/** Characters of a cached node's metadata (keys and values). */
export const MAX_NODE_METADATA_CHARS = 4_096;

/**
 * True for a node a request can be sent to, within bounds: an id of 1 to {@link MAX_NAME_LENGTH} characters,
 * an address that is a publish subject (no wildcard, no white space, not empty, at most 256 characters) and
 * string metadata within {@link MAX_NODE_METADATA} entries and {@link MAX_NODE_METADATA_CHARS} characters.
 * What arrives from the wire is checked with this; a node failing it is dropped, never selected.
 */
export function isUsableNode(n: Node): boolean {
  if (!n || typeof n.id !== 'string' || n.id.length === 0 || n.id.length > MAX_NAME_LENGTH) return false;
  if (!isPublishSubject(n.address)) return false;
  const m = n.metadata;
  if (m === undefined || m === null) return true;
  if (typeof m !== 'object') return false;
  let entries = 0;
  let chars = 0;
  for (const k in m) {
    const v = m[k];
    if (typeof v !== 'string' || ++entries > MAX_NODE_METADATA) return false;
    chars += k.length + v.length;
    if (chars > MAX_NODE_METADATA_CHARS) return false;
  }
  return true;
}

/** Throws 413 when the announcement of `s` (`{"Action":"update","Service":…}`) exceeds `maxPayload` bytes. */
export function checkSize(s: Service, maxPayload: number): void {
  const size = encodeJSON(toResult('update', s)).length;
  if (size > maxPayload) {
    throw payloadTooLarge('micro.registry',
      `service ${s.name}: its registration is ${size} bytes, more than the ${maxPayload} bytes a message may carry (max_payload); shrink its metadata or endpoints`);
  }
}

/** Checks a name given to getService / watch: a non-empty string. Throws 400. */
export function checkLookupName(name: unknown, what = 'service name'): string {
  if (typeof name !== 'string' || name === '') throw badRequest('micro.registry', `${what} must be a non-empty string`);
  return name;
}

/** Checks a non-negative finite number option; throws a plain Error naming it. */
export function checkMs(owner: string, key: string, v: unknown, min = 0): void {
  checkNumber(`${owner} option ${key}`, v, min, 'micro.registry');
}

/** Validates the common registry options, naming the option. */
export function checkOptions(o: Partial<RegistryOptions>): void {
  checkMs('registry', 'timeout', o.timeout);
  checkMs('registry', 'registerInterval', o.registerInterval, 1);
}

/** Drops keys whose value is undefined (so `init({ timeout: undefined })` keeps the default). */
export function definedOnly<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/**
 * Validation, copying and go-micro's JSON for services. Registered services are checked strictly;
 * discovered ones (answers, watch events, possibly from go-micro) are read leniently.
 */
import { badRequest, payloadTooLarge } from '../errors';
import type { Action, Endpoint, Node, RegistryOptions, Service, Value } from './index';

/** Names `register` accepts: the subject-token characters, dot-separated tokens allowed for go-micro names. */
export const REGISTER_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
/** The largest message NATS carries by default (nats-server `max_payload`, 1 MiB); the memory registry's bound. */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
const MAX_VALUE_DEPTH = 32;
const ACTIONS: ReadonlySet<string> = new Set(['create', 'update', 'delete']);
const EMPTY_METADATA: Record<string, string> = {};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeJSON(x: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(x));
}

// ---------------------------------------------------------------------------------------------------
// Strict: what register() accepts

function strictMetadata(m: unknown, where: string): Record<string, string> {
  if (m === undefined || m === null) return {};
  if (typeof m !== 'object' || Array.isArray(m)) throw badRequest('micro.registry', `${where}: metadata must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m as Record<string, unknown>)) {
    if (typeof v !== 'string') throw badRequest('micro.registry', `${where}: metadata "${k}" must be a string, got ${typeof v}`);
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
    if (typeof n.address !== 'string' || n.address === '') throw badRequest('micro.registry', `${where} node ${n.id}: a non-empty address is required`);
    if (ids.has(n.id)) throw badRequest('micro.registry', `${where}: node id ${n.id} appears twice`);
    ids.add(n.id);
    return { id: n.id, address: n.address, metadata: strictMetadata(n.metadata, `${where} node ${n.id}`) };
  });
  const out: Service = { name: x.name, version: x.version ?? '', metadata: strictMetadata(x.metadata, where), endpoints, nodes };
  if (maxPayload !== undefined) checkSize(out, maxPayload);
  return out;
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
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw new Error(`${owner} option ${key}: expected a number >= ${min}, got ${String(v)}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Lenient: what comes from the wire

function looseMetadata(m: unknown): Record<string, string> {
  if (!m || typeof m !== 'object' || Array.isArray(m)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m as Record<string, unknown>)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
  }
  return out;
}

function looseValue(v: unknown, depth: number): Value | undefined {
  if (!v || typeof v !== 'object' || depth > MAX_VALUE_DEPTH) return undefined;
  const x = v as Record<string, unknown>;
  const out: Value = { name: typeof x.name === 'string' ? x.name : '', type: typeof x.type === 'string' ? x.type : '' };
  if (Array.isArray(x.values)) {
    const values: Value[] = [];
    for (const c of x.values) { const cv = looseValue(c, depth + 1); if (cv) values.push(cv); }
    out.values = values;
  }
  return out;
}

/** Reads a service from parsed JSON (go-micro's or ours); undefined when it has no usable name. Invalid nodes are skipped. */
export function parseService(raw: unknown): Service | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const x = raw as Record<string, unknown>;
  if (typeof x.name !== 'string' || x.name === '') return undefined;
  const endpoints: Endpoint[] = [];
  if (Array.isArray(x.endpoints)) {
    for (const e of x.endpoints) {
      if (!e || typeof e !== 'object' || typeof (e as Endpoint).name !== 'string') continue;
      const ee = e as Record<string, unknown>;
      const out: Endpoint = { name: ee.name as string, metadata: looseMetadata(ee.metadata) };
      const req = looseValue(ee.request, 0);
      const res = looseValue(ee.response, 0);
      if (req) out.request = req;
      if (res) out.response = res;
      endpoints.push(out);
    }
  }
  const nodes: Node[] = [];
  if (Array.isArray(x.nodes)) {
    for (const n of x.nodes) {
      if (!n || typeof n !== 'object') continue;
      const nn = n as Record<string, unknown>;
      if (typeof nn.id !== 'string' || nn.id === '' || typeof nn.address !== 'string') continue;
      nodes.push({ id: nn.id, address: nn.address, metadata: looseMetadata(nn.metadata) });
    }
  }
  return { name: x.name, version: typeof x.version === 'string' ? x.version : '', metadata: looseMetadata(x.metadata), endpoints, nodes };
}

/** Parses a `{"Action":…,"Service":…}` message; undefined when malformed or the action is unknown. */
export function parseResult(data: Uint8Array): { action: string; service: Service | undefined } | undefined {
  let raw: unknown;
  try { raw = JSON.parse(decoder.decode(data)); } catch { return undefined; }
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.Action !== 'string') return undefined;
  return { action: r.Action, service: parseService(r.Service) };
}

/** Parses a watch event; undefined when malformed, the action is not create/update/delete, or the service unusable. */
export function parseWatchEvent(data: Uint8Array): { action: Action; service: Service } | undefined {
  const r = parseResult(data);
  if (!r || !ACTIONS.has(r.action) || !r.service) return undefined;
  return { action: r.action as Action, service: r.service };
}

/** Parses one query answer (a bare service JSON). */
export function parseAnswer(data: Uint8Array): Service | undefined {
  try { return parseService(JSON.parse(decoder.decode(data))); } catch { return undefined; }
}

// ---------------------------------------------------------------------------------------------------
// go-micro's JSON: key order and nulls as Go's encoding/json writes registry.Service

interface WireValue { name: string; type: string; values: WireValue[] | null }
interface WireEndpoint { name: string; request: WireValue | null; response: WireValue | null; metadata: Record<string, string> }
interface WireService {
  name: string; version: string; metadata: Record<string, string>; endpoints: WireEndpoint[]; nodes: Node[];
}

function wireValue(v: Value | undefined): WireValue | null {
  if (!v) return null;
  return { name: v.name, type: v.type, values: v.values ? v.values.map((c) => wireValue(c)!) : null };
}

/** A service in go-micro's JSON shape: `{name, version, metadata, endpoints:[{name, request, response, metadata}], nodes:[{id, address, metadata}]}`. */
export function toWire(s: Service): WireService {
  return {
    name: s.name,
    version: s.version,
    metadata: s.metadata ?? EMPTY_METADATA,
    endpoints: s.endpoints.map((e) => ({ name: e.name, request: wireValue(e.request), response: wireValue(e.response), metadata: e.metadata ?? EMPTY_METADATA })),
    nodes: s.nodes.map((n) => ({ id: n.id, address: n.address, metadata: n.metadata ?? EMPTY_METADATA })),
  };
}

/** `{"Action":…,"Service":…}` as go-micro's `registry.Result` marshals (no JSON tags, so capitalised keys). */
export function toResult(action: string, s: Service | null): { Action: string; Service: WireService | null } {
  return { Action: action, Service: s ? toWire(s) : null };
}

/** The `get` query go-micro sends: `{"Action":"get","Service":{"name":…,"version":"","metadata":null,"endpoints":null,"nodes":null}}`. */
export function getQuery(name: string): Uint8Array {
  return encodeJSON({ Action: 'get', Service: { name, version: '', metadata: null, endpoints: null, nodes: null } });
}

/** The `list` query: `{"Action":"list","Service":null}`. */
export const LIST_QUERY = encodeJSON({ Action: 'list', Service: null });

// ---------------------------------------------------------------------------------------------------
// Copies and merging

export function copyValue(v: Value): Value {
  const out: Value = { name: v.name, type: v.type };
  if (v.values) out.values = v.values.map(copyValue);
  return out;
}

export function copyEndpoint(e: Endpoint): Endpoint {
  const out: Endpoint = { name: e.name, metadata: { ...e.metadata } };
  if (e.request) out.request = copyValue(e.request);
  if (e.response) out.response = copyValue(e.response);
  return out;
}

export function copyNode(n: Node): Node {
  return { id: n.id, address: n.address, metadata: { ...n.metadata } };
}

/** A deep copy; `nodes` replaces the service's nodes when given. */
export function copyService(s: Service, nodes: readonly Node[] = s.nodes): Service {
  return { name: s.name, version: s.version, metadata: { ...s.metadata }, endpoints: s.endpoints.map(copyEndpoint), nodes: nodes.map(copyNode) };
}

/** Key of a service version in maps. */
export function versionKey(name: string, version: string): string {
  return `${name}\u0000${version}`;
}

/**
 * Merges answers by name+version: nodes deduplicated by id (the later answer wins), service metadata
 * and endpoints from the last answer. Versions left without nodes are dropped unless `keepEmpty`.
 */
export class ServiceMerger {
  private readonly byKey = new Map<string, { service: Service; nodes: Map<string, Node> }>();

  add(s: Service): void {
    const key = versionKey(s.name, s.version);
    let e = this.byKey.get(key);
    if (!e) { e = { service: s, nodes: new Map() }; this.byKey.set(key, e); }
    else e.service = s;
    for (const n of s.nodes) e.nodes.set(n.id, n);
  }

  get size(): number { return this.byKey.size; }

  /** The merged services, sorted by name then version. */
  result(keepEmpty = false): Service[] {
    const out: Service[] = [];
    for (const { service, nodes } of this.byKey.values()) {
      if (nodes.size === 0 && !keepEmpty) continue;
      out.push({ name: service.name, version: service.version, metadata: service.metadata, endpoints: service.endpoints, nodes: [...nodes.values()] });
    }
    return out.sort(byNameVersion);
  }
}

export function byNameVersion(a: Service, b: Service): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : a.version > b.version ? 1 : 0;
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

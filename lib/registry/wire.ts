/**
 * go-micro's registry JSON, both ways: discovered services (answers, watch events, possibly from
 * go-micro) are read leniently, skipping what is unusable; outgoing ones are written in the key order
 * and with the nulls Go's encoding/json produces.
 */
import type { Action, Endpoint, Node, Service, Value } from './index';

/** How deep `values` may nest in a registry `Value`; deeper input is rejected (register) or cut (wire). */
export const MAX_VALUE_DEPTH = 32;
const ACTIONS: ReadonlySet<string> = new Set(['create', 'update', 'delete']);
const EMPTY_METADATA: Record<string, string> = {};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `x` as UTF-8 JSON bytes. Throws what `JSON.stringify` throws (cycles, BigInt). */
export function encodeJSON(x: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(x));
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
// Writing: key order and nulls as Go's encoding/json writes registry.Service

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

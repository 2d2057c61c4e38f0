/** Deep copies of registry services and merging of several answers into one list. */
import type { Endpoint, Node, Service, Value } from './index';

/** A deep copy of a schema `Value`, nested `values` included. */
export function copyValue(v: Value): Value {
  const out: Value = { name: v.name, type: v.type };
  if (v.values) out.values = v.values.map(copyValue);
  return out;
}

/** A deep copy of an endpoint: its metadata and request/response schemas. */
export function copyEndpoint(e: Endpoint): Endpoint {
  const out: Endpoint = { name: e.name, metadata: { ...e.metadata } };
  if (e.request) out.request = copyValue(e.request);
  if (e.response) out.response = copyValue(e.response);
  return out;
}

/** A copy of a node with its own metadata object. */
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

  /** Adds one answer: its nodes join those already seen for its name+version, its metadata and endpoints replace theirs. */
  add(s: Service): void {
    const key = versionKey(s.name, s.version);
    let e = this.byKey.get(key);
    if (!e) { e = { service: s, nodes: new Map() }; this.byKey.set(key, e); }
    else e.service = s;
    for (const n of s.nodes) e.nodes.set(n.id, n);
  }

  /** How many distinct name+version pairs were added, empty ones included. */
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

/** Sort order for services: by name, then version (plain string comparison). */
export function byNameVersion(a: Service, b: Service): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : a.version > b.version ? 1 : 0;
}

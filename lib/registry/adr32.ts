/**
 * Discovery of NATS Service API (ADR-32) services: a registry in front of the NATS registry whose lookups
 * also ask `$SRV.INFO[.<name>]` and gather the replies for the same window, so that services written with
 * nats.go `micro` or `@nats-io/services` are found, listed and called like micro-nats ones. A discovered
 * instance is a node with metadata `protocol: adr32`; each endpoint's metadata carries its `subject`.
 * Instances that are also registered (micro-nats services answer both) are listed once, as registered.
 */
import { createInbox, type NatsConnection } from '@nats-io/transport-node';
import type { NatsConnector } from '../nats/connection';
import { controlSubject, DEFAULT_PREFIX, META, NAME, originalVersion } from '../nats/service-api';
import { DEFAULT_REGISTRY_TIMEOUT, RegistryNotFoundError, type Endpoint, type Registry, type RegistryOptions,
  type Service, type Value, type Watcher, type WatchOptions, type RegisterOptions } from './index';

/** Replies gathered per query at most: a crowd of responders cannot grow a lookup without bound. */
export const MAX_REPLIES = 10_000;

const EMPTY = new Uint8Array(0);

/** The registry as is without a connector (discovery off), else one that also finds ADR-32 services. */
export function withServiceApi(registry: Registry, connector: NatsConnector | undefined, prefix = DEFAULT_PREFIX): Registry {
  return connector ? new ServiceApiRegistry(registry, connector, prefix) : registry;
}

/** A registry that adds ADR-32 services to `getService` and `listServices`; everything else is the inner registry's. */
export class ServiceApiRegistry implements Registry {
  private nc?: Promise<NatsConnection>;

  constructor(private readonly inner: Registry, private readonly connector: NatsConnector, private readonly prefix: string) {}

  init(opts?: Partial<RegistryOptions>): void { this.inner.init(opts); }
  options(): RegistryOptions { return this.inner.options(); }
  register(service: Service, opts?: RegisterOptions): Promise<void> { return this.inner.register(service, opts); }
  deregister(service: Service): Promise<void> { return this.inner.deregister(service); }
  watch(opts?: WatchOptions): Promise<Watcher> { return this.inner.watch(opts); }
  toString(): string { return this.inner.toString(); }

  /** Registered versions and ADR-32 instances of `name`; 404 only when neither has any. */
  async getService(name: string): Promise<Service[]> {
    const [registered, found] = await Promise.all([
      this.inner.getService(name).catch((err) => { if (err instanceof RegistryNotFoundError) return []; throw err; }),
      NAME.test(name) ? this.discover(name) : [],
    ]);
    const all = merge(registered, found);
    if (all.length === 0) throw new RegistryNotFoundError(name);
    return all;
  }

  async listServices(): Promise<Service[]> {
    const [registered, found] = await Promise.all([this.inner.listServices(), this.discover()]);
    return merge(registered, found).sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
  }

  async close(): Promise<void> {
    await this.inner.close();
    if (this.nc) { this.nc = undefined; await this.connector.release(); }
  }

  /** Gathers INFO replies for the registry's query window. Best effort: NATS trouble is the inner registry's to report. */
  private async discover(name?: string): Promise<Service[]> {
    let nc: NatsConnection;
    try { nc = await (this.nc ??= this.connector.acquire()); } catch { this.nc = undefined; return []; }
    const ms = this.inner.options().timeout ?? DEFAULT_REGISTRY_TIMEOUT;
    const replies: Service[] = [];
    const inbox = createInbox(this.connector.inboxPrefix);
    const sub = nc.subscribe(inbox, { max: MAX_REPLIES, callback: (err, m) => {
      const s = err ? undefined : fromInfo(m.data, this.prefix);
      if (s && (name === undefined || s.name === name)) replies.push(s);
    } });
    try { nc.publish(controlSubject(this.prefix, 'INFO', name), EMPTY, { reply: inbox }); } catch { sub.unsubscribe(); return []; }
    await new Promise((r) => setTimeout(r, ms));
    sub.unsubscribe();
    return group(replies);
  }
}

/** A registry record of one INFO reply, or undefined when it is not one. */
export function fromInfo(data: Uint8Array | undefined, prefix: string): Service | undefined {
  let j: any;
  try { j = JSON.parse(Buffer.from(data ?? EMPTY).toString('utf8')); } catch { return undefined; }
  if (!j || typeof j !== 'object' || typeof j.name !== 'string' || !NAME.test(j.name) || typeof j.id !== 'string' || !j.id) return undefined;
  const metadata = strings(j.metadata);
  const endpoints: Endpoint[] = (Array.isArray(j.endpoints) ? j.endpoints : [])
    .filter((e: any) => e && typeof e.name === 'string' && typeof e.subject === 'string')
    .map((e: any) => toEndpoint(e));
  return {
    name: j.name,
    version: originalVersion(typeof j.version === 'string' ? j.version : '', metadata),
    metadata,
    endpoints,
    nodes: [{ id: j.id, address: controlSubject(prefix, 'PING', j.name, j.id), metadata: { protocol: 'adr32', registry: 'adr32' } }],
  };
}

/** Endpoint names and schemas as micro-nats advertised them when it is the server; the subject in metadata. */
function toEndpoint(e: { name: string; subject: string; queue_group?: unknown; metadata?: unknown }): Endpoint {
  const metadata = strings(e.metadata);
  const out: Endpoint = { name: metadata[META.endpoint] ?? e.name, metadata: { ...metadata, [META.subject]: e.subject } };
  if (typeof e.queue_group === 'string') out.metadata.queue_group = e.queue_group;
  const request = schema(metadata[META.request]);
  const response = schema(metadata[META.response]);
  if (request) out.request = request;
  if (response) out.response = response;
  return out;
}

function schema(text: string | undefined): Value | undefined {
  if (!text) return undefined;
  try { const v = JSON.parse(text); return v && typeof v.name === 'string' && typeof v.type === 'string' ? v : undefined; } catch { return undefined; }
}

function strings(o: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (o && typeof o === 'object') for (const [k, v] of Object.entries(o)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** One record per name and version, its instances as nodes (the first reply's endpoints stand for all). */
function group(replies: Service[]): Service[] {
  const by = new Map<string, Service>();
  for (const s of replies) {
    const key = `${s.name}\n${s.version}`;
    const e = by.get(key);
    if (!e) by.set(key, s);
    else if (!e.nodes.some((n) => n.id === s.nodes[0].id)) e.nodes.push(s.nodes[0]);
  }
  return [...by.values()];
}

/** Registered records, then discovered ones minus instances already registered. */
function merge(registered: Service[], found: Service[]): Service[] {
  const ids = new Set(registered.flatMap((s) => s.nodes.map((n) => n.id)));
  const extra = found.map((s) => ({ ...s, nodes: s.nodes.filter((n) => !ids.has(n.id)) })).filter((s) => s.nodes.length > 0);
  return [...registered, ...extra];
}

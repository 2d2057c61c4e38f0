/**
 * A cache in front of any registry (go-micro `registry/cache`, without its faults):
 * - the first lookup of a name queries the registry and starts ONE watch (for every name the cache holds);
 *   later lookups are answered from memory and watch events keep entries current;
 * - every NODE expires `registerTtl` after its last announcement (query answer, create, update/heartbeat),
 *   so a crashed node drops out even while its siblings heartbeat (go-micro kept it: ocis#6762);
 * - when the registry fails (not "not found"), the last known nodes are served (stale);
 * - concurrent lookups of one name share one query;
 * - `evict(service, nodeIdOrAddress)` drops a node at once (the client does it on "no responders");
 * - empty results are never cached as found: a miss is a {@link RegistryNotFoundError}, remembered for
 *   `notFoundTtl` while the watch is up (a `create` seen meanwhile ends it).
 * - bounded whatever is announced: nodes that are not usable ({@link isUsableNode}: an address a request can
 *   go to, bounded id and metadata) are dropped on the way in; at most `maxNodes` nodes per service (further
 *   new ids are ignored until some expire, so a flood of fresh ids cannot push known nodes out) and
 *   `maxServices` names (a new one forgets the oldest). Nodes are indexed by id and address, so a node
 *   is added, refreshed or evicted in O(1); the frozen view is rebuilt (O(nodes), at most `maxNodes`) once,
 *   at the next lookup after changes, however many events or evictions came in between.
 * Lookups return shared, frozen arrays: do not mutate them.
 */
import {
  DEFAULT_REGISTER_TTL, RegistryNotFoundError, RegistryUnavailableError, type Node, type RegisterOptions,
  type NodeCache, type Registry, type RegistryOptions, type Result, type Service, type Watcher, type WatchOptions,
} from './index';
import { checkLookupName, checkMs, isUsableNode, MAX_NAME_LENGTH } from './check';
import { DEFAULT_CACHE_MAX_NODES, DEFAULT_CACHE_MAX_SERVICES } from '../config/defaults';

/** Options of {@link CachedRegistry}. */
export interface CacheOptions {
  /** A node whose last announcement is older than this many ms is dropped. Default 60 000 (go-micro `--register_ttl`). */
  registerTtl?: number;
  /** A "not found" is remembered this many ms (while the watch is up). 0 disables. Default 1 000. */
  notFoundTtl?: number;
  /** Nodes kept per service, all versions together; new ids past it are ignored. Default 256. */
  maxNodes?: number;
  /** Service names kept; a lookup of one more forgets the oldest. Default 4 096. */
  maxServices?: number;
}

interface CachedNode { node: Node; seen: number; version: CachedVersion }
/** One version: its frozen description (built when it changes, without nodes) and its nodes by id. */
interface CachedVersion { shell: Omit<Service, 'nodes'>; sig: string; nodes: Map<string, CachedNode> }
interface Entry {
  versions: Map<string, CachedVersion>;
  /** Nodes of every version by id and by address: what `evict` finds in O(1). */
  index: Map<string, Set<CachedNode>>;
  /** Nodes of every version. */
  count: number;
  /** The frozen answer to lookups; empty when no live node. Stale while `dirty`. */
  view: readonly Service[];
  /** Nodes changed since the view was built. */
  dirty: boolean;
  /** When the first node expires (the view must then be pruned). */
  expiresAt: number;
  /** The last non-empty view, served when the registry fails. */
  lastGood?: readonly Service[];
  notFoundUntil: number;
  /** Node deletions seen while a query is in flight (so its answer does not bring them back). */
  tombstones?: Map<string, number>;
}

const EMPTY: readonly Service[] = Object.freeze([]);

function deepFreeze<T>(x: T): T {
  if (x && typeof x === 'object' && !Object.isFrozen(x)) {
    for (const v of Object.values(x)) deepFreeze(v);
    Object.freeze(x);
  }
  return x;
}

function sameMetadata(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

export class CachedRegistry implements NodeCache {
  private readonly ttl: number;
  private readonly notFoundTtl: number;
  private readonly maxNodes: number;
  private readonly maxServices: number;
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Service[]>>();
  private watcher?: Watcher;
  private watchStarting?: Promise<void>;
  private closed = false;

  /** @param registry the registry behind the cache; the cache never closes it. */
  constructor(readonly registry: Registry, options: CacheOptions = {}) {
    checkMs('cache', 'registerTtl', options.registerTtl, 1);
    checkMs('cache', 'notFoundTtl', options.notFoundTtl);
    checkMs('cache', 'maxNodes', options.maxNodes, 1);
    checkMs('cache', 'maxServices', options.maxServices, 1);
    this.maxNodes = options.maxNodes ?? DEFAULT_CACHE_MAX_NODES;
    this.maxServices = options.maxServices ?? DEFAULT_CACHE_MAX_SERVICES;
    this.ttl = options.registerTtl ?? DEFAULT_REGISTER_TTL;
    this.notFoundTtl = options.notFoundTtl ?? 1_000;
  }

  /** Passed to the registry. */
  init(opts?: Partial<RegistryOptions>): void { this.registry.init(opts); }
  /** The registry's options. */
  options(): RegistryOptions { return this.registry.options(); }
  /** Passed to the registry (the watch brings the change into the cache). */
  register(service: Service, opts?: RegisterOptions): Promise<void> { return this.registry.register(service, opts); }
  /** Passed to the registry (the watch brings the change into the cache). */
  deregister(service: Service): Promise<void> { return this.registry.deregister(service); }
  /** Passed to the registry: a list is always a fresh query. */
  listServices(): Promise<Service[]> { return this.registry.listServices(); }
  /** Passed to the registry. */
  watch(opts?: WatchOptions): Promise<Watcher> { return this.registry.watch(opts); }
  /** The registry's name. */
  toString(): string { return this.registry.toString(); }

  /**
   * The live versions and nodes of `name` from memory, querying the registry on the first lookup, after
   * every node expired, or while the watch is down. Rejects {@link RegistryNotFoundError} (404) when no
   * node holds it; the registry's error (503) when it fails and nothing was ever known of `name`.
   */
  getService(name: string): Promise<Service[]> {
    const hit = this.lookup(name);
    if (hit !== undefined) return Promise.resolve(hit as Service[]);
    return this.slow(name);
  }

  /**
   * The cached live services of `name` without querying: undefined when the cache cannot answer from
   * memory (unknown, all expired, watch down). Cheap: no allocation, no JSON. The array is frozen.
   */
  lookup(name: string): readonly Service[] | undefined {
    const e = this.entries.get(name);
    if (e === undefined || this.watcher === undefined) return undefined;
    if (Date.now() >= e.expiresAt) this.prune(e, Date.now());
    if (e.dirty) this.rebuild(e);
    return e.view.length > 0 ? e.view : undefined;
  }

  /** Drops the nodes of `service` whose id or address is `node` at once. Returns how many were dropped. */
  evict(service: string, node: string): number {
    const e = this.entries.get(service);
    const found = e?.index.get(node);
    if (!e || !found) return 0;
    const n = found.size;
    for (const c of [...found]) drop(e, c);
    return n;
  }

  /** Stops the watch and forgets everything. Does not close the registry behind. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.watcher?.stop();
    this.watcher = undefined;
    this.entries.clear();
  }

  // -------------------------------------------------------------------------------------------------

  private slow(name: string): Promise<Service[]> {
    let p = this.inflight.get(name);
    if (p) return p;
    p = this.fetch(name).finally(() => this.inflight.delete(name));
    this.inflight.set(name, p);
    return p;
  }

  private async fetch(name: string): Promise<Service[]> {
    checkLookupName(name);
    if (this.closed) throw new RegistryUnavailableError('the registry cache is closed');
    let e = this.entries.get(name);
    if (!e) {
      if (this.entries.size >= this.maxServices) this.entries.delete(this.entries.keys().next().value!);
      e = { versions: new Map(), index: new Map(), count: 0, view: EMPTY, dirty: false, expiresAt: Infinity, notFoundUntil: 0 };
      this.entries.set(name, e);
    }
    if (this.watcher && e.count === 0 && Date.now() < e.notFoundUntil) throw new RegistryNotFoundError(name);
    // events from here on (watch start included) count as newer than the query's answer
    const start = Date.now();
    e.tombstones = new Map();
    let found: Service[];
    try {
      await this.startWatch();
      found = await this.registry.getService(name);
    } catch (err) {
      if (!(err instanceof RegistryNotFoundError)) { e.tombstones = undefined; return this.stale(e, err); }
      found = [];
    }
    this.applyQuery(e, found, start);
    e.tombstones = undefined;
    if (e.view.length > 0) return e.view as Service[];
    e.notFoundUntil = this.watcher ? Date.now() + this.notFoundTtl : 0;
    throw new RegistryNotFoundError(name);
  }

  private stale(e: Entry, err: unknown): Service[] {
    if (e.dirty) this.rebuild(e);
    if (e.lastGood) return e.lastGood as Service[];
    throw err;
  }

  private startWatch(): Promise<void> {
    if (this.watcher) return Promise.resolve();
    this.watchStarting ??= this.registry.watch().then((w) => {
      if (this.closed) { w.stop(); return; }
      this.watcher = w;
      void this.follow(w);
    }).finally(() => { this.watchStarting = undefined; });
    return this.watchStarting;
  }

  /** Applies watch events until the watch ends; then entries are no longer trusted until a new watch starts. */
  private async follow(w: Watcher): Promise<void> {
    try {
      for (;;) this.apply(await w.next());
    } catch {
      if (this.watcher === w) this.watcher = undefined;
    }
  }

  private apply(r: Result): void {
    const e = this.entries.get(r.service.name);
    if (!e) return;
    const now = Date.now();
    const s = r.service;
    if (r.action === 'delete') {
      const v = e.versions.get(s.version);
      const ids = s.nodes.length > 0 ? s.nodes.map((n) => n.id) : v ? [...v.nodes.keys()] : [];
      for (const id of ids) {
        const c = v?.nodes.get(id);
        if (c) drop(e, c);
        e.tombstones?.set(id, now);
      }
    } else {
      this.upsert(e, s, now);
      for (const n of s.nodes) e.tombstones?.delete(n.id);
      if (s.nodes.length > 0) e.notFoundUntil = 0;
    }
  }

  /** Merges a service version into an entry, marking the view dirty when it changes (not just timestamps). */
  private upsert(e: Entry, s: Service, now: number): void {
    if (typeof s.version !== 'string' || s.version.length > MAX_NAME_LENGTH || !Array.isArray(s.nodes)) return;
    const sig = JSON.stringify([s.metadata, s.endpoints]);
    let v = e.versions.get(s.version);
    if (v && v.sig !== sig) {
      v.shell = shellOf(s);
      v.sig = sig;
      e.dirty = true;
    }
    for (const n of s.nodes) {
      if (!isUsableNode(n)) continue;
      const c = v?.nodes.get(n.id);
      if (c && c.node.address === n.address && sameMetadata(c.node.metadata, n.metadata ?? {})) { c.seen = now; continue; }
      if (c) { replace(e, c, n, now); continue; }
      if (e.count >= this.maxNodes) continue;
      // A version exists only while it has nodes: versions announced without a usable node cost nothing.
      if (!v) e.versions.set(s.version, (v = { shell: shellOf(s), sig, nodes: new Map() }));
      add(e, { node: frozenNode(n), seen: now, version: v });
      if (now + this.ttl < e.expiresAt) e.expiresAt = now + this.ttl;
    }
  }

  /** A query's answer replaces what it covers: nodes that neither answered nor announced since `start` go. */
  private applyQuery(e: Entry, found: Service[], start: number): void {
    const now = Date.now();
    for (const s of found) {
      const live = s.nodes.filter((n) => !((e.tombstones?.get(n.id) ?? -1) >= start));
      this.upsert(e, { ...s, nodes: live }, now);
    }
    for (const v of [...e.versions.values()]) for (const c of [...v.nodes.values()]) if (c.seen < start) drop(e, c);
    this.rebuild(e);
  }

  /** Drops expired nodes and finds the next expiry. */
  private prune(e: Entry, now: number): void {
    let next = Infinity;
    for (const v of [...e.versions.values()]) {
      for (const c of [...v.nodes.values()]) {
        const exp = c.seen + this.ttl;
        if (exp <= now) drop(e, c); else if (exp < next) next = exp;
      }
    }
    e.expiresAt = next;
  }

  /** Recomputes the frozen view from the entry's nodes (all live: prune ran when the first one expired). */
  private rebuild(e: Entry): void {
    const view: Service[] = [];
    for (const v of e.versions.values()) {
      const nodes: Node[] = [];
      for (const c of v.nodes.values()) nodes.push(c.node);
      view.push(Object.freeze({ ...v.shell, nodes: Object.freeze(nodes) }) as Service);
    }
    e.view = view.length > 0 ? Object.freeze(view) : EMPTY;
    e.dirty = false;
    if (view.length > 0) e.lastGood = e.view;
  }
}

/** A version's description without nodes, frozen: built when the version's metadata or endpoints change. */
function shellOf(s: Service): Omit<Service, 'nodes'> {
  return deepFreeze({ name: s.name, version: s.version, metadata: { ...s.metadata }, endpoints: structuredClone(s.endpoints) });
}

function indexAdd(e: Entry, key: string, c: CachedNode): void {
  const set = e.index.get(key);
  if (set) set.add(c); else e.index.set(key, new Set([c]));
}

function indexRemove(e: Entry, key: string, c: CachedNode): void {
  const set = e.index.get(key);
  if (set?.delete(c) && set.size === 0) e.index.delete(key);
}

function frozenNode(n: Node): Node {
  return deepFreeze({ id: n.id, address: n.address, metadata: { ...n.metadata } });
}

/** A known node announced with another address or metadata: changed in place. */
function replace(e: Entry, c: CachedNode, n: Node, now: number): void {
  indexRemove(e, c.node.address, c);
  c.node = frozenNode(n);
  c.seen = now;
  indexAdd(e, c.node.address, c);
  indexAdd(e, c.node.id, c);
  e.dirty = true;
}

/** Adds a node to its version and the index. */
function add(e: Entry, c: CachedNode): void {
  c.version.nodes.set(c.node.id, c);
  indexAdd(e, c.node.id, c);
  indexAdd(e, c.node.address, c);
  e.count++;
  e.dirty = true;
}

/** Removes a node from its version (and the version once empty) and from the index: O(1). */
function drop(e: Entry, c: CachedNode): void {
  const v = c.version;
  if (v.nodes.get(c.node.id) !== c) return;
  v.nodes.delete(c.node.id);
  if (v.nodes.size === 0 && e.versions.get(v.shell.version) === v) e.versions.delete(v.shell.version);
  indexRemove(e, c.node.id, c);
  indexRemove(e, c.node.address, c);
  e.count--;
  e.dirty = true;
}

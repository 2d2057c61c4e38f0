import { CachedRegistry, type CacheOptions } from '../registry/cache';
import { isNodeCache, RegistryNotFoundError, type Node, type NodeCache, type Registry, type Service } from '../registry/index';
import { Codes, ConfigError, MicroError } from '../errors';
import { DEFAULT_OUTLIER_COOL_OFF, DEFAULT_OUTLIER_FAILURES } from '../config/defaults';
import { isNoResponders, NoneAvailableError, parseStrategy, type Next, type SelectOptions, type Selector, type Strategy } from './index';

/** Options of {@link RegistrySelector}. */
export interface RegistrySelectorOptions {
  /** Where nodes come from. A {@link NodeCache} (such as a CachedRegistry) is used as is; any other registry gets a cache of the selector's own. */
  registry: Registry;
  /** Default strategy: `random` or `roundRobin` (names as {@link parseStrategy} reads them). Default `random`. */
  strategy?: Strategy | string;
  /** Options of the cache the selector creates (ignored when `registry` is a cache). */
  cache?: CacheOptions;
  /** Which errors given to `mark` evict the node. Default {@link isNoResponders}. */
  evictOn?: (err: unknown) => boolean;
  /** Outlier ejection of nodes whose calls time out. Default 3 timeouts in a row, 10 s cool-off. */
  outlier?: OutlierOptions;
}

/** When a node that keeps timing out is skipped. */
export interface OutlierOptions {
  /** Consecutive attempt timeouts (408) that eject a node; 0 turns ejection off. Default 3. */
  failures?: number;
  /** How long an ejected node is skipped, ms; after it one call probes the node (success readmits it). Default 10 000. */
  coolOff?: number;
}

/** A node's run of timeouts; `until` > 0 once ejected (skipped until then, then probed). */
interface Outlier { fails: number; until: number }

const NO_FILTER = '\u0000';
const NO_OPTIONS: SelectOptions = Object.freeze({});

/** Nodes of the services that pass version/endpoint (and, per node, metadata/predicate) filters, in a stable order. */
function candidates(services: readonly Service[], o: SelectOptions): Node[] {
  const out: Node[] = [];
  const md = o.metadata ? Object.entries(o.metadata) : undefined;
  for (const s of services) {
    if (o.version !== undefined && s.version !== o.version) continue;
    if (o.endpoint !== undefined && !s.endpoints.some((e) => e.name === o.endpoint)) continue;
    for (const n of s.nodes) {
      if (md && !md.every(([k, v]) => n.metadata[k] === v)) continue;
      if (o.filter && !o.filter(n, s)) continue;
      out.push(n);
    }
  }
  return out;
}

function describe(o: SelectOptions): string {
  const parts: string[] = [];
  if (o.version !== undefined) parts.push(`version ${o.version}`);
  if (o.endpoint !== undefined) parts.push(`endpoint ${o.endpoint}`);
  if (o.metadata) parts.push(`metadata ${JSON.stringify(o.metadata)}`);
  if (o.filter) parts.push('the filter given');
  return parts.join(', ');
}

/**
 * The selector over the registry cache. Round robin keeps one position per service in this instance,
 * so consecutive calls rotate over the nodes (300 single-node calls over 3 nodes: 100 each).
 */
export class RegistrySelector implements Selector {
  /** The cache selections read (created by the selector unless one was given). */
  readonly cache: NodeCache;
  private readonly ownsCache: boolean;
  private readonly strategy: Strategy;
  private readonly evictOn: (err: unknown) => boolean;
  private readonly positions = new Map<string, number>();
  /** Nodes (by id) whose last attempts timed out; empty in normal running, so selection pays nothing. */
  private readonly outliers = new Map<string, Outlier>();
  private readonly ejectAfter: number;
  private readonly coolOff: number;
  /** Candidate lists of unfiltered / version+endpoint-filtered selections, per cached view. */
  private readonly memo = new WeakMap<readonly Service[], Map<string, Node[]>>();

  constructor(options: RegistrySelectorOptions) {
    if (!options || !options.registry) throw new Error('selector option registry is required');
    const given = options.registry;
    this.ownsCache = !isNodeCache(given);
    this.cache = isNodeCache(given) ? given : new CachedRegistry(given, options.cache);
    this.strategy = options.strategy === undefined ? 'random' : parseStrategy(options.strategy);
    this.evictOn = options.evictOn ?? isNoResponders;
    this.ejectAfter = options.outlier?.failures ?? DEFAULT_OUTLIER_FAILURES;
    this.coolOff = options.outlier?.coolOff ?? DEFAULT_OUTLIER_COOL_OFF;
    for (const [k, v] of [['failures', this.ejectAfter], ['coolOff', this.coolOff]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new ConfigError(`selector option outlier.${k}`, `selector option outlier.${k}: expected a whole number >= 0, got ${v}`);
    }
  }

  select(service: string, opts: SelectOptions = NO_OPTIONS): Promise<Next> {
    try {
      const now = this.selectNow(service, opts);
      if (now) return Promise.resolve(now);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.selectAfterQuery(service, opts);
  }

  selectNow(service: string, opts: SelectOptions = NO_OPTIONS): Next | undefined {
    const services = this.cache.lookup(service);
    return services === undefined ? undefined : this.iterate(service, services, opts);
  }

  private async selectAfterQuery(service: string, opts: SelectOptions): Promise<Next> {
    let services: readonly Service[];
    try {
      services = await this.cache.getService(service);
    } catch (err) {
      if (err instanceof RegistryNotFoundError) throw new NoneAvailableError(service, 'not-found', 'no node found in the registry');
      throw err;
    }
    return this.iterate(service, services, opts);
  }

  /** One call's iterator; the set of tried nodes is only allocated when a call asks for a second node. */
  private iterate(service: string, services: readonly Service[], opts: SelectOptions): Next {
    const all = this.nodesOf(services, opts);
    if (this.outliers.size === 0 || all.length < 2) return this.iterateOver(service, all, opts);
    const next = this.iterateOver(service, this.admitted(all), opts);
    return () => this.probing(next());
  }

  /** The nodes not ejected (an ejected one whose cool-off is over may be probed); all of them if none is left. */
  private admitted(nodes: Node[]): Node[] {
    const now = Date.now();
    const ok = nodes.filter((n) => { const o = this.outliers.get(n.id); return !o || o.until <= now; });
    return ok.length > 0 ? ok : nodes;
  }

  /** A node picked after its cool-off is being probed: others skip it for another cool-off unless the probe succeeds. */
  private probing(n: Node): Node {
    const o = this.outliers.get(n.id);
    if (o && o.until > 0) o.until = Date.now() + this.coolOff;
    return n;
  }

  private iterateOver(service: string, nodes: Node[], opts: SelectOptions): Next {
    if (nodes.length === 0) throw new NoneAvailableError(service, 'filtered', `no node matches ${describe(opts)}`);
    const strategy = opts.strategy ?? this.strategy;
    if (nodes.length === 1) {
      let given = false;
      return () => {
        if (given) throw new NoneAvailableError(service, 'exhausted', 'all 1 node(s) tried');
        given = true;
        return nodes[0];
      };
    }
    const tried = new Set<string>();
    const exhausted = () => new NoneAvailableError(service, 'exhausted', `all ${nodes.length} node(s) tried`);
    if (strategy === 'roundRobin') {
      return () => {
        const start = this.positions.get(service) ?? 0;
        for (let i = 0; i < nodes.length; i++) {
          const n = nodes[(start + i) % nodes.length];
          if (tried.has(n.id)) continue;
          tried.add(n.id);
          this.positions.set(service, (start + i + 1) % Number.MAX_SAFE_INTEGER);
          return n;
        }
        throw exhausted();
      };
    }
    return () => {
      if (tried.size === 0) {
        const n = nodes[Math.floor(Math.random() * nodes.length)];
        tried.add(n.id);
        return n;
      }
      const left = nodes.filter((n) => !tried.has(n.id));
      if (left.length === 0) throw exhausted();
      const n = left[Math.floor(Math.random() * left.length)];
      tried.add(n.id);
      return n;
    };
  }

  mark(service: string, node: Node, err?: unknown): void {
    if (err === undefined) {
      if (this.outliers.size > 0) this.outliers.delete(node.id);
      return;
    }
    if (this.evictOn(err)) {
      // Gone: when it announces itself again it starts afresh.
      this.cache.evict(service, node.id);
      this.outliers.delete(node.id);
      return;
    }
    if (this.ejectAfter === 0) return;
    if (!(err instanceof MicroError && err.code === Codes.Timeout)) { this.outliers.delete(node.id); return; }
    // Late timeouts of a node already evicted, or since moved to a new address (its calls were in flight to
    // the old one), say nothing of it now.
    if (!this.cache.lookup(service)?.some((s) => s.nodes.some((n) => n.id === node.id && n.address === node.address))) return;
    const o = this.outliers.get(node.id) ?? { fails: 0, until: 0 };
    this.outliers.set(node.id, o);
    if (++o.fails >= this.ejectAfter) o.until = Date.now() + this.coolOff;
  }

  reset(service: string): void {
    this.positions.delete(service);
    for (const s of this.cache.lookup(service) ?? []) for (const n of s.nodes) this.outliers.delete(n.id);
  }

  async close(): Promise<void> {
    this.positions.clear();
    this.outliers.clear();
    if (this.ownsCache) await this.cache.close();
  }

  toString(): string {
    return 'registry';
  }

  private nodesOf(services: readonly Service[], o: SelectOptions): Node[] {
    if (o.metadata || o.filter) return candidates(services, o);
    const key = o.version === undefined && o.endpoint === undefined ? NO_FILTER : `${o.version ?? NO_FILTER}\u0001${o.endpoint ?? NO_FILTER}`;
    let byKey = this.memo.get(services);
    if (!byKey) { byKey = new Map(); this.memo.set(services, byKey); }
    let nodes = byKey.get(key);
    if (!nodes) { nodes = candidates(services, o); byKey.set(key, nodes); }
    return nodes;
  }
}

/**
 * Selector: picks the node a call goes to (go-micro `selector`). `select` returns a {@link Next}
 * iterator for one call: each `next()` gives a node not yet given by that iterator, so a retry goes to
 * another node. Strategies: `random` (default) and `roundRobin`, whose rotation is kept per service in
 * the selector and so continues ACROSS calls (go-micro restarted it per call). Filters: version,
 * endpoint, node metadata, or any predicate. `mark` reports a failed node (a "no responders" evicts it
 * from the cache at once).
 */
import { Codes, MicroError, NoRespondersError } from '../errors';
import type { Node, Service } from '../registry/index';

/** How the next node is chosen. */
export type Strategy = 'random' | 'roundRobin';

/** Options of {@link Selector.select}. */
export interface SelectOptions {
  /** The strategy for this call. Default: the selector's (`random` unless configured). */
  strategy?: Strategy;
  /** Only nodes of services at exactly this version. Default: any version. */
  version?: string;
  /** Only nodes of services that declare this endpoint (e.g. `Greeter.hello`). Default: any. */
  endpoint?: string;
  /** Only nodes whose metadata has every one of these key/value pairs. Default: any. */
  metadata?: Record<string, string>;
  /** Only nodes for which this returns true. Default: any. */
  filter?: (node: Node, service: Service) => boolean;
}

/**
 * One call's iterator over the nodes selected: each call returns a node this iterator has not returned
 * before. Throws {@link NoneAvailableError} (503, reason `exhausted`) once every candidate was tried.
 */
export type Next = () => Node;

/** Picks nodes for calls. Implementation: {@link RegistrySelector}. */
export interface Selector {
  /**
   * The candidates of `service` (from the registry cache) after filtering, as a {@link Next} iterator.
   * Rejects {@link NoneAvailableError} (503) when the registry knows no node of `service` (reason
   * `not-found`) or the filters leave none (reason `filtered`); rejects with the registry's 503
   * (`RegistryUnavailableError`) when the registry cannot be reached and nothing was cached.
   */
  select(service: string, opts?: SelectOptions): Promise<Next>;
  /**
   * The same as `select` when the answer is already in memory (no query needed), without a promise;
   * undefined when a query would be needed. Throws what `select` rejects with. Optional: the hot path
   * of the client uses it when present.
   */
  selectNow?(service: string, opts?: SelectOptions): Next | undefined;
  /**
   * Reports the outcome of a call to `node`: with an error that shows the node is gone (by default a 503
   * "no responders", see `evictOn`) the node is evicted from the cache at once, so no later selection
   * returns it until it announces itself again. Timeouts (408) in a row eject the node for a cool-off
   * (outlier ejection: skipped while another node is available, then probed by one call); a success or any
   * other error ends the run.
   */
  mark(service: string, node: Node, err?: unknown): void;
  /** Forgets per-service state (the round-robin position). */
  reset(service: string): void;
  /** Releases the cache if the selector created it. Idempotent. */
  close(): Promise<void>;
  /** `'registry'`. */
  toString(): string;
}

/** Why no node could be selected. */
export type NoneAvailableReason = 'not-found' | 'filtered' | 'exhausted';

/** No node of the service can take the call (503, naming the service). */
export class NoneAvailableError extends MicroError {
  /** The service asked for. */
  readonly service: string;
  /** `not-found`: the registry knows no node; `filtered`: the filters left none; `exhausted`: every candidate was tried. */
  readonly reason: NoneAvailableReason;
  constructor(service: string, reason: NoneAvailableReason, detail: string) {
    super('micro.selector', Codes.Unavailable, `service ${service}: ${detail}`);
    this.name = 'NoneAvailableError';
    this.service = service;
    this.reason = reason;
  }
}

/** Reads a strategy name as given by a flag or environment: `random`, `roundRobin` (also `roundrobin`, `round_robin`, `round-robin`). Throws naming the accepted values. */
export function parseStrategy(name: string): Strategy {
  const n = String(name).toLowerCase().replace(/[-_\s]/g, '');
  if (n === 'random') return 'random';
  if (n === 'roundrobin') return 'roundRobin';
  throw new Error(`selector strategy "${name}" is unknown: use "random" or "roundRobin"`);
}

/**
 * The default test of `mark`: does this error show that nothing listens at the node's address any more
 * (a {@link NoRespondersError})? Errors from NATS itself being away are not the node's fault.
 */
export function isNoResponders(err: unknown): boolean {
  return err instanceof NoRespondersError;
}

/**
 * Server: serves endpoints over the transport and subscribers over the broker, and registers itself
 * in the registry (go-micro's mucp server). Serving a request is split in two: the invoke core
 * (`invoke.ts`: endpoint, context, validation, handler) and a protocol adapter around it (`mucp.ts`), so
 * another protocol is one more adapter.
 */
import type { Context, RequestContext } from '../context';
import type { Codecs } from '../codec';
import type { Value } from '../registry';
import type { Chain, MiddlewareFn } from '../middleware';
import type { EndpointStats } from './stats';
import type { DurableSubscribeOptions } from '../broker/jetstream-options';

/** A request handler: returns the response (or a promise of it); an async generator streams its yields. */
export type HandlerFn = (req: any, ctx: Context) => unknown;

/** A subscriber: receives the decoded event payload. A throw goes to the broker's error handler. */
export type SubscriberFn = (payload: any, ctx: Context) => unknown;

/** Options of {@link Server.handle}. */
export interface HandlerOptions {
  /** Advertised endpoint metadata. Default `{}` (`stream: 'true'` is added for streams). */
  metadata?: Record<string, string>;
  /** Advertised request schema. Default: none (`null` in the registry). */
  request?: Value;
  /** Advertised response schema. Default: none (`null` in the registry). */
  response?: Value;
  /** The handler is an async generator whose yields are streamed. Default false. */
  stream?: boolean;
  /** Turns the decoded body into the handler's argument (DTO transform and validation); throw a MicroError to refuse. Default: the body as is. */
  decode?: (value: unknown) => unknown | Promise<unknown>;
  /** Turns the handler's result (each yield, for streams) into the value to encode (e.g. `instanceToPlain`). Default: as is. */
  encode?: (value: unknown) => unknown;
  /** Safe to re-send after a timeout: advertised as endpoint metadata `idempotent: "true"`, so callers re-send it. Default false. */
  idempotent?: boolean;
  /** Not advertised in the registry (like go-micro's internal handlers). Default false. */
  internal?: boolean;
  /** Its NATS Service API endpoint: `subject` (used as is) and `queue` (`''`: none). Default: the adapter's derivation and queue. */
  natsService?: { subject?: string; queue?: string };
  /** Middleware around the handler (decoding and validation included), first outermost; composed once. Default none. */
  middleware?: readonly MiddlewareFn[];
}

/** Options of {@link Server.subscribe}. */
export interface SubscriberOptions {
  /** Queue group: each event goes to one subscriber of the group. Default: none (every instance gets every event). */
  queue?: string;
  /** Durable delivery (a persistent broker only): consumer name, ack wait, redeliveries, replay start. */
  delivery?: Omit<DurableSubscribeOptions, 'queue'>;
  /** Turns the decoded payload into the subscriber's argument; a throw is reported to the error handler. Default: as is. */
  decode?: (value: unknown) => unknown | Promise<unknown>;
  /** Middleware around the subscriber (decoding included), first outermost; composed once. Default none. */
  middleware?: readonly MiddlewareFn[];
}

/** A service's server: collects endpoints and subscribers, then serves them from `start` to `stop`. */
export interface Server {
  /** Adds an endpoint (`Greeter.hello`). Throws on a duplicate name or after start. */
  handle(endpoint: string, fn: HandlerFn, opts?: HandlerOptions): void;
  /** Adds a broker subscriber, subscribed on start. Throws after start, or when the server has no broker. */
  subscribe(topic: string, fn: SubscriberFn, opts?: SubscriberOptions): void;
  /** Listens, subscribes and registers; a second call does nothing. Rejects 503 when NATS is unreachable. */
  start(): Promise<void>;
  /**
   * Deregisters, refuses new requests (503 `micro.server.refused`, so clients send them elsewhere), drains its
   * subscriptions (events already received are handled), waits for in-flight handlers within the grace period
   * (not past a request's own deadline), then aborts the `ctx.signal` of what is left, logs how many, closes. Idempotent.
   */
  stop(): Promise<void>;
  /** Adds a health check reported by `Debug.Health` and {@link Server.health}: healthy unless it throws, rejects or returns `false`. */
  addHealthCheck(name: string, fn: () => unknown): void;
  /** The server's health: NATS connection, registration and every health check. Never rejects. */
  health(): Promise<HealthReport>;
  /** Zeroes every endpoint's statistics (as reported by `$SRV.STATS`) and restarts their clock. */
  resetStats(): void;
  /** The registered service record. Throws before start. */
  service(): import('../registry').Service;
  /** `'micro-nats'`. */
  toString(): string;
}

/** A registered endpoint. */
export interface Endpoint {
  /** The endpoint name requests carry (`Greeter.hello`). */
  name: string;
  /** The handler; for a stream, a function returning an async iterator. */
  fn: HandlerFn;
  /** How its input is decoded, its output encoded, and whether it streams. */
  opts: HandlerOptions;
  /** Its counters, shared by every protocol that reaches it. */
  stats: EndpointStats;
  /** Its middleware chain; absent when it has none (the handler is called directly). */
  chain?: Chain;
}

/** What `Debug.Health` answers: `ok` when every check is `ok`. */
export interface HealthReport {
  /** `ok`, or `unhealthy` when any check is not `ok`. */
  status: 'ok' | 'unhealthy';
  /** Each check by name: `ok`, or why not (`nats`: the connection; `registry`: registered; then the service's own checks). */
  checks: Record<string, string>;
}

/** What the invoke core (`invoke.ts`) needs from the server around it. */
export interface InvokeHost {
  /** The service name: the source of every error and the context's `service`. */
  readonly name: string;
  /** Codecs by content type: a request's content type picks the one for it and its reply; an unknown type gets 415. */
  readonly codecs: Codecs;
  /** Endpoints by name; a request for one not here gets 404. */
  readonly endpoints: Map<string, Endpoint>;
  /** True once stop began: new requests get 503 so that clients retry on another node. */
  readonly stopping: boolean;
  /** True while more requests are in flight than the server's limit: new ones get an immediate 503 {@link REFUSED_ID}. */
  readonly overloaded: boolean;
  /** Counts a request in flight; called once per request, before anything can fail. */
  begin(): void;
  /**
   * The request's context, once made: a graceful stop does not wait for it past its deadline (its caller has
   * given up), and aborts its `signal` when the grace period ends.
   */
  running(ctx: RequestContext): void;
  /** Ends what `begin` counted (and `running` recorded), whatever the outcome; a graceful stop waits for the count to reach 0. */
  end(ctx?: RequestContext): void;
  /** Reports a failed request before its error is sent: a handler bug or 5xx as an error, a 4xx at debug level. */
  log(err: unknown, endpoint: string, requestId?: string): void;
}

/** Who a server is, as other protocols describe it. */
export interface ServiceIdentity {
  /** The node id (`<name>-<uuid>`). */
  readonly id: string;
  /** The registered version (`latest` unless given). */
  readonly version: string;
  /** The service's metadata. */
  readonly metadata: Record<string, string>;
  /** Free text for tooling; absent unless given. */
  readonly description?: string;
}

/**
 * One more protocol serving a server's endpoints (the NATS Service API): started after the server listens,
 * stopped once the server refuses new requests and before it waits for in-flight ones.
 */
export interface ServerAdapter {
  /** Subscribes what the protocol needs. Rejects (failing the server's start) when it cannot. */
  start(host: InvokeHost & ServiceIdentity): Promise<void>;
  /** Unsubscribes; requests already received still finish. Idempotent. */
  stop(): Promise<void>;
  /** Restarts the clock its statistics report (`started`). */
  reset?(): void;
}

export { DEFAULT_STOP_GRACE, DEFAULT_STOP_TIMEOUT } from '../config/defaults';
export { MAX_HEADERS, MAX_TIMEOUT_NS } from '../protocol/mucp';

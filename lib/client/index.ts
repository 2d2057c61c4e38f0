/**
 * Client: calls endpoints of services found in the registry over the transport, streams, and
 * publishes events through the broker (go-micro's mucp client).
 */

/** Options of {@link Client.call}. */
export interface CallOptions {
  /** Whole-call budget in ms, retries included. Default: the client's `timeout` (5 000). */
  timeout?: number;
  /**
   * How many times a failed request may be sent again, each to another node when there is one. Only failures
   * that provably ran no handler are re-sent (no responders, refused by a stopping or overloaded server,
   * no node found), up to `retries` times; an idempotent call may also re-send a timeout or a reply lost with
   * the connection, up to `retries` times more. A request not sent because the connection is down waits for
   * it and is not counted. Default: the client's `retries` (1).
   */
  retries?: number;
  /**
   * Running the handler twice is harmless: a timeout (or a connection lost while waiting) is re-sent too.
   * Default: what the endpoint advertises (`@Handler({ idempotent: true })`), else false.
   */
  idempotent?: boolean;
  /** Per-attempt budget in ms inside the whole-call budget. Default: all that is left (an attempt is not cut short to make room for a retry). */
  attemptTimeout?: number;
  /** Call this node address directly, bypassing the registry and selector. Default: a node the selector picks. */
  address?: string;
  /** Content type of the request body. Default `application/json`. */
  contentType?: string;
  /** Extra metadata sent as headers (merged over the current request's metadata). Default: none. */
  metadata?: Record<string, string>;
  /** Only nodes of this service version. Default: any version. */
  version?: string;
}

/** Options of {@link Client.stream}. */
export interface StreamOptions extends Omit<CallOptions, 'retries' | 'attemptTimeout'> {
  /** Most ms to wait for each item. Default: the client's `timeout`. 0 waits for ever. */
  timeout?: number;
}

/** Options of {@link Client.publish}. */
export interface PublishOptions {
  /** Content type of the payload. Default `application/json`. */
  contentType?: string;
  /** Extra metadata sent as headers (merged over the current request's metadata). Default: none. */
  metadata?: Record<string, string>;
  /** Deduplication id (`Nats-Msg-Id`): JetStream stores one event per id within its duplicate window. Default: none. */
  id?: string;
  /**
   * How long to wait for a NATS connection that is down before failing 503 (the event not sent), in ms.
   * Default 5 000, and never past the current request's deadline inside a handler. A connected publish never waits.
   */
  timeout?: number;
}

/** Calls, streams and publishes; inside a handler, outgoing requests inherit its metadata and remaining deadline. */
export interface Client {
  /**
   * Calls `endpoint` of `service` with `request` and resolves with the decoded response.
   * Rejects with the handler's MicroError, 503 when the service has no node (naming it), 408 past the budget.
   */
  call<T = unknown>(service: string, endpoint: string, request?: unknown, opts?: CallOptions): Promise<T>;
  /**
   * Calls a streaming endpoint; iterate the result. Breaking out early tells the server to stop. Iteration
   * rejects with the handler's MicroError, 503 when the service has no node, or when an item is later than `timeout`.
   */
  stream<T = unknown>(service: string, endpoint: string, request?: unknown, opts?: StreamOptions): AsyncIterable<T>;
  /**
   * Publishes an event on the topic; headers only for what is there: `Content-Type` when not JSON, the
   * metadata of `opts` and, inside a handler, its metadata and remaining `Timeout` (a JSON event outside a
   * handler is a plain NATS message). Rejects 400 when the payload cannot be encoded, 415 for an unknown content type,
   * 503 without a broker, and 400/413/503 as the broker does.
   */
  publish(topic: string, payload: unknown, opts?: PublishOptions): Promise<void>;
  /**
   * A typed client of a `@Service` class, or of a service by name (endpoints resolved through the registry).
   * Throws for a class without `@Service`, or a name when the client has no registry.
   */
  proxy<T>(target: (new (...args: any[]) => T) | string): ServiceClient<T>;
  /** Closes pooled sockets; the transport, broker and registry are left open (they are not the client's). */
  close(): Promise<void>;
  /** `'mucp'`. */
  toString(): string;
}

export { DEFAULT_CALL_TIMEOUT, DEFAULT_RETRIES } from '../config/defaults';
import type { Jsonify } from './jsonify';
export type { Jsonify } from './jsonify';

/** The client-side signature of one handler method: results typed as JSON delivers them ({@link Jsonify}). */
export type ClientMethod<F> =
  F extends (...args: infer A) => AsyncGenerator<infer Y, any, any> ? (req: A extends [] ? void : A[0], opts?: CallOptions) => AsyncIterable<Jsonify<Y>>
  : F extends (...args: infer A) => infer R ? (req: A extends [] ? void : A[0], opts?: CallOptions) => Promise<Jsonify<Awaited<R>>>
  : never;

/**
 * A typed client of service class `T`: each method calls the endpoint of the same name. Decorators cannot
 * change a type, so every public method is listed except the lifecycle hooks `onStart`/`onStop`; calling
 * one that is not a `@Handler` throws at once, naming it, and sends nothing.
 */
export type ServiceClient<T> = {
  [K in keyof T as K extends 'onStart' | 'onStop' ? never : T[K] extends (...args: any[]) => any ? K : never]: ClientMethod<T[K]>
};

/**
 * Client: calls endpoints of services found in the registry over the transport, streams, and
 * publishes events through the broker (go-micro's mucp client).
 */

/** Options of {@link Client.call}. */
export interface CallOptions {
  /** Whole-call budget in ms, retries included. Default: the client's `timeout` (5 000). */
  timeout?: number;
  /** Retries on 408, 503 and transport errors, each on another node when there is one. Default: the client's `retries` (1). */
  retries?: number;
  /** Per-attempt budget in ms inside the whole-call budget. Default: what is left shared among the attempts left. */
  attemptTimeout?: number;
  /** Call this node address directly, bypassing the registry and selector. */
  address?: string;
  /** Content type of the request body. Default `application/json`. */
  contentType?: string;
  /** Extra metadata sent as headers (merged over the current request's metadata). */
  metadata?: Record<string, string>;
  /** Only nodes of this service version. */
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
  /** Extra metadata sent as headers (merged over the current request's metadata). */
  metadata?: Record<string, string>;
}

export interface Client {
  /**
   * Calls `endpoint` of `service` with `request` and resolves with the decoded response.
   * Rejects with the handler's MicroError, 503 when the service has no node (naming it), 408 past the budget.
   */
  call<T = unknown>(service: string, endpoint: string, request?: unknown, opts?: CallOptions): Promise<T>;
  /** Calls a streaming endpoint; iterate the result. Breaking out early tells the server to stop. */
  stream<T = unknown>(service: string, endpoint: string, request?: unknown, opts?: StreamOptions): AsyncIterable<T>;
  /** Publishes an event (`Content-Type`, `Micro-Topic`, `Micro-Id` headers). Rejects 400/413/503 as the broker does. */
  publish(topic: string, payload: unknown, opts?: PublishOptions): Promise<void>;
  /** A typed client of a `@Service` class, or of a service by name (endpoints resolved through the registry). */
  proxy<T>(target: (new (...args: any[]) => T) | string): import('./proxy').ServiceClient<T>;
  /** Closes pooled sockets. */
  close(): Promise<void>;
  /** `'mucp'`. */
  toString(): string;
}

export const DEFAULT_CALL_TIMEOUT = 5_000;
export const DEFAULT_RETRIES = 1;

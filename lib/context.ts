/**
 * The request context handlers receive, and the async-local store that lets calls and publishes made
 * while handling a request inherit its metadata and remaining deadline.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Delivery } from './broker/index';
import { timeout } from './errors';
import { FRAME_HEADERS } from './protocol/mucp';

/** Case-insensitive read-only metadata (go-micro's `metadata.Get` tries exact then Title-Case; we ignore case). */
export type Metadata = Readonly<Record<string, string>>;

/** What a handler or subscriber gets besides its payload. */
export interface Context {
  /** The service handling the request. */
  readonly service: string;
  /** The endpoint (`Greeter.hello`) or, for events, the topic. */
  readonly endpoint: string;
  /** The request id (`Micro-Id`). */
  readonly id: string;
  /** Caller metadata, case-insensitive (`ctx.metadata['x-user'] === ctx.metadata['X-User']`). */
  readonly metadata: Metadata;
  /** Deadline as epoch milliseconds; `Infinity` when the caller set none. */
  readonly deadline: number;
  /** Aborts at the deadline (created on first access, so unused signals cost nothing). */
  readonly signal: AbortSignal;
  /** For an event from a persistent broker (JetStream): attempt, stream sequence, redelivered. Else absent. */
  readonly delivery?: Delivery;
  /** What middleware found for this request (a guard's verified identity), for the handler to read. Created on first access. */
  readonly state: Record<string, unknown>;
}

/** Headers that describe the transport frame, not the caller: not propagated as metadata. */
const FRAME = new Set(FRAME_HEADERS.map((k) => k.toLowerCase()));

/** Lower-cased metadata behind a case-insensitive view. */
function caseInsensitive(lower: Record<string, string>): Metadata {
  return new Proxy(lower, {
    get: (t, k) => (typeof k === 'string' ? t[k.toLowerCase()] : undefined),
    has: (t, k) => typeof k === 'string' && k.toLowerCase() in t,
    set: () => false,
    deleteProperty: () => false,
  });
}

/** Builds the metadata of a context from request headers, leaving frame headers out. */
export function metadataFromHeaders(header: Record<string, string>): Record<string, string> {
  const md: Record<string, string> = {};
  for (const k in header) {
    const lk = k.toLowerCase();
    if (!FRAME.has(lk)) md[lk] = header[k];
  }
  return md;
}

/** A request context. Metadata is derived from the request headers on first use, so handlers that never read it nor call out pay nothing. */
export class RequestContext implements Context {
  private ctl?: AbortController;
  private timer?: NodeJS.Timeout;
  private view?: Metadata;
  private lower?: Record<string, string>;
  /** Set for events of a persistent broker. */
  delivery?: Delivery;
  private bag?: Record<string, unknown>;
  /** @internal Where the server running this request keeps it (-1: not kept); see `server/running.ts`. */
  slot = -1;

  /** `deadline` is epoch ms (`Infinity` for none); `headers` are the request's, metadata is read from them lazily. */
  constructor(readonly service: string, readonly endpoint: string, readonly id: string,
              private readonly headers: Record<string, string>, readonly deadline: number) {}

  /** Caller metadata with lower-cased keys, frame headers left out (what outbound calls propagate). */
  get rawMetadata(): Record<string, string> {
    return (this.lower ??= metadataFromHeaders(this.headers));
  }

  /** Caller metadata, case-insensitive; writing or deleting a key throws in strict-mode code. */
  get metadata(): Metadata {
    return (this.view ??= caseInsensitive(this.rawMetadata));
  }

  /** What middleware found for this request, for the handler (created on first access). */
  get state(): Record<string, unknown> {
    return (this.bag ??= {});
  }

  /** Aborts with a 408 at the deadline, or earlier with the reason given to {@link RequestContext.abort}. */
  get signal(): AbortSignal {
    if (!this.ctl) {
      this.ctl = new AbortController();
      const left = this.deadline - Date.now();
      if (Number.isFinite(left)) {
        const ctl = this.ctl;
        this.timer = setTimeout(() => ctl.abort(timeout(this.service, `deadline of ${this.endpoint} exceeded`)), Math.max(0, left));
        this.timer.unref();
      }
    }
    return this.ctl.signal;
  }

  /** Aborts the signal now (the caller went away, or the server stops). */
  abort(reason: Error): void {
    this.ctl?.abort(reason);
  }

  /** The request is over: its deadline timer (armed only if `signal` was read) is released. */
  done(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

/** The store of the context of the request being handled (a constant, like Node's own: no state beyond the async chain). */
const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn(...args)` with `ctx` as the current context (arguments passed through, so callers need no closure). */
export function runInContext<A extends unknown[], T>(ctx: RequestContext, fn: (...args: A) => T, ...args: A): T {
  return storage.run(ctx, fn, ...args);
}

/** The context of the request being handled, if any. */
export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/**
 * Middleware: one model for the four places a request passes through. On the server, around each
 * handler (both protocols: mucp and the NATS Service API share it through the invoke core) and each
 * subscriber; on the client, around each call, stream and publish. A middleware is
 * `(inv, next) => result`: it may look at and change `inv.metadata`, call `next()` (the rest of the
 * chain, then the handler or the send) and observe its result or error, or answer without calling it
 * (a guard throwing a 401). Chains are composed once, when a service is wired; an empty chain is not a
 * chain at all: the handler is called directly.
 */
import type { Context } from '../context';

/** Where an invocation happens: server side `handler` and `subscriber`; client side `call`, `stream`, `publish`. */
export type InvocationKind = 'handler' | 'subscriber' | 'call' | 'stream' | 'publish';

/** One request, event, call or publish as middleware sees it. One object per invocation, made only when there is a chain. */
export interface Invocation {
  /** Where it happens. */
  readonly kind: InvocationKind;
  /** `handler`/`subscriber`: this service; `call`/`stream`: the service called; `publish`: `''`. */
  readonly service: string;
  /** The endpoint (`Greeter.hello`), or the topic for `subscriber` and `publish`. */
  readonly endpoint: string;
  /**
   * Server side: the caller's metadata (lower-case keys); changes are seen by the handler's
   * `ctx.metadata` and travel on with its outgoing calls. Client side: the outgoing headers (metadata plus
   * the frame headers such as `Micro-Endpoint`); set keys here to send them.
   */
  readonly metadata: Record<string, string>;
  /** Server side: the handler's context (its `ctx.state` carries what middleware found, e.g. the caller's identity). Client side: the request being handled, if any. */
  readonly context?: Context;
  /** Client side: the request or event payload (already encoded: changing it changes nothing sent). Server side: undefined (`next()` decodes and validates it). */
  readonly request?: unknown;
  /** `subscriber`: its queue group, if any. */
  readonly queue?: string;
  /** `subscriber`: the topic subscribed to, which may hold wildcards (`endpoint` is the event's own topic). */
  readonly pattern?: string;
}

/** The rest of the chain: resolves with the handler's result (or the call's response), rejects with its error. */
export type Next = () => Promise<unknown>;

/** A middleware function: return `next()` (possibly after changing metadata), a result of its own, or throw. */
export type MiddlewareFn = (inv: Invocation, next: Next) => unknown;

/** A middleware class, resolved from the app's container (so it can inject): `use` is the middleware function. */
export interface Middleware {
  use(inv: Invocation, next: Next): unknown;
}

/** What `bootstrap({ middleware })` and `@Use(...)` accept: functions, and classes whose instances are {@link Middleware}. */
export type MiddlewareRef = MiddlewareFn | (new (...args: any[]) => Middleware);

/** A composed chain: runs `inv` through every middleware, then `terminal`. */
export type Chain = (inv: Invocation, terminal: Next) => Promise<unknown>;

/** True for a middleware class (its prototype has `use`), false for a middleware function. */
export function isMiddlewareClass(ref: MiddlewareRef): ref is new (...args: any[]) => Middleware {
  return typeof ref === 'function' && typeof (ref.prototype as Partial<Middleware> | undefined)?.use === 'function';
}

/**
 * Composes `fns`, first outermost. Undefined for none, so callers skip the chain entirely. A middleware
 * that throws synchronously rejects the chain; `next()` may be called again (a retrying client middleware).
 */
export function compose(fns: readonly MiddlewareFn[]): Chain | undefined {
  if (fns.length === 0) return undefined;
  const list = [...fns];
  return (inv, terminal) => {
    const step = (i: number): Promise<unknown> => {
      if (i === list.length) return terminal();
      try {
        return Promise.resolve(list[i](inv, () => step(i + 1)));
      } catch (err) {
        return Promise.reject(err);
      }
    };
    return step(0);
  };
}

/**
 * The invoke core: what serving a request means, whatever protocol carried it. A protocol adapter
 * (`mucp.ts` for go-micro's mucp over the transport; a NATS Service API adapter would be one more file)
 * reads its framing, then calls, in order:
 *
 * 1. {@link admit}: the endpoint by name, refused while stopping (503) or unknown (404);
 * 2. `new RequestContext(service, endpoint, id, header, deadline)` for the handler's `ctx`;
 * 3. {@link invoke} with the body's content type and bytes: codec (415), then the endpoint's middleware
 *    chain (when it has one) around deadline (408), decode and DTO validation (400) and the handler, then
 *    the encoded result; counted in the endpoint's stats. A streaming endpoint: {@link counted} around
 *    {@link throughChain} around {@link decodeInput} and {@link openStream};
 * 4. {@link errorOf} on any failure, to send the MicroError in its own framing.
 *
 * The adapter wraps all of it in `host.begin()`/`host.end()` so a graceful stop waits for it, and calls
 * `ctx.done()` when the request is over. Input validation (DTO decode), output mapping (DTO encode) and the
 * async context live here, so every protocol gets them the same.
 */
import type { Codec } from '../codec';
import { runInContext, type RequestContext } from '../context';
import { Codes, excerpt, internal, isInfrastructureError, MicroError, notFound, refused, timeout, unavailable } from '../errors';
import type { Invocation } from '../middleware';
import type { Endpoint, InvokeHost } from './index';

export type { Endpoint, InvokeHost } from './index';

/** The endpoint `name` of `host`, if a request for it may run now. Throws 503 (stopping) or 404 (unknown). */
export function admit(host: InvokeHost, name: string): Endpoint {
  if (host.stopping) throw refused(`${host.name} is stopping`);
  if (host.overloaded) throw refused(`${host.name} is over its limit of requests in flight`);
  const ep = host.endpoints.get(name);
  if (!ep) throw notFound(host.name, `endpoint ${excerpt(name)} not found on service ${host.name}`);
  return ep;
}

/**
 * Runs a unary endpoint: picks the codec of `contentType` (415 when unknown), refuses a passed deadline (408),
 * decodes and validates the input, runs the handler in `ctx`, encodes its result. Counts the call in the
 * endpoint's stats (failures included); throws or rejects with what was thrown, as is.
 *
 * Not an async function: a handler's promise gets one reaction here and nothing else (every promise and
 * `await` costs Node 20's async-context hooks once a context was entered), and a synchronous handler's
 * result is returned as bytes, without a promise.
 */
export function invoke(host: InvokeHost, ep: Endpoint, contentType: string | undefined, body: Uint8Array,
                       ctx: RequestContext): Uint8Array | Promise<Uint8Array> {
  const t0 = ep.stats.begin();
  let out: unknown;
  let codec: Codec;
  try {
    codec = host.codecs.get(contentType);
    if (ep.chain) out = runInContext(ctx, ep.chain, invocationOf(host, ep, ctx), () => handle(host, ep, codec, body, ctx));
    else {
      const input = decodeInput(host, ep, codec, body, ctx);
      // An async DTO decoder: the handler runs once it settles.
      out = isThenable(input) ? Promise.resolve(input).then((i) => runInContext(ctx, ep.fn, i, ctx)) : runInContext(ctx, ep.fn, input, ctx);
    }
  } catch (err) {
    throw failed(host, ep, t0, err);
  }
  if (!isThenable(out)) return encoded(host, ep, t0, codec, out);
  return Promise.resolve(out).then((o) => encoded(host, ep, t0, codec, o), (err) => { throw failed(host, ep, t0, err); });
}

/** The handler's result encoded, the call counted; an encoding failure is counted as the call's failure. */
function encoded(host: InvokeHost, ep: Endpoint, t0: number, codec: Codec, out: unknown): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = codec.encode(ep.opts.encode ? ep.opts.encode(out) : out);
  } catch (err) {
    throw failed(host, ep, t0, err);
  }
  ep.stats.end(t0);
  return bytes;
}

/** Counts a failed call in the endpoint's stats; returns `err` to throw on. */
function failed(host: InvokeHost, ep: Endpoint, t0: number, err: unknown): unknown {
  ep.stats.fail(MicroError.from(err, host.name));
  ep.stats.end(t0);
  return err;
}

/** True for a promise (or any thenable): what must be awaited. */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof (x as PromiseLike<unknown> | undefined)?.then === 'function';
}

/** Decodes, validates and runs the handler: the end of a middleware chain. */
async function handle(host: InvokeHost, ep: Endpoint, codec: Codec, body: Uint8Array, ctx: RequestContext): Promise<unknown> {
  return ep.fn(await decodeInput(host, ep, codec, body, ctx), ctx);
}

/** What middleware sees of a request to `ep`. */
export function invocationOf(host: InvokeHost, ep: Endpoint, ctx: RequestContext): Invocation {
  return { kind: 'handler', service: host.name, endpoint: ep.name, metadata: ctx.rawMetadata, context: ctx };
}

/**
 * Runs `fn` (decoding and serving a stream) through `ep`'s middleware. A middleware that answers without
 * calling `next()` makes an empty stream: resolves false then, true when `fn` ran.
 */
export async function throughChain(host: InvokeHost, ep: Endpoint, ctx: RequestContext, fn: () => Promise<void>): Promise<boolean> {
  if (!ep.chain) { await fn(); return true; }
  let ran = false;
  await runInContext(ctx, ep.chain, invocationOf(host, ep, ctx), async () => { ran = true; await fn(); });
  return ran;
}

/** Runs `fn` as one call of `ep` in its stats (a stream is one call, however many items it sends). */
export async function counted<T>(host: InvokeHost, ep: Endpoint, fn: () => Promise<T>): Promise<T> {
  const t0 = ep.stats.begin();
  try {
    return await fn();
  } catch (err) {
    ep.stats.fail(MicroError.from(err, host.name));
    throw err;
  } finally {
    ep.stats.end(t0);
  }
}

/** The handler's argument: refused 408 past the deadline; decoded, then the DTO decoder (validation) when there is one. */
export function decodeInput(host: InvokeHost, ep: Endpoint, codec: Codec, body: Uint8Array, ctx: RequestContext): unknown {
  if (ctx.deadline <= Date.now()) throw timeout(host.name, `deadline of ${ep.name} passed before it started`);
  const input = codec.decode(body);
  return ep.opts.decode ? ep.opts.decode(input) : input;
}

/** The items of a streaming endpoint, each mapped by its `encode`; `return()` stops the handler's generator. */
export interface StreamInvocation {
  /** The next item, produced in the request's context. */
  next(): Promise<IteratorResult<unknown>>;
  /** Stops the generator (the client went away, or sending failed). Never rejects. */
  return(): Promise<void>;
}

/** Starts a streaming endpoint in `ctx` with its decoded input. Throws when the handler is not a generator. */
export function openStream(ep: Endpoint, input: unknown, ctx: RequestContext): StreamInvocation {
  const it = runInContext(ctx, ep.fn, input, ctx) as AsyncIterator<unknown>;
  if (!it || typeof it.next !== 'function') throw new Error(`stream endpoint ${ep.name} did not return an async iterator`);
  const encode = ep.opts.encode;
  return {
    next: async () => {
      const r = await runInContext(ctx, () => it.next());
      return r.done || !encode ? r : { done: false, value: encode(r.value) };
    },
    return: async () => { await it.return?.(undefined)?.catch?.(() => undefined); },
  };
}

/**
 * The MicroError to answer with. A service's own MicroError goes as it is. Anything else is a handler bug:
 * logged with its stack, answered 500. An error of micro-nats' machinery (a failed publish, a nested call's
 * transport or registry failure) may name servers and node addresses: it is logged and the caller gets a
 * generic 503 (or 408, or 500) from this service.
 */
export function errorOf(host: InvokeHost, err: unknown, endpoint: string, requestId?: string): MicroError {
  host.log(err, endpoint, requestId); // a 4xx at debug level, the rest as errors
  if (!(err instanceof MicroError)) return MicroError.from(err, host.name);
  if (!isInfrastructureError(err)) return err;
  const generic = GENERIC[err.code];
  return generic ? new MicroError(host.name, err.code, `${host.name}: ${generic}`) : internal(host.name, 'internal server error');
}

/** What a caller is told of an infrastructure failure, by code; any other code becomes a 500. */
const GENERIC: Record<number, string> = {
  [Codes.Unavailable]: 'service unavailable',
  [Codes.Timeout]: 'timed out',
  [Codes.PayloadTooLarge]: 'the response is larger than the NATS server accepts',
};

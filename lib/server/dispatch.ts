import type { Codec, Codecs } from '../codec';
import { runInContext, RequestContext } from '../context';
import { MicroError, notFound, timeout, unavailable } from '../errors';
import type { Message, Socket } from '../transport';
import type { HandlerFn, HandlerOptions } from './index';
import { readHead } from './request';
import type { EndpointStats } from './stats';

const EMPTY = new Uint8Array(0);

/** A registered endpoint. */
export interface Endpoint {
  /** The endpoint name requests carry in `Micro-Endpoint` (`Greeter.hello`). */
  name: string;
  /** The handler; for a stream, a function returning an async iterator. */
  fn: HandlerFn;
  /** How its input is decoded, its output encoded, and whether it streams. */
  opts: HandlerOptions;
  /** Its counters, shared by every protocol that reaches it. */
  stats: EndpointStats;
}

/** Per-socket state shared by the requests that arrive on it (one object per socket, none per request). */
interface SocketState { ended: boolean; streams?: Set<RequestContext> }

/** What dispatch needs from the server around it. */
export interface DispatchHost {
  /** The service name: the source of every error reply and the context's `service`. */
  readonly name: string;
  /** Codecs by content type: a request's `Content-Type` picks the one for it and its reply; an unknown type gets 415. */
  readonly codecs: Codecs;
  /** Endpoints by name; a request for one not here gets 404. */
  readonly endpoints: Map<string, Endpoint>;
  /** True once stop began: new requests get 503 so that clients retry on another node. */
  readonly stopping: boolean;
  /** Counts a request in flight; called once per request, before anything can fail. */
  begin(): void;
  /** Ends what `begin` counted, whatever the outcome; a graceful stop waits for the count to reach 0. */
  end(): void;
  /** Reports an error that is not a MicroError (a handler bug) before it is sent as a 500. */
  log(err: unknown, endpoint: string): void;
}

/** Reads a socket until it ends, handling each request concurrently. */
export async function serveSocket(host: DispatchHost, sock: Socket): Promise<void> {
  const state: SocketState = { ended: false };
  if (sock.consume) {
    sock.consume((m) => void handleRequest(host, sock, m, state), () => ended(state, host.name));
    return;
  }
  for (;;) {
    let m: Message;
    try { m = await sock.recv({ timeout: 0 }); } catch { break; }
    void handleRequest(host, sock, m, state);
  }
  ended(state, host.name);
}

/** The client closed the socket (or it was reaped): streams on it stop, their `ctx.signal` aborts. */
function ended(state: SocketState, service: string): void {
  state.ended = true;
  if (state.streams) for (const ctx of state.streams) ctx.abort(unavailable(service, 'client closed the stream'));
}

async function handleRequest(host: DispatchHost, sock: Socket, m: Message, state: SocketState): Promise<void> {
  host.begin();
  let id = '';
  let endpoint = '';
  let ctx: RequestContext | undefined;
  try {
    const head = readHead(host.name, m.header, Date.now());
    id = head.id;
    endpoint = head.endpoint;
    if (host.stopping) throw unavailable(host.name, `${host.name} is stopping`);
    const ep = host.endpoints.get(endpoint);
    if (!ep) throw notFound(host.name, `endpoint ${endpoint.slice(0, 200)} not found on service ${host.name}`);
    ctx = new RequestContext(host.name, endpoint, id, m.header, head.deadline);
    if (ep.opts.stream) return await stream(host, sock, ep, m, ctx, state);
    const body = await invoke(host, ep, m.header['Content-Type'], m.body, ctx);
    // The response is in the request's content type, which the caller knows: only the id travels.
    await sock.send({ header: { 'Micro-Id': id }, body });
  } catch (err) {
    await replyError(host, sock, id, endpoint, err);
  } finally {
    ctx?.done();
    host.end();
  }
}

/**
 * The invoke core every protocol shares: picks the codec of `contentType` (415 when unknown), refuses a
 * passed deadline (408), decodes and validates the input, runs the handler in `ctx`, encodes its result.
 * Counts the call in the endpoint's stats (failures included); rejects with what was thrown, as is.
 */
export async function invoke(host: DispatchHost, ep: Endpoint, contentType: string | undefined, body: Uint8Array,
                             ctx: RequestContext): Promise<Uint8Array> {
  const t0 = ep.stats.begin();
  try {
    const codec = host.codecs.get(contentType);
    if (ctx.deadline <= Date.now()) throw timeout(host.name, `deadline of ${ep.name} passed before it started`);
    let input = codec.decode(body);
    if (ep.opts.decode) input = await ep.opts.decode(input);
    const out = await runInContext(ctx, ep.fn, input, ctx);
    return codec.encode(ep.opts.encode ? ep.opts.encode(out) : out);
  } catch (err) {
    ep.stats.fail(MicroError.from(err, host.name));
    throw err;
  } finally {
    ep.stats.end(t0);
  }
}

/** The handler's argument: refused 408 past the deadline; the DTO decoder (validation) when there is one. */
function decodeInput(host: DispatchHost, ep: Endpoint, codec: Codec, body: Uint8Array, ctx: RequestContext): unknown {
  if (ctx.deadline <= Date.now()) throw timeout(host.name, `deadline of ${ep.name} passed before it started`);
  const input = codec.decode(body);
  return ep.opts.decode ? ep.opts.decode(input) : input;
}

/** Sends each yield as a frame, then an `EOS` frame; stops the generator when the client goes away. Counted as one call. */
async function stream(host: DispatchHost, sock: Socket, ep: Endpoint, m: Message, ctx: RequestContext,
                      state: SocketState): Promise<void> {
  const t0 = ep.stats.begin();
  try {
    const codec = host.codecs.get(m.header['Content-Type']);
    const input = await decodeInput(host, ep, codec, m.body, ctx);
    await frames(host, sock, ep, input, ctx, codec, state);
  } catch (err) {
    ep.stats.fail(MicroError.from(err, host.name));
    throw err;
  } finally {
    ep.stats.end(t0);
  }
}

async function frames(host: DispatchHost, sock: Socket, ep: Endpoint, input: unknown, ctx: RequestContext, codec: Codec,
                      state: SocketState): Promise<void> {
  const it = runInContext(ctx, ep.fn, input, ctx) as AsyncIterator<unknown>;
  if (!it || typeof it.next !== 'function') throw new Error(`stream endpoint ${ep.name} did not return an async iterator`);
  const header = { 'Micro-Id': ctx.id, 'Content-Type': codec.contentType };
  (state.streams ??= new Set()).add(ctx);
  try {
    for (;;) {
      const r = await runInContext(ctx, () => it.next());
      if (r.done) break;
      if (state.ended) throw unavailable(host.name, 'client closed the stream');
      await sock.send({ header, body: codec.encode(ep.opts.encode ? ep.opts.encode(r.value) : r.value) });
    }
  } catch (err) {
    ctx.abort(err as Error);
    await it.return?.(undefined)?.catch?.(() => undefined);
    throw err;
  } finally {
    state.streams?.delete(ctx);
  }
  await sock.send({ header: { 'Micro-Id': ctx.id, 'Micro-Error': 'EOS' }, body: EMPTY });
}

async function replyError(host: DispatchHost, sock: Socket, id: string, endpoint: string, err: unknown): Promise<void> {
  if (!(err instanceof MicroError)) host.log(err, endpoint);
  const e = MicroError.from(err, host.name);
  try {
    await sock.send({ header: { 'Micro-Id': id, 'Micro-Error': JSON.stringify(e) }, body: EMPTY });
  } catch { /* the client went away; nothing to tell */ }
}

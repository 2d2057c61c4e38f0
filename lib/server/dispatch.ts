import type { Codec, Codecs } from '../codec';
import { runInContext, RequestContext } from '../context';
import { MicroError, notFound, timeout, unavailable } from '../errors';
import type { Message, Socket } from '../transport';
import type { HandlerFn, HandlerOptions } from './index';
import { readHead } from './request';

const EMPTY = new Uint8Array(0);

/** A registered endpoint. */
export interface Endpoint { name: string; fn: HandlerFn; opts: HandlerOptions }

/** Per-socket state shared by the requests that arrive on it (one object per socket, none per request). */
interface SocketState { ended: boolean }

/** What dispatch needs from the server around it. */
export interface DispatchHost {
  readonly name: string;
  readonly codecs: Codecs;
  readonly endpoints: Map<string, Endpoint>;
  readonly stopping: boolean;
  begin(): void;
  end(): void;
  log(err: unknown, endpoint: string): void;
}

/** Reads a socket until it ends, handling each request concurrently. */
export async function serveSocket(host: DispatchHost, sock: Socket): Promise<void> {
  const state: SocketState = { ended: false };
  if (sock.consume) {
    sock.consume((m) => void handleRequest(host, sock, m, state), () => { state.ended = true; });
    return;
  }
  for (;;) {
    let m: Message;
    try { m = await sock.recv({ timeout: 0 }); } catch { break; }
    void handleRequest(host, sock, m, state);
  }
  state.ended = true;
}

async function handleRequest(host: DispatchHost, sock: Socket, m: Message, state: SocketState): Promise<void> {
  host.begin();
  let id = '';
  let endpoint = '';
  let codec: Codec | undefined;
  try {
    const head = readHead(host.name, m.header, Date.now());
    id = head.id;
    endpoint = head.endpoint;
    if (host.stopping) throw unavailable(host.name, `${host.name} is stopping`);
    const ep = host.endpoints.get(endpoint);
    if (!ep) throw notFound(host.name, `endpoint ${endpoint} not found on service ${host.name}`);
    codec = host.codecs.get(m.header['Content-Type']);
    if (head.deadline <= Date.now()) throw timeout(host.name, `deadline of ${endpoint} passed before it started`);
    const ctx = new RequestContext(host.name, endpoint, id, m.header, head.deadline);
    let input = codec.decode(m.body);
    if (ep.opts.decode) input = await ep.opts.decode(input);
    if (ep.opts.stream) return await stream(host, sock, ep, input, ctx, codec, state);
    const out = await runInContext(ctx, ep.fn, input, ctx);
    const body = codec.encode(ep.opts.encode ? ep.opts.encode(out) : out);
    // The response is in the request's content type, which the caller knows: only the id travels.
    await sock.send({ header: { 'Micro-Id': id }, body });
  } catch (err) {
    await replyError(host, sock, id, endpoint, err);
  } finally {
    host.end();
  }
}

/** Sends each yield as a frame, then an `EOS` frame; stops the generator when the client goes away. */
async function stream(host: DispatchHost, sock: Socket, ep: Endpoint, input: unknown, ctx: RequestContext, codec: Codec,
                      state: SocketState): Promise<void> {
  const it = runInContext(ctx, ep.fn, input, ctx) as AsyncIterator<unknown>;
  if (!it || typeof it.next !== 'function') throw new Error(`stream endpoint ${ep.name} did not return an async iterator`);
  const header = { 'Micro-Id': ctx.id, 'Content-Type': codec.contentType };
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

/**
 * The mucp adapter: serves go-micro's mucp requests arriving on transport sockets. It reads the frame
 * (`lib/protocol/mucp.ts`), decodes the body with the request's codec, runs the invoke core
 * (`./invoke.ts`) and writes the reply, error or stream frames.
 */
import type { Codec } from '../codec';
import { RequestContext } from '../context';
import { unavailable } from '../errors';
import { endOfStreamFrame, errorFrame, Header, readRequestHead, replyFrame, streamFrame } from '../protocol/mucp';
import type { Message, Socket } from '../transport';
import { admit, counted, decodeInput, errorOf, invoke, openStream, throughChain, type Endpoint, type InvokeHost } from './invoke';

/** What the mucp adapter needs from the server around it: the invoke core's host. */
export type MucpHost = InvokeHost;

/** Per-socket state shared by the requests that arrive on it (one object per socket, none per request). */
interface SocketState { ended: boolean; streams?: Set<RequestContext> }

/** Reads a socket until it ends, handling each request concurrently. */
export async function serveSocket(host: MucpHost, sock: Socket): Promise<void> {
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

async function handleRequest(host: MucpHost, sock: Socket, m: Message, state: SocketState): Promise<void> {
  host.begin();
  let id = '';
  let endpoint = '';
  let ctx: RequestContext | undefined;
  try {
    const head = readRequestHead(host.name, m.header, Date.now());
    id = head.id;
    endpoint = head.endpoint;
    const ep = admit(host, endpoint);
    ctx = new RequestContext(host.name, endpoint, id, m.header, head.deadline);
    if (ep.opts.stream) return await stream(host, sock, ep, m, ctx, state);
    await sock.send(replyFrame(id, await invoke(host, ep, m.header[Header.ContentType], m.body, ctx)));
  } catch (err) {
    try { await sock.send(errorFrame(id, errorOf(host, err, endpoint))); } catch { /* the client went away */ }
  } finally {
    ctx?.done();
    host.end();
  }
}

/** Sends each item as a frame, then an end-of-stream frame; stops the generator when the client goes away. One call in the stats. */
function stream(host: MucpHost, sock: Socket, ep: Endpoint, m: Message, ctx: RequestContext, state: SocketState): Promise<void> {
  return counted(host, ep, async () => {
    const codec = host.codecs.get(m.header[Header.ContentType]);
    const ran = await throughChain(host, ep, ctx, async () => {
      const input = await decodeInput(host, ep, codec, m.body, ctx);
      await frames(host, sock, ep, input, ctx, codec, state);
    });
    // Answered by middleware without the handler: an empty stream.
    if (!ran) await sock.send(endOfStreamFrame(ctx.id));
  });
}

async function frames(host: MucpHost, sock: Socket, ep: Endpoint, input: unknown, ctx: RequestContext, codec: Codec,
                      state: SocketState): Promise<void> {
  const items = openStream(ep, input, ctx);
  (state.streams ??= new Set()).add(ctx);
  try {
    for (;;) {
      const r = await items.next();
      if (r.done) break;
      if (state.ended) throw unavailable(host.name, 'client closed the stream');
      await sock.send(streamFrame(ctx.id, codec.contentType, codec.encode(r.value)));
    }
  } catch (err) {
    ctx.abort(err as Error);
    await items.return();
    throw err;
  } finally {
    state.streams?.delete(ctx);
  }
  await sock.send(endOfStreamFrame(ctx.id));
}

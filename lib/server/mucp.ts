/**
 * The mucp adapter: serves go-micro's mucp requests arriving on transport sockets. It reads the frame
 * (`lib/protocol/mucp.ts`), decodes the body with the request's codec, runs the invoke core
 * (`./invoke.ts`) and writes the reply, error or stream frames.
 */
import type { Codec } from '../codec';
import { RequestContext } from '../context';
import { DEFAULT_TIMEOUT } from '../config/defaults';
import { unavailable } from '../errors';
import { endOfStreamFrame, errorFrame, Header, isEndOfStream, readRequestHead, replyFrame, streamFrame, type RequestHead } from '../protocol/mucp';
import { SENT, type Message, type Socket } from '../transport';
import { admit, counted, decodeInput, errorOf, invoke, isThenable, openStream, throughChain, type Endpoint, type InvokeHost } from './invoke';

/** What the mucp adapter needs from the server around it: the invoke core's host. */
export type MucpHost = InvokeHost;

/** Per-socket state shared by the requests that arrive on it (one object per socket, none per request). */
interface SocketState { ended: boolean; streams?: Map<RequestContext, OpenStream> }

/**
 * A stream on a socket: its id (`Micro-Stream`, else the request id), whether the client closed it, and
 * while the stream waits for go-micro's second frame (its input), who takes that frame.
 */
interface OpenStream { sid: string; closed: boolean; input?: (m: Message | undefined) => void }

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
  if (!state.streams) return;
  for (const [ctx, s] of state.streams) {
    ctx.abort(unavailable(service, 'client closed the stream'));
    s.input?.(undefined);
  }
}

/**
 * One request on a socket. Not an async function: a unary request costs the handler's promise and one
 * reaction (see {@link invoke}); the reply or error is sent when it settles.
 */
function handleRequest(host: MucpHost, sock: Socket, m: Message, state: SocketState): void {
  if (m.header[Header.Stream] !== undefined && streamFrameOfOpen(host, m, state)) return;
  host.begin();
  let head: RequestHead | undefined;
  let ctx: RequestContext | undefined;
  let out: Uint8Array | Promise<Uint8Array>;
  try {
    head = readRequestHead(host.name, m.header, Date.now());
    const ep = admit(host, head.endpoint);
    ctx = new RequestContext(host.name, head.endpoint, head.id, m.header, head.deadline);
    host.running(ctx);
    if (ep.opts.stream) { void streamRequest(host, sock, ep, m, ctx, state); return; }
    out = invoke(host, ep, head.contentType, m.body, ctx);
  } catch (err) {
    return refuse(host, sock, head, ctx, err);
  }
  if (!isThenable(out)) return reply(host, sock, head, ctx, out);
  const h = head;
  const c = ctx;
  out.then((bytes) => reply(host, sock, h, c, bytes), (err) => refuse(host, sock, h, c, err));
}

/** Sends the reply, then ends the request. A reply NATS refuses (413 over max_payload) is answered with that error. */
function reply(host: MucpHost, sock: Socket, head: RequestHead, ctx: RequestContext, bytes: Uint8Array): void {
  const sent = sock.send(replyFrame(head, bytes));
  if (sent !== SENT) sent.then(undefined, (e) => sendError(host, sock, head.id, head.endpoint, e));
  finish(host, ctx);
}

/** Sends the error frame for `err`, then ends the request (`head` is absent when the request head was unreadable). */
function refuse(host: MucpHost, sock: Socket, head: RequestHead | undefined, ctx: RequestContext | undefined, err: unknown): void {
  sendError(host, sock, head?.id ?? '', head?.endpoint ?? '', err);
  finish(host, ctx);
}

/** The request is over: its deadline timer released, and a graceful stop no longer waits for it. */
function finish(host: MucpHost, ctx: RequestContext | undefined): void {
  ctx?.done();
  host.end(ctx);
}

/** A failed send of an error has no one to tell (the caller times out or sees the connection go). */
function sendError(host: MucpHost, sock: Socket, id: string, endpoint: string, err: unknown): void {
  const sent = sock.send(errorFrame(id, errorOf(host, err, endpoint, id)));
  if (sent !== SENT) sent.catch(() => undefined);
}

/** A streaming request: its frames, then the end of the request for stop tracking. */
async function streamRequest(host: MucpHost, sock: Socket, ep: Endpoint, m: Message, ctx: RequestContext, state: SocketState): Promise<void> {
  try {
    await stream(host, sock, ep, m, ctx, state, opened(state, m, ctx));
  } catch (err) {
    sendError(host, sock, ctx.id, ctx.endpoint, err);
  } finally {
    finish(host, ctx);
  }
}

/**
 * A later frame of a stream the client opened on this socket (go-micro frames all carry `Micro-Stream`):
 * never a new request. `Micro-Error: EOS` is go-micro's client closing the stream: it has stopped
 * listening, so the stream's generator is stopped (no end frame is owed). Returns true when handled.
 */
function streamFrameOfOpen(host: MucpHost, m: Message, state: SocketState): boolean {
  const sid = m.header[Header.Stream];
  const eos = isEndOfStream(m);
  let open = false;
  if (state.streams) {
    for (const [ctx, s] of state.streams) {
      if (s.sid !== sid) continue;
      open = true;
      const input = s.input;
      s.input = undefined;
      if (eos) { s.closed = true; ctx.abort(unavailable(host.name, 'client closed the stream')); }
      input?.(eos ? undefined : m);
    }
  }
  return eos || open;
}

/**
 * Registers a stream on its socket at once (before any await), so its later frames are never taken for
 * new requests. go-micro's server discards a stream's first frame and hands the handler the next one;
 * protoc-gen-micro clients send an empty request (`{}`) first and the real one second. So from a go-micro
 * client (`Micro-Method` present) whose first frame is empty, the second frame is the input.
 */
function opened(state: SocketState, m: Message, ctx: RequestContext): { open: OpenStream; input?: Promise<Message | undefined> } {
  const open: OpenStream = { sid: m.header[Header.Stream] ?? ctx.id, closed: false };
  (state.streams ??= new Map()).set(ctx, open);
  if (m.header[Header.Method] === undefined || m.header[Header.Stream] === undefined || !isEmptyRequest(m.body)) return { open };
  return {
    open,
    input: new Promise((resolve) => {
      // Bounded: a client that never sends the input does not hold the stream for ever.
      const t = setTimeout(() => { open.input = undefined; resolve(undefined); }, DEFAULT_TIMEOUT);
      t.unref();
      open.input = (x) => { clearTimeout(t); resolve(x); };
    }),
  };
}

/** True for an empty body or the JSON `{}` (a generated go-micro client's placeholder request). */
function isEmptyRequest(b: Uint8Array): boolean {
  return b.length === 0 || (b.length === 2 && b[0] === 0x7b && b[1] === 0x7d);
}

/** Sends each item as a frame, then an end-of-stream frame; stops the generator when the client goes away. One call in the stats. */
async function stream(host: MucpHost, sock: Socket, ep: Endpoint, m: Message, ctx: RequestContext, state: SocketState,
                      s: { open: OpenStream; input?: Promise<Message | undefined> }): Promise<void> {
  try {
    const first = s.input ? await s.input : m;
    if (!first) return; // closed by the client before it sent the input
    await counted(host, ep, async () => {
      const codec = host.codecs.get(m.header[Header.ContentType]);
      const ran = await throughChain(host, ep, ctx, async () => {
        const input = await decodeInput(host, ep, codec, first.body, ctx);
        await frames(host, sock, ep, input, ctx, codec, state, s.open);
      });
      // Answered by middleware without the handler: an empty stream.
      if (!ran) await sock.send(endOfStreamFrame(ctx.id));
    });
  } finally {
    state.streams?.delete(ctx);
  }
}

async function frames(host: MucpHost, sock: Socket, ep: Endpoint, input: unknown, ctx: RequestContext, codec: Codec,
                      state: SocketState, open: OpenStream): Promise<void> {
  const items = openStream(ep, input, ctx);
  try {
    for (;;) {
      const r = await items.next();
      if (r.done) break;
      // go-micro's client sent EOS: it has stopped listening, so neither items nor an end frame are owed.
      if (open.closed) { await items.return(); return; }
      if (state.ended) throw unavailable(host.name, 'client closed the stream');
      await sock.send(streamFrame(ctx.id, codec.contentType, codec.encode(r.value)));
    }
  } catch (err) {
    ctx.abort(err as Error);
    await items.return();
    throw err;
  }
  await sock.send(endOfStreamFrame(ctx.id));
}

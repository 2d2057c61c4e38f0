import type { Broker } from '../broker';
import type { Codec, Codecs } from '../codec';
import { currentContext } from '../context';
import { randomUUID } from 'node:crypto';
import { checkNumber } from '../config/check';
import { COMPACT, compactRequestHeader, EOS, Header, IDEMPOTENT, requestId, writeTimeout } from '../protocol/mucp';
import { badRequest, Codes, ConnectionLostError, excerpt, MicroError, NoRespondersError, NotSentError, timeout as timeoutError, unavailable } from '../errors';
import { isNodeCache, type Node, type NodeCache, type Registry, type Service } from '../registry';
import { proxyOfClass, proxyOfName, type ServiceClient } from './proxy';
import type { Socket, Transport } from '../transport';
import { DEFAULT_CALL_TIMEOUT, DEFAULT_RETRIES, type CallOptions, type Client, type PublishOptions,
  type StreamOptions } from './index';
import { encodeOrRefuse } from './encode';
import type { Adr32Caller } from './adr32';
import { EventPublisher } from './publisher';
import { GoMicroTopics } from './gomicro-topics';
import { SocketPool } from './pool';
import { backoff, mayResend, noResponders, notSent, provablyNotRun } from './retry';
import { callStream, chainedStream, type OpenStream } from './stream';
import { compose, type Chain, type Invocation, type InvocationKind, type MiddlewareFn } from '../middleware';
import { NoneAvailableError, type Next, type Selector } from '../selector';

/** Options of {@link RpcClient}. */
export interface RpcClientOptions {
  transport: Transport;
  /** Picks nodes; required unless every call passes `address`. */
  selector?: Selector;
  /** Needed only for publish. */
  broker?: Broker;
  /** Needed only for proxies by service name (endpoint lookup). */
  registry?: Registry;
  codecs: Codecs;
  /** Whole-call budget in ms. Default 5 000. */
  timeout?: number;
  /** Re-sends after a failed attempt (only what provably ran no handler, unless idempotent). Default 1. */
  retries?: number;
  /** Calls nodes found on the NATS Service API (node metadata `protocol: adr32`). Default none: such nodes get 503. */
  adr32?: Adr32Caller;
}

/** One call's attempts so far. */
interface Tries {
  /** `resent`: re-sends that may run the handler again (idempotent calls); `refused`: re-sends of what provably ran none. */
  retries: number; sent: number; resent: number; refused: number; waits: number;
  next?: Next; node?: Node; idempotent?: boolean; last?: unknown;
}

/** Everything one call needs, built once per call. */
interface Call { service: string; endpoint: string; codec: Codec; body: Uint8Array; header: Record<string, string>; deadline: number; started: number }

/** go-micro's mucp client on the micro-nats transport. */
export class RpcClient implements Client {
  private readonly pool: SocketPool;
  private readonly publisher: EventPublisher;
  private readonly goMicro?: GoMicroTopics;
  private seq = 0;
  private chain?: Chain;
  /** Endpoints advertised idempotent, per cached registry view (recomputed when the view changes). */
  private readonly idempotentEndpoints = new WeakMap<readonly Service[], Set<string>>();
  /** Request ids: unique across clients (a random prefix), cheap per call (a counter). */
  private readonly idPrefix = `${randomUUID().slice(0, 8)}-`;

  constructor(private readonly opts: RpcClientOptions) {
    for (const key of ['timeout', 'retries'] as const) checkNumber(`client option ${key}`, opts[key], 0, 'micro.client');
    const cache = opts.registry && isNodeCache(opts.registry) ? opts.registry : undefined;
    this.pool = new SocketPool(opts.transport, { listed: cache && ((service, address) => listed(cache, service, address)) });
    this.goMicro = opts.registry && opts.broker ? new GoMicroTopics(opts.registry) : undefined;
    this.publisher = new EventPublisher(opts.broker, opts.codecs, this.goMicro);
  }

  /**
   * Middleware around every call, stream and publish of this client, first outermost; composed once,
   * replacing any set before. Set it before the first call (bootstrap does).
   */
  use(middleware: readonly MiddlewareFn[]): void {
    this.chain = compose(middleware);
    this.publisher.chain = this.chain;
  }

  call<T = unknown>(service: string, endpoint: string, request?: unknown, opts: CallOptions = {}): Promise<T> {
    let c: Call;
    try {
      c = this.prepare(service, endpoint, request, opts);
    } catch (err) {
      return Promise.reject(err);
    }
    if (!this.chain) return this.send<T>(c, opts);
    return this.chain(invocation('call', c, request), () => this.send(c, opts)) as Promise<T>;
  }

  /** The call's attempts within its budget; what is sent again is said by {@link mayResend}. */
  private async send<T>(c: Call, opts: CallOptions): Promise<T> {
    const t: Tries = { retries: opts.retries ?? this.opts.retries ?? DEFAULT_RETRIES, sent: 0, resent: 0, refused: 0, waits: 0 };
    while (c.deadline > Date.now()) {
      t.node = undefined;
      try {
        // Awaited only when the selector had to query: an await of a plain value costs a microtask per call.
        const picked = this.pick(c, opts, t);
        const node = t.node = picked instanceof Promise ? await picked : picked;
        t.idempotent ??= this.idempotent(c, opts);
        // An idempotent call keeps time for its retries; any other attempt may use all that is left.
        const ms = c.deadline - Date.now();
        const share = t.idempotent ? ms / (t.retries - t.resent + 1) : ms;
        t.sent++;
        const out = (await this.attempt(c, node, Math.min(ms, opts.attemptTimeout ?? share))) as T;
        if (!opts.address) this.opts.selector?.mark(c.service, node);
        return out;
      } catch (err) {
        t.last = err;
        if (!(await this.again(c, opts, t, err))) break;
      }
    }
    throw this.failure(c, t.last, t.node, t.sent);
  }

  /**
   * The node of the next attempt: the address given, else the call's iterator (a new one once all were tried).
   * Without a promise when the selector answers from memory (the hot path).
   */
  private pick(c: Call, opts: CallOptions, t: Tries): Node | Promise<Node> {
    if (opts.address) return direct(opts.address);
    const n = t.next && this.nextNode(t.next);
    if (n) return n;
    const sel = this.select(c.service, opts, c);
    if (typeof (sel as Promise<Next>).then === 'function') return (sel as Promise<Next>).then((next) => this.first(t, next));
    return this.first(t, sel as Next);
  }

  /** The first node of a new iterator, which the call keeps for its retries. */
  private first(t: Tries, next: Next): Node {
    t.next = next;
    return next();
  }

  /**
   * After a failed attempt: whether to try again. Not sent (connection down): once the connection is back,
   * not counted as a retry. Otherwise only what {@link mayResend} allows, after a backoff: up to `retries`
   * re-sends of what provably ran no handler, and (idempotent calls) up to `retries` of what may have.
   */
  private async again(c: Call, opts: CallOptions, t: Tries, err: unknown): Promise<boolean> {
    const node = t.node;
    if (node && !opts.address) this.opts.selector?.mark(c.service, node, err);
    if (node && noResponders(err)) this.pool.drop(node.address);
    if (notSent(err)) {
      if (!(await this.opts.transport.ready?.(c.deadline - Date.now()) ?? true)) return false;
      await pause(Math.min(backoff(++t.waits, err), c.deadline - Date.now()));
      return true;
    }
    if (!mayResend(err, t.idempotent ??= this.idempotent(c, opts))) return false;
    // Each kind has its own `retries`: a re-send that ran nothing does not use up an idempotent call's retry.
    const n = provablyNotRun(err) ? ++t.refused : ++t.resent;
    if (n > t.retries) return false;
    await pause(Math.min(backoff(n, err), c.deadline - Date.now()));
    return true;
  }

  /** The error a failed call rejects with: the last attempt's, or a 408 stating the time actually spent. */
  private failure(c: Call, last: unknown, node: Node | undefined, sent: number): unknown {
    if (last !== undefined && !(last instanceof MicroError && last.code === 408) && !notSent(last)) return last;
    if (sent === 0 && last !== undefined && !notSent(last)) return last; // the lookup timed out: it says so
    const spent = Math.round(Date.now() - c.started);
    const budget = Math.round(c.deadline - c.started);
    const on = node ? `, last on ${node.id}` : '';
    const why = notSent(last) ? '; the NATS connection stayed down' : '';
    return timeoutError('micro.client', `call to ${c.service}.${c.endpoint} timed out after ${spent} ms of its ${budget} ms budget `
      + `(${sent} attempt(s)${on})${why}`);
  }

  /** A timed-out call may be re-sent when the caller says so, or the endpoint is advertised idempotent. */
  private idempotent(c: Call, opts: CallOptions): boolean {
    if (opts.idempotent !== undefined) return opts.idempotent;
    const reg = this.opts.registry;
    const view = reg && isNodeCache(reg) ? reg.lookup(c.service) : undefined;
    if (!view) return false;
    let names = this.idempotentEndpoints.get(view);
    if (!names) {
      names = new Set(view.flatMap((s) => s.endpoints.filter((e) => e.metadata?.[IDEMPOTENT] === 'true').map((e) => e.name)));
      this.idempotentEndpoints.set(view, names);
    }
    return names.has(c.endpoint);
  }

  stream<T = unknown>(service: string, endpoint: string, request?: unknown, opts: StreamOptions = {}): AsyncIterable<T> {
    const itemTimeout = opts.timeout ?? this.opts.timeout ?? DEFAULT_CALL_TIMEOUT;
    const chain = this.chain;
    if (!chain) return callStream<T>(async () => this.openStream(this.prepareStream(service, endpoint, request, opts), opts), itemTimeout);
    return chainedStream<T>(() => {
      const c = this.prepareStream(service, endpoint, request, opts);
      return { run: (terminal) => chain(invocation('stream', c, request), terminal), open: () => this.openStream(c, opts) };
    }, itemTimeout);
  }

  publish(topic: string, payload: unknown, opts?: PublishOptions): Promise<void> {
    return this.publisher.publish(topic, payload, opts);
  }

  /**
   * A typed client: `proxy(Greeter)` mirrors the `@Handler` methods of a `@Service` class;
   * `proxy<Greeter>('greeter')` resolves method names to advertised endpoints through the registry.
   */
  proxy<T>(target: (new (...args: any[]) => T) | string): ServiceClient<T> {
    if (typeof target !== 'string') return proxyOfClass<T>(this, target);
    if (!this.opts.registry) throw new Error(`client.proxy('${target}'): a proxy by name needs the client's registry`);
    return proxyOfName<T>(this, this.opts.registry, target);
  }

  async close(): Promise<void> {
    this.goMicro?.close();
    await this.pool.close();
  }

  toString(): string {
    return 'mucp';
  }

  private prepare(service: string, endpoint: string, request: unknown, opts: CallOptions): Call {
    const codec = this.opts.codecs.get(opts.contentType);
    const ctx = currentContext();
    const budget = opts.timeout ?? this.opts.timeout ?? DEFAULT_CALL_TIMEOUT;
    const started = Date.now();
    const deadline = Math.min(started + budget, ctx?.deadline ?? Infinity);
    const header: Record<string, string> = ctx || opts.metadata ? { ...ctx?.rawMetadata, ...opts.metadata } : {};
    header[Header.Service] = service;
    header[Header.Endpoint] = endpoint;
    header[Header.ContentType] = codec.contentType;
    return { service, endpoint, codec, body: encodeOrRefuse(codec, request, `the request to ${service}.${endpoint}`), header, deadline, started };
  }

  /**
   * This call's node iterator: from memory without a promise when the selector can, else after a query,
   * which counts inside the call's deadline (408 when the lookup outlasts it).
   */
  private select(service: string, opts: CallOptions, c?: Call): Next | Promise<Next> {
    const selector = this.opts.selector;
    if (!selector) throw unavailable('micro.client', `no selector to find ${service}; pass an address`);
    const sel = opts.version === undefined ? undefined : { version: opts.version };
    const now = selector.selectNow?.(service, sel);
    if (now) return now;
    const found = selector.select(service, sel).catch((err) => { throw this.nameService(err, service); });
    return c ? withinDeadline(found, c.deadline, () => timeoutError('micro.client',
      `call to ${service}.${c.endpoint}: registry lookup of ${service} not answered within ${Math.round(Date.now() - c.started)} ms`)) : found;
  }

  /** A registry failure says which service the caller was looking for. */
  private nameService(err: unknown, service: string): unknown {
    if (err instanceof MicroError && !(err instanceof NoneAvailableError) && err.code === 503) {
      return unavailable('micro.client', `cannot look up service ${service}: ${err.detail}`);
    }
    return err;
  }

  /** Another node on each retry; undefined once all were tried (the caller starts over with a new iterator). */
  private nextNode(next: Next): Node | undefined {
    try { return next(); } catch (err) {
      if (err instanceof NoneAvailableError) return undefined;
      throw err;
    }
  }

  /** One request/response exchange on a pooled socket; the socket goes back to the pool only when healthy. */
  private async attempt(c: Call, node: Node, ms: number): Promise<unknown> {
    const id = `${this.idPrefix}${++this.seq}`;
    const header = c.header;
    const adr32 = node.metadata?.protocol === 'adr32';
    const envelope = node.metadata?.server !== 'micro-nats';
    // A micro-nats node of this version reads the compact head, and answers it with a header-less reply.
    const compact = !adr32 && !envelope && node.metadata?.[COMPACT.key] === COMPACT.value;
    // The compact head carries id and timeout itself: the classic head's are written only when it is sent.
    if (!compact) {
      header[Header.Id] = id;
      header[Header.Timeout] = writeTimeout(ms);
    }
    if (adr32) return this.callAdr32(c, node, ms);
    let sock = this.pool.idle(node.address, envelope);
    if (envelope) goMicroHeaders(header, id, c);
    const m = { header: compact ? compactRequestHeader(header, id, ms, c.endpoint) : header, body: c.body };
    let reply;
    try {
      // A pooled socket may have been closed by its server while idle (restart, reaping): use a new one then.
      if (sock) {
        try { await sock.send(m); } catch (err) { void sock.close(); sock = undefined; if (notSent(err)) throw err; }
      }
      if (!sock) {
        sock = await this.dial(node, envelope);
        try { await sock.send(m); } catch (err) { throw asNotSent(err); }
      }
      // A pooled socket carries one call at a time, so a reply without an id (go-micro's success reply to a
      // request whose id it could not read) is this call's; one with another id is a late reply to an earlier call.
      do reply = await sock.recv({ timeout: Math.ceil(ms) }); while (!repliesTo(reply.header, id));
    } catch (err) {
      void sock?.close();
      throw this.explain(err, c, node, ms);
    }
    this.pool.give(node.address, envelope, sock, node.id === node.address ? undefined : c.service);
    const error = reply.header[Header.Error];
    if (error) throw MicroError.parse(error, c.service);
    return this.opts.codecs.get(reply.header[Header.ContentType] ?? c.codec.contentType).decode(reply.body);
  }

  /**
   * A new socket to `node`. An address the transport refuses (400: not a subject a request can go to) means
   * nothing can listen there: reported as "no responders", so the call moves on to another node at once
   * and the selector evicts this one, instead of failing a call another node could serve.
   */
  private async dial(node: Node, envelope: boolean): Promise<Socket> {
    try {
      return await this.pool.dial(node.address, envelope);
    } catch (err) {
      if (err instanceof MicroError && err.code === Codes.BadRequest) throw new NoRespondersError('micro.client', `node ${excerpt(node.id)}: ${err.detail}`);
      throw err;
    }
  }

  /** A node of a NATS Service API service: a request to the endpoint's subject. */
  private callAdr32(c: Call, node: Node, ms: number): Promise<unknown> {
    if (!this.opts.adr32) throw unavailable('micro.client', `${c.service} is a NATS Service API service; this client cannot call it (NATS registry needed)`);
    return this.opts.adr32.call(c, node, ms);
  }

  /** Transport failures of an attempt, said in terms of the call (service, endpoint, node). */
  private explain(err: unknown, c: Call, node: Node, ms: number): unknown {
    if (!(err instanceof MicroError) || err.id !== 'micro.transport') return err;
    const call = `call to ${c.service}.${c.endpoint} on ${node.id}`;
    if (err.code === 408) return timeoutError('micro.client', `${call} timed out after ${Math.round(ms)} ms`);
    if (err instanceof NoRespondersError) return new NoRespondersError('micro.client', `${call}: ${err.detail}`);
    if (err instanceof NotSentError) return new NotSentError('micro.client', `${call}: ${err.detail}`);
    if (err instanceof ConnectionLostError) return new ConnectionLostError('micro.client', `${call}: ${err.detail}`);
    return new MicroError('micro.client', err.code, `${call}: ${err.detail}`);
  }

  private prepareStream(service: string, endpoint: string, request: unknown, opts: StreamOptions): Call {
    return this.prepare(service, endpoint, request, { ...opts, timeout: opts.timeout || DEFAULT_CALL_TIMEOUT });
  }

  private async openStream(c: Call, opts: StreamOptions): Promise<OpenStream> {
    const service = c.service;
    const node = opts.address ? direct(opts.address) : (await this.select(service, opts))();
    if (node.metadata?.protocol === 'adr32') throw badRequest('micro.client', `${service} is a NATS Service API service: it has no streams`);
    const envelope = node.metadata?.server !== 'micro-nats';
    const sock = await this.opts.transport.dial(node.address, { envelope });
    const id = `${this.idPrefix}${++this.seq}`;
    const header: Record<string, string> = { ...c.header, [Header.Id]: id, [Header.Stream]: id };
    // A stream has no overall budget of its own (items have a timeout each); inside a request it ends with it.
    const left = currentContext()?.deadline ?? Infinity;
    if (Number.isFinite(left)) header[Header.Timeout] = writeTimeout(left - Date.now());
    if (envelope) goMicroHeaders(header, id, c);
    try {
      await sock.send({ header, body: c.body });
      // go-micro's server discards a stream's first frame and hands its handler the frames after it
      // (`stream.Recv`): the request goes again as the second frame, as protoc-gen-micro clients send it.
      if (envelope) await sock.send({ header, body: c.body });
    } catch (err) {
      void sock.close();
      throw this.explain(err, c, node, 0);
    }
    const closeFrame = envelope ? { header: { ...header, [Header.Error]: EOS }, body: new Uint8Array(0) } : undefined;
    return { sock, id, codecs: this.opts.codecs, closeFrame };
  }
}


/** What client middleware sees of a call or stream: its headers are the ones sent. */
const invocation = (kind: InvocationKind, c: Call, request: unknown): Invocation =>
  ({ kind, service: c.service, endpoint: c.endpoint, metadata: c.header, context: currentContext(), request });
/**
 * The request headers go-micro servers read: the id in both spellings (`Micro-Id` up to v4.9, `Micro-ID`
 * from v4.10 on, exact-case look-ups), `Micro-Method` and `Accept` (envelope framing).
 */
function goMicroHeaders(header: Record<string, string>, id: string, c: Call): void {
  header[Header.IdUpper] = id;
  header[Header.Method] = c.endpoint;
  header[Header.Accept] = c.codec.contentType;
}

/** True when a reply carries `id` (in any spelling of the header) or no id at all. */
function repliesTo(header: Record<string, string>, id: string): boolean {
  const got = requestId(header);
  return got === id || got === '';
}

/** A node for `opts.address`: assumed to be a micro-nats server of this version (compact framing). */
const direct = (address: string): Node => ({ id: address, address, metadata: { server: 'micro-nats', [COMPACT.key]: COMPACT.value } });

const pause = (ms: number) => (ms > 0 ? new Promise<void>((r) => setTimeout(r, ms)) : Promise.resolve());

/** Whether the cache still lists `address` for `service`; true when it cannot tell from memory (it never guesses a drop). */
function listed(cache: NodeCache, service: string, address: string): boolean {
  const view = cache.lookup(service);
  if (view === undefined) return true;
  for (const s of view) for (const n of s.nodes) if (n.address === address) return true;
  return false;
}

/** A send that failed before anything left the process: a transport 503 becomes {@link NotSentError}. */
function asNotSent(err: unknown): unknown {
  if (err instanceof NotSentError || !(err instanceof MicroError) || err.code !== 503) return err;
  return new NotSentError(err.id, err.detail);
}

/** `p`, or the error of `timeout()` once `deadline` (epoch ms) passes first. */
function withinDeadline<T>(p: Promise<T>, deadline: number, timeout: () => unknown): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(timeout()), Math.max(0, deadline - Date.now())); });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

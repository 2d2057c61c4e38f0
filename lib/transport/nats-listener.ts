import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { DEFAULT_QUEUE_GROUP } from '../config/defaults';
import { excerpt, refused, unavailable, type MicroError } from '../errors';
import { confirmSubscribed } from '../nats/permissions';
import { isReplySubject } from '../nats/subject';
import { bodyOf, publish, readHeaders, toNatsHeaders } from '../nats/message';
import { CLOSE_HEADERS, decodeEnvelope, encodeEnvelope, errorFrame, Header, isClose, isEndOfStream, keepsSocket, looksLikeEnvelope,
  readTimeout } from '../protocol/mucp';
import { SENT, type Listener, type Message, type Socket } from './index';
import type { Deadlines } from './deadlines';
import { QueuedSocket } from './socket';

const EMPTY = new Uint8Array(0);
/**
 * Default queue group of every listen subscription: listeners on one fixed address share its requests, each
 * request reaching one of them (go-micro's subscribe without a queue ran a request on every server).
 */
export const LISTEN_QUEUE = DEFAULT_QUEUE_GROUP;

/** The listener's side of one pseudo-connection, keyed by the client's reply subject. */
class NatsServerSocket extends QueuedSocket {
  lastSeen = Date.now();
  /** Received minus sent, floored at 0 (a stream sends more than it receives): requests being handled. */
  unanswered = 0;
  /** The `Timeout` header of the latest request (read by the reaper, not per message): past it a busy socket is reaped too. */
  timeout: string | undefined;
  private closed = false;

  constructor(private readonly listener: NatsListener, private readonly remoteAddr: string, readonly envelope: boolean) {
    super(`${listener.addr()} from ${remoteAddr}`, listener.recvTimeout, listener.deadlines, listener.maxQueue);
  }

  send(m: Message): Promise<void> {
    try {
      if (this.closed) throw unavailable('micro.transport', `send on closed socket to ${this.remoteAddr}`);
      this.lastSeen = Date.now();
      if (this.unanswered > 0) this.unanswered--;
      if (this.envelope) publish(this.listener.nc, this.remoteAddr, encodeEnvelope(m), undefined);
      else publish(this.listener.nc, this.remoteAddr, m.body, toNatsHeaders(m.header));
      return SENT;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Closes and tells the client (a go-micro client has no close frame, so it is not told). */
  async close(): Promise<void> {
    if (!this.end(unavailable('micro.transport', `socket from ${this.remoteAddr} is closed`))) return;
    if (this.envelope || this.listener.nc.isClosed()) return;
    try { publish(this.listener.nc, this.remoteAddr, EMPTY, toNatsHeaders(CLOSE_HEADERS as Record<string, string>)); } catch { /* client times out */ }
  }

  /** Ends the socket without telling the peer; false when it had already ended. */
  end(reason: MicroError): boolean {
    if (this.closed) return false;
    this.closed = true;
    this.listener.forget(this.remoteAddr);
    this.queue.fail(reason);
    return true;
  }

  local(): string { return this.listener.addr(); }
  remote(): string { return this.remoteAddr; }
}

/**
 * The listener's side of a one-shot request (no {@link Header.Socket}, no stream): handed to `accept` like any
 * socket, answered on the reply subject, and kept nowhere, so a flood of requests with fresh reply subjects
 * (plain NATS requests, go-micro callers) leaves no state behind once answered.
 */
class OneShotSocket implements Socket {
  private msg?: Message;

  constructor(private readonly listener: NatsListener, private readonly reply: string, private readonly envelope: boolean, m: Message) {
    this.msg = m;
  }

  send(m: Message): Promise<void> {
    try {
      if (this.envelope) publish(this.listener.nc, this.reply, encodeEnvelope(m), undefined);
      else publish(this.listener.nc, this.reply, m.body, toNatsHeaders(m.header));
      return SENT;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  recv(): Promise<Message> {
    const m = this.msg;
    this.msg = undefined;
    return m ? Promise.resolve(m) : Promise.reject(unavailable('micro.transport', `one-shot request from ${this.reply} has no more messages`));
  }

  consume(fn: (m: Message) => void, onEnd: () => void): void {
    const m = this.msg;
    this.msg = undefined;
    if (m) fn(m);
    onEnd();
  }

  /** Nothing to tell: the peer opened no socket. */
  close(): Promise<void> { return SENT; }
  local(): string { return this.listener.addr(); }
  remote(): string { return this.reply; }
}

/** Options of a {@link NatsListener}. */
export interface NatsListenerOptions {
  recvTimeout: number;
  idleTimeout: number;
  deadlines: Deadlines;
  onClose: () => Promise<void>;
  /** Queue group of the subscription. Default {@link LISTEN_QUEUE}. */
  queue?: string;
  /** Reply subjects under this prefix are refused (node addresses). Default none. */
  notReplies?: string;
  /** Sockets kept at once (streams, pooled micro-nats sockets). */
  maxSockets: number;
  /** Frames a socket queues unread. */
  maxQueue: number;
  /** Where a dropped request is reported (rate-limited). Default `console.error`. */
  log?: (message: string) => void;
}

/** Sockets the reaper looks at per tick: a large table is reaped in slices, never in one pass. */
const REAP_SLICE = 1_024;

/**
 * Subscribes one subject (the node address) in queue group {@link LISTEN_QUEUE}. A one-shot request (the
 * common case: a plain NATS request, a go-micro call) becomes a socket kept nowhere; a stream or a socket a
 * micro-nats client keeps ({@link Header.Socket} on its first frame) becomes a socket keyed by its reply
 * subject, at most `maxSockets` of them (past it a unary request is served one-shot, a stream refused 503),
 * reaped when idle or when a request on it outlived its deadline. Listeners sharing a fixed address each get
 * a share of the messages sent to it, per message: fine for request/response, but the messages of one
 * multi-message socket (and its close frame) may reach different listeners, so streams and sessions need a
 * unique address (the default `''`).
 */
export class NatsListener implements Listener {
  readonly recvTimeout: number;
  readonly deadlines: Deadlines;
  private readonly sockets = new Map<string, NatsServerSocket>();
  private readonly sub: Subscription;
  private readonly reaper: NodeJS.Timeout;
  private cursor?: Iterator<NatsServerSocket>;
  private pending: Socket[] = [];
  private acceptFn?: (s: Socket) => void | Promise<void>;
  private closed = false;
  private lastRefusal = 0;
  private resolveDone!: () => void;
  private readonly done = new Promise<void>((r) => { this.resolveDone = r; });

  constructor(readonly nc: NatsConnection, private readonly subject: string, private readonly opts: NatsListenerOptions) {
    this.recvTimeout = opts.recvTimeout;
    this.deadlines = opts.deadlines;
    // A refused subscription fails `confirm` (and the connector logs it): no message arrives with an error.
    this.sub = nc.subscribe(subject, { queue: opts.queue ?? LISTEN_QUEUE, callback: (err, msg) => { if (!err) this.onMessage(msg); } });
    this.reaper = setInterval(() => this.reap(), Math.max(10, Math.min(opts.idleTimeout / 2, 1_000)));
    this.reaper.unref();
  }

  addr(): string { return this.subject; }

  /** Resolves once the server holds the subscription; rejects 403 naming subject and queue when permissions refuse it. */
  confirm(): Promise<void> {
    return confirmSubscribed(this.nc, this.sub, this.subject);
  }

  /** Server-side sockets kept now (one-shot requests are not kept). */
  size(): number { return this.sockets.size; }

  get maxQueue(): number { return this.opts.maxQueue; }

  accept(fn: (s: Socket) => void | Promise<void>): Promise<void> {
    this.acceptFn = fn;
    const waiting = this.pending;
    this.pending = [];
    for (const s of waiting) this.hand(s);
    return this.done;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.reaper);
    if (!this.nc.isClosed()) this.sub.unsubscribe();
    for (const s of [...this.sockets.values()]) await s.close();
    this.resolveDone();
    await this.opts.onClose();
  }

  forget(remote: string): void {
    this.sockets.delete(remote);
  }

  private onMessage(msg: Msg): void {
    const reply = msg.reply;
    if (!reply || this.closed) return;
    if (!isReplySubject(reply, this.opts.notReplies)) return this.refused(reply);
    const read = readHeaders(msg);
    const raw = read.present ? read.header : undefined;
    const data = bodyOf(msg);
    const s = this.sockets.get(reply);
    if (raw && data.length === 0 && isClose(raw)) {
      s?.end(unavailable('micro.transport', `socket closed by ${reply}`));
      return;
    }
    const envelope = s ? s.envelope : !raw && looksLikeEnvelope(data);
    let m: Message;
    try {
      m = envelope ? decodeEnvelope(data) : { header: raw ?? {}, body: data };
    } catch (err) {
      return this.reject(reply, err as MicroError, envelope);
    }
    if (isEndOfStream(m)) {
      // go-micro's client closing a stream: it expects no answer, and for a socket we no longer hold there is
      // nothing to close (go-micro's server releases it the same way).
      if (s) s.queue.push(m);
      return;
    }
    if (s) return this.push(s, m);
    if (!keepsSocket(m.header)) return this.hand(new OneShotSocket(this, reply, envelope, m));
    if (this.sockets.size >= this.opts.maxSockets) {
      if (m.header[Header.Stream] !== undefined) return this.reject(reply, refused(`${this.subject} holds ${this.opts.maxSockets} sockets, its limit`), envelope);
      return this.hand(new OneShotSocket(this, reply, envelope, m));
    }
    const kept = new NatsServerSocket(this, reply, envelope);
    this.sockets.set(reply, kept);
    this.hand(kept);
    this.push(kept, m);
  }

  private push(s: NatsServerSocket, m: Message): void {
    const now = Date.now();
    s.lastSeen = now;
    s.unanswered++;
    s.timeout = m.header[Header.Timeout];
    s.queue.push(m);
  }

  /** A request whose answer would go to a subject that is not an inbox: dropped, logged (rate-limited). */
  private refused(reply: string): void {
    const now = Date.now();
    if (now - this.lastRefusal < 1_000) return;
    this.lastRefusal = now;
    (this.opts.log ?? console.error)(`micro-nats: ${this.subject} dropped a request whose reply subject "${excerpt(reply)}" is not an inbox`);
  }

  /** Answers a message that cannot become a socket with a Micro-Error, in the sender's framing. */
  private reject(reply: string, err: MicroError, envelope: boolean): void {
    const m = errorFrame(undefined, err);
    try {
      if (envelope) publish(this.nc, reply, encodeEnvelope(m), undefined);
      else publish(this.nc, reply, m.body, toNatsHeaders(m.header));
    } catch { /* sender times out */ }
  }

  private hand(s: Socket): void {
    if (!this.acceptFn) { this.pending.push(s); return; }
    try {
      const r = this.acceptFn(s);
      if (r && typeof (r as Promise<void>).then === 'function') (r as Promise<void>).catch(() => s.close());
    } catch {
      void s.close();
    }
  }

  /**
   * Closes, in slices of {@link REAP_SLICE} per tick, sockets silent for `idleTimeout` with no request being
   * handled, and busy ones whose latest request's deadline passed (a handler that never answers, a peer that
   * never closes).
   */
  private reap(): void {
    const now = Date.now();
    const cutoff = now - this.opts.idleTimeout;
    for (let i = 0; i < REAP_SLICE; i++) {
      this.cursor ??= this.sockets.values();
      const r = this.cursor.next();
      if (r.done) { this.cursor = undefined; return; }
      const s = r.value;
      if (s.lastSeen < cutoff && (s.unanswered === 0 || busyUntil(s.timeout, s.lastSeen, this.opts.idleTimeout) < now)) void s.close();
    }
  }
}

/** How many idle timeouts a request keeps its socket busy at most (a request without a deadline, or a far one). */
const MAX_BUSY = 10;

/**
 * When a request received at `at` stops keeping its socket busy: its `Timeout` header `raw`, at most
 * {@link MAX_BUSY} idle timeouts after it arrived. (A socket's last traffic is its latest request, or a
 * later reply that leaves it no longer busy, so `lastSeen` serves as the arrival time.)
 */
function busyUntil(raw: string | undefined, at: number, idleTimeout: number): number {
  const max = at + MAX_BUSY * idleTimeout;
  if (raw === undefined) return max;
  try {
    return Math.min(readTimeout('micro.transport', raw, at), max);
  } catch {
    return max;
  }
}

import { createInbox, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { ConnectionLostError, NoRespondersError, NotSentError, unavailable, type MicroError } from '../errors';
import { confirmSubscribed } from '../nats/permissions';
import { bodyOf, publish, readHeaders, toNatsHeaders } from '../nats/message';
import { CLOSE_HEADERS, decodeEnvelope, encodeEnvelope, isClose, SOCKET_HEADERS } from '../protocol/mucp';
import { SENT, type Message } from './index';
import type { Deadlines } from './deadlines';
import { QueuedSocket } from './socket';

const EMPTY = new Uint8Array(0);

/**
 * The client side of a process: one wildcard reply subscription `<inbox>.*` shared by every dialled
 * socket, each socket one reply subject under it. Dialling opens no subscription and no connection.
 */
export class ClientMux {
  private readonly prefix: string;
  private readonly sockets = new Map<string, NatsClientSocket>();
  private readonly sub: Subscription;
  private seq = 0;
  /**
   * The connection is down (nats.js reconnecting): a publish now would sit in a buffer nats.js discards on
   * each reconnect attempt, so sends are refused instead ({@link NotSentError}) until it is back.
   */
  down = false;

  constructor(readonly nc: NatsConnection, private readonly deadlines: Deadlines, inboxPrefix: string,
              private readonly maxQueue?: number) {
    this.prefix = createInbox(inboxPrefix);
    // A refused subscription fails `confirm` (and the connector logs it): no message arrives with an error.
    this.sub = nc.subscribe(`${this.prefix}.*`, { callback: (err, msg) => { if (!err) this.route(msg); } });
  }

  /** Resolves once the server holds the reply subscription; rejects 403 naming it when permissions refuse it. */
  confirm(): Promise<void> {
    return confirmSubscribed(this.nc, this.sub, `${this.prefix}.*`);
  }

  /** The server refused a publish to `remote`: the sockets dialled to it fail with that 403 rather than time out. */
  failRemote(remote: string, err: MicroError): void {
    for (const s of [...this.sockets.values()]) if (s.remote() === remote) s.fail(err);
  }

  open(remote: string, timeout: number, envelope: boolean): NatsClientSocket {
    const local = `${this.prefix}.${++this.seq}`;
    const s = new NatsClientSocket(this, local, remote, timeout, envelope, this.deadlines, this.maxQueue);
    this.sockets.set(local, s);
    return s;
  }

  forget(local: string): void {
    this.sockets.delete(local);
  }

  async close(): Promise<void> {
    this.failAll();
    if (!this.nc.isClosed()) this.sub.unsubscribe();
  }

  private route(msg: Msg): void {
    const s = this.sockets.get(msg.subject);
    if (!s) return;
    const { header, status } = readHeaders(msg);
    const data = bodyOf(msg);
    if (data.length === 0) {
      if (status === 503) return s.fail(new NoRespondersError('micro.transport', `no listener at ${s.remote()} (no responders)`));
      if (isClose(header)) return s.fail(`socket closed by ${s.remote()}`);
    }
    if (!s.envelope) return s.deliver({ header, body: data });
    try { s.deliver(decodeEnvelope(data)); } catch (err) { s.fail((err as Error).message); }
  }

  /** Fails every open socket (the transport calls this when the connection closed for good). */
  failAll(): void {
    for (const s of [...this.sockets.values()]) s.fail('NATS connection closed');
  }

  /** The connection dropped: replies awaited now will not come, so their receives fail at once. */
  lost(): void {
    this.down = true;
    for (const s of [...this.sockets.values()]) s.fail(new ConnectionLostError('micro.transport', 'NATS connection lost while waiting for the reply'));
  }
}

/** A dialled socket: sends to the listener with its own reply subject, receives on it. */
export class NatsClientSocket extends QueuedSocket {
  private closed = false;
  /** The first frame went out (marked {@link SOCKET_HEADERS}, so the server keeps state for this socket). */
  private opened = false;

  constructor(private readonly mux: ClientMux, private readonly localAddr: string, private readonly remoteAddr: string,
              timeout: number, readonly envelope: boolean, deadlines: Deadlines, maxQueue?: number) {
    super(localAddr, timeout, deadlines, maxQueue);
  }

  send(m: Message): Promise<void> {
    try {
      if (this.closed || this.queue.failed) throw unavailable('micro.transport', `send on closed socket to ${this.remoteAddr}`);
      if (this.mux.down) throw new NotSentError('micro.transport', `not sent to ${this.remoteAddr}: the NATS connection is down`);
      if (this.envelope) publish(this.mux.nc, this.remoteAddr, encodeEnvelope(m), undefined, this.localAddr);
      else publish(this.mux.nc, this.remoteAddr, m.body, toNatsHeaders(this.opened ? m.header : { ...m.header, ...SOCKET_HEADERS }), this.localAddr);
      this.opened = true;
      return SENT;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.mux.forget(this.localAddr);
    this.queue.fail(unavailable('micro.transport', `socket to ${this.remoteAddr} is closed`));
    if (this.envelope || this.mux.nc.isClosed()) return;
    try { publish(this.mux.nc, this.remoteAddr, EMPTY, toNatsHeaders(CLOSE_HEADERS as Record<string, string>), this.localAddr); } catch { /* peer learns by idle reaping */ }
  }

  /** Delivered by the mux. */
  deliver(m: Message): void {
    this.queue.push(m);
  }

  /** The peer closed, or nothing listens at the address. */
  fail(why: string | MicroError): void {
    this.mux.forget(this.localAddr);
    this.queue.fail(typeof why === 'string' ? unavailable('micro.transport', why) : why);
  }

  local(): string { return this.localAddr; }
  remote(): string { return this.remoteAddr; }
}

import { createInbox, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { NatsConnector, type ConnectionEvent } from '../nats/connection';
import { checkSubject } from '../nats/subject';
import { Deadlines } from './deadlines';
import { ClientMux } from './nats-client';
import { NatsListener } from './nats-listener';
import { DEFAULT_ADDRESS_PREFIX, DEFAULT_INBOX_PREFIX, DEFAULT_QUEUE_GROUP } from '../config/defaults';
import { DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_QUEUE, DEFAULT_MAX_SOCKETS, DEFAULT_TIMEOUT, type DialOptions, type Listener, type ListenOptions, type Socket,
  type Transport, type TransportOptions } from './index';
import { checkTransportOptions } from './options';

/** Options of {@link NatsTransport}. */
export interface NatsTransportOptions extends TransportOptions {
  /** NATS servers (string, comma-separated or list). Default `nats://127.0.0.1:4222`. Ignored with `connector`. */
  servers?: string | string[];
  /** nats.js connection options passed through (auth, TLS, reconnect). Ignored with `connector`. */
  nats?: Partial<ConnectionOptions>;
  /** A connection shared with other components (bootstrap passes one). Default: a connection of its own. */
  connector?: NatsConnector;
  /** Prefix of the address `listen('')` picks (`<prefix>.<nuid>`). Default `_INBOX`, as go-micro. */
  addressPrefix?: string;
  /** Queue group of every listen subscription. Default `micro-nats`. */
  queueGroup?: string;
}

/** Pseudo-sockets over NATS subjects, one shared connection per process. */
export class NatsTransport implements Transport {
  private opts: Required<TransportOptions>;
  private readonly connector: NatsConnector;
  private mux?: Promise<ClientMux>;
  /** Receive deadlines of every socket of this transport. */
  private readonly deadlines = new Deadlines();
  /** The client side's connection, once known (what a `closed` event is compared with). */
  private muxNc?: NatsConnection;
  /** That connection is down (between the connector's `down` and `reconnected`). */
  private muxDown = false;
  private readonly listeners = new Set<NatsListener>();
  private readonly addressPrefix: string;
  private readonly queueGroup: string;
  /** Callers of {@link ready} waiting for the connection to come back. */
  private readonly waiting = new Set<() => void>();

  constructor(options: NatsTransportOptions = {}) {
    checkTransportOptions(options);
    this.opts = { timeout: options.timeout ?? DEFAULT_TIMEOUT, idleTimeout: options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT,
      maxSockets: options.maxSockets ?? DEFAULT_MAX_SOCKETS, maxQueue: options.maxQueue ?? DEFAULT_MAX_QUEUE };
    this.connector = options.connector ?? new NatsConnector({ servers: options.servers, nats: options.nats });
    this.connector.on((e) => this.onConnection(e));
    this.addressPrefix = options.addressPrefix ?? DEFAULT_ADDRESS_PREFIX;
    this.queueGroup = options.queueGroup ?? DEFAULT_QUEUE_GROUP;
    checkSubject(this.addressPrefix, 'transport option addressPrefix');
    checkSubject(this.queueGroup, 'transport option queueGroup');
  }

  init(opts: Partial<TransportOptions> = {}): void {
    checkTransportOptions(opts);
    this.opts = { ...this.opts, ...opts };
  }

  options(): TransportOptions {
    return { ...this.opts };
  }

  async dial(addr: string, opts: DialOptions = {}): Promise<Socket> {
    checkSubject(addr, 'transport address');
    const mux = await this.clientMux();
    return mux.open(addr, opts.timeout ?? this.opts.timeout, opts.envelope ?? false);
  }

  async listen(addr: string, opts: ListenOptions = {}): Promise<Listener> {
    const subject = addr === '' || addr === ':0' ? createInbox(this.addressPrefix) : addr;
    checkSubject(subject, 'listen address');
    const nc = await this.connector.acquire();
    // Node addresses under their own prefix: a reply steered onto one (another node) is refused.
    const own = this.addressPrefix !== DEFAULT_INBOX_PREFIX && this.addressPrefix !== this.connector.inboxPrefix;
    const l: NatsListener = new NatsListener(nc, subject, {
      recvTimeout: this.opts.timeout,
      idleTimeout: opts.idleTimeout ?? this.opts.idleTimeout,
      deadlines: this.deadlines,
      queue: this.queueGroup,
      notReplies: own ? this.addressPrefix : undefined,
      maxSockets: this.opts.maxSockets,
      maxQueue: this.opts.maxQueue,
      log: this.connector.log,
      onClose: () => { this.listeners.delete(l); return this.connector.release(); },
    });
    this.listeners.add(l);
    try {
      await l.confirm();
    } catch (err) {
      await l.close();
      throw err;
    }
    return l;
  }

  async close(): Promise<void> {
    const pending = this.mux;
    this.mux = undefined;
    if (!pending) return;
    const mux = await pending.catch(() => undefined);
    if (!mux) return;
    await mux.close();
    await this.connector.release();
  }

  toString(): string {
    return 'nats';
  }

  /** True at once unless the client side's connection is down; else when it is back, or false after `timeout` ms. */
  ready(timeout: number): Promise<boolean> {
    const mux = this.mux;
    if (!mux || !this.muxDown) return Promise.resolve(true);
    if (timeout <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = () => { clearTimeout(t); this.waiting.delete(done); resolve(true); };
      const t = setTimeout(() => { this.waiting.delete(done); resolve(false); }, timeout);
      this.waiting.add(done);
    });
  }

  private clientMux(): Promise<ClientMux> {
    if (this.mux) return this.mux;
    const next = this.connector.acquire().then(async (nc) => {
      this.muxNc = nc;
      const mux = new ClientMux(nc, this.deadlines, this.connector.inboxPrefix, this.opts.maxQueue);
      try {
        await mux.confirm();
      } catch (err) {
        this.muxNc = undefined;
        await this.connector.release(false);
        throw err;
      }
      return mux;
    });
    this.mux = next;
    next.catch(() => { if (this.mux === next) this.mux = undefined; });
    return next;
  }

  /**
   * The connection closed for good: its sockets fail, its listeners end (a server listens again), and the
   * next dial acquires the replacement.
   */
  private onConnection(e: ConnectionEvent): void {
    if (e.type === 'denied' && e.operation === 'publish' && this.muxNc === e.nc) {
      void this.mux?.then((m) => m.failRemote(e.subject, e.error), () => undefined);
      return;
    }
    if (e.type === 'down' || e.type === 'reconnected') return this.onDownUp(e.nc, e.type === 'down');
    if (e.type !== 'closed') return;
    this.muxDown = false;
    for (const w of [...this.waiting]) w();
    for (const l of [...this.listeners]) if (l.nc === e.nc) void l.close();
    const pending = this.mux;
    if (!pending || this.muxNc !== e.nc) return;
    this.mux = undefined;
    this.muxNc = undefined;
    void pending.then((m) => { m.failAll(); return this.connector.release(false); }, () => undefined);
  }

  /** Down: calls waiting for a reply fail at once (retried when idempotent); sends wait. Back: waiting sends go. */
  private onDownUp(nc: NatsConnection, down: boolean): void {
    if (nc !== this.muxNc) return;
    this.muxDown = down;
    void this.mux?.then((m) => { if (down) m.lost(); else m.down = false; }, () => undefined);
    if (!down) for (const w of [...this.waiting]) w();
  }
}

import { DEFAULT_MAX_PAYLOAD, DEFAULT_MAX_QUEUE, DEFAULT_MAX_SOCKETS } from '../config/defaults';
import { badRequest, NoRespondersError, payloadTooLarge, unavailable } from '../errors';
import { checkHeaders } from '../nats/headers';
import { checkSubject } from '../nats/subject';
import { DEFAULT_IDLE_TIMEOUT, DEFAULT_TIMEOUT, type DialOptions, type Listener, type ListenOptions, type Message,
  type Socket, type Transport, type TransportOptions } from './index';
import { checkTransportOptions } from './options';
import { Deadlines } from './deadlines';
import { QueuedSocket } from './socket';

/** nats-server's default `max_payload` (1 MiB), so that memory refuses what a default NATS refuses. */
export { DEFAULT_MAX_PAYLOAD };

/** Options of {@link MemoryTransport}. */
export interface MemoryTransportOptions extends TransportOptions {
  /** Transports that share a network see each other's listeners. Default: a network of its own. */
  network?: MemoryNetwork;
  /**
   * Largest message in bytes (body plus encoded headers, as NATS counts it); a larger send rejects 413 as it
   * would on NATS. Default {@link DEFAULT_MAX_PAYLOAD}, nats-server's default.
   */
  maxPayload?: number;
}

function checkMaxPayload(v: unknown): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0)) {
    throw new Error(`memory transport option maxPayload: expected a whole number of bytes > 0, got ${String(v)}`);
  }
}

/** The address space that memory transports share (one per test or app, never global). */
export class MemoryNetwork {
  readonly listeners = new Map<string, MemoryListener>();
  private seq = 0;
  nextAddress(): string { return `memory.${process.pid}.${++this.seq}`; }
}

class MemorySocket extends QueuedSocket {
  peer?: MemorySocket;
  lastSeen = Date.now();
  /** Received minus sent, floored at 0 (a stream sends more than it receives): requests being handled. */
  private unanswered = 0;
  private closed = false;

  constructor(private readonly localAddr: string, private readonly remoteAddr: string, timeout: number, deadlines: Deadlines,
              private readonly maxPayload: number) {
    super(localAddr, timeout, deadlines);
  }

  /** A server socket is busy while a request it received is unanswered: the reaper leaves it alone. */
  get busy(): boolean {
    return this.unanswered > 0;
  }

  async send(m: Message): Promise<void> {
    // What NATS's publish refuses (bad headers 400, over max_payload 413) is refused here too, first.
    const size = checkHeaders(m.header) + m.body.length;
    if (size > this.maxPayload) {
      throw payloadTooLarge('micro.transport', `message of ${size} bytes exceeds the memory transport's maxPayload of ${this.maxPayload} bytes`);
    }
    if (!this.peer) return; // nothing listens: recv reports it, as NATS no-responders does
    if (this.closed || this.queue.failed) throw unavailable('micro.transport', `send on closed socket to ${this.remoteAddr}`);
    const now = Date.now();
    this.lastSeen = now;
    if (this.unanswered > 0) this.unanswered--;
    // Copy, as the wire would: the receiver must not see later writes to the sender's buffer.
    this.peer.receive({ header: { ...m.header }, body: m.body.slice() }, now);
  }

  /** A message from the peer. */
  receive(m: Message, now: number): void {
    this.lastSeen = now;
    this.unanswered++;
    this.queue.push(m);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.fail(unavailable('micro.transport', `socket to ${this.remoteAddr} is closed`));
    this.peer?.queue.fail(unavailable('micro.transport', `socket closed by ${this.localAddr}`));
  }

  local(): string { return this.localAddr; }
  remote(): string { return this.remoteAddr; }
}

class MemoryListener implements Listener {
  private fn?: (s: Socket) => void | Promise<void>;
  private pending: Socket[] = [];
  private readonly sockets = new Set<MemorySocket>();
  private resolveDone!: () => void;
  private readonly done = new Promise<void>((r) => { this.resolveDone = r; });
  private readonly reaper: NodeJS.Timeout;

  constructor(private readonly network: MemoryNetwork, private readonly address: string, readonly recvTimeout: number,
              private readonly idleTimeout: number) {
    this.reaper = setInterval(() => this.reap(), Math.max(10, Math.min(idleTimeout / 2, 5_000)));
    this.reaper.unref();
  }

  addr(): string { return this.address; }

  accept(fn: (s: Socket) => void | Promise<void>): Promise<void> {
    this.fn = fn;
    for (const s of this.pending.splice(0)) void Promise.resolve().then(() => fn(s)).catch(() => s.close());
    return this.done;
  }

  connect(client: MemorySocket, server: MemorySocket): void {
    this.sockets.add(server);
    if (this.fn) void Promise.resolve().then(() => this.fn!(server)).catch(() => server.close());
    else this.pending.push(server);
  }

  async close(): Promise<void> {
    if (this.network.listeners.get(this.address) !== this) return;
    this.network.listeners.delete(this.address);
    clearInterval(this.reaper);
    for (const s of this.sockets) await s.close();
    this.resolveDone();
  }

  /**
   * Closes sockets idle for `idleTimeout` unless a request on them is still being handled (a slow handler
   * keeps its reply), and forgets ended ones at once (their peer closed: no reply can be sent).
   */
  private reap(): void {
    const cutoff = Date.now() - this.idleTimeout;
    for (const s of this.sockets) {
      if (s.queue.failed || (!s.busy && s.lastSeen < cutoff)) { this.sockets.delete(s); void s.close(); }
    }
  }
}

/** An in-process transport with the same contract as NATS, for unit tests. */
export class MemoryTransport implements Transport {
  private opts: Required<TransportOptions>;
  private readonly network: MemoryNetwork;
  private readonly maxPayload: number;
  private seq = 0;
  private readonly deadlines = new Deadlines();

  constructor(options: MemoryTransportOptions = {}) {
    checkTransportOptions(options);
    checkMaxPayload(options.maxPayload);
    // In-process: no remote party, so `maxSockets` is recorded, not enforced; queues keep the default bound.
    this.opts = { timeout: options.timeout ?? DEFAULT_TIMEOUT, idleTimeout: options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT,
      maxSockets: options.maxSockets ?? DEFAULT_MAX_SOCKETS, maxQueue: options.maxQueue ?? DEFAULT_MAX_QUEUE };
    this.network = options.network ?? new MemoryNetwork();
    this.maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
  }

  init(opts: Partial<TransportOptions> = {}): void { checkTransportOptions(opts); this.opts = { ...this.opts, ...opts }; }
  options(): TransportOptions { return { ...this.opts }; }
  toString(): string { return 'memory'; }
  async close(): Promise<void> {}

  async dial(addr: string, opts: DialOptions = {}): Promise<Socket> {
    checkSubject(addr, 'transport address');
    const client = new MemorySocket(`${addr}.client.${++this.seq}`, addr, opts.timeout ?? this.opts.timeout, this.deadlines,
      this.maxPayload);
    const listener = this.network.listeners.get(addr);
    if (!listener) {
      client.queue.fail(new NoRespondersError('micro.transport', `no listener at ${addr} (no responders)`));
      return client;
    }
    const server = new MemorySocket(addr, client.local(), listener.recvTimeout, this.deadlines, this.maxPayload);
    client.peer = server;
    server.peer = client;
    listener.connect(client, server);
    return client;
  }

  async listen(addr: string, opts: ListenOptions = {}): Promise<Listener> {
    const address = addr === '' || addr === ':0' ? this.network.nextAddress() : addr;
    checkSubject(address, 'listen address');
    if (this.network.listeners.has(address)) throw badRequest('micro.transport', `listen address ${address} is already in use`);
    const l = new MemoryListener(this.network, address, this.opts.timeout, opts.idleTimeout ?? this.opts.idleTimeout);
    this.network.listeners.set(address, l);
    return l;
  }
}


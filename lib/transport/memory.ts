import { unavailable, badRequest } from '../errors';
import { checkSubject } from '../nats/subject';
import { DEFAULT_IDLE_TIMEOUT, DEFAULT_TIMEOUT, type DialOptions, type Listener, type ListenOptions, type Message,
  type Socket, type Transport, type TransportOptions } from './index';
import { checkTransportOptions } from './options';
import { Deadlines } from './deadlines';
import { QueuedSocket } from './socket';

/** Options of {@link MemoryTransport}. */
export interface MemoryTransportOptions extends TransportOptions {
  /** Transports that share a network see each other's listeners. Default: a network of its own. */
  network?: MemoryNetwork;
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
  private closed = false;

  constructor(private readonly localAddr: string, private readonly remoteAddr: string, timeout: number, deadlines: Deadlines) {
    super(localAddr, timeout, deadlines);
  }

  async send(m: Message): Promise<void> {
    if (!this.peer) return; // nothing listens: recv reports it, as NATS no-responders does
    if (this.closed || this.queue.failed) throw unavailable('micro.transport', `send on closed socket to ${this.remoteAddr}`);
    this.lastSeen = this.peer.lastSeen = Date.now();
    // Copy, as the wire would: the receiver must not see later writes to the sender's buffer.
    this.peer.queue.push({ header: { ...m.header }, body: m.body.slice() });
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
              idleTimeout: number) {
    this.reaper = setInterval(() => {
      const cutoff = Date.now() - idleTimeout;
      for (const s of this.sockets) if (s.lastSeen < cutoff) { this.sockets.delete(s); void s.close(); }
    }, Math.max(10, Math.min(idleTimeout / 2, 5_000)));
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
}

/** An in-process transport with the same contract as NATS, for unit tests. */
export class MemoryTransport implements Transport {
  private opts: Required<TransportOptions>;
  private readonly network: MemoryNetwork;
  private seq = 0;
  private readonly deadlines = new Deadlines();

  constructor(options: MemoryTransportOptions = {}) {
    checkTransportOptions(options);
    this.opts = { timeout: options.timeout ?? DEFAULT_TIMEOUT, idleTimeout: options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT };
    this.network = options.network ?? new MemoryNetwork();
  }

  init(opts: Partial<TransportOptions> = {}): void { checkTransportOptions(opts); this.opts = { ...this.opts, ...opts }; }
  options(): TransportOptions { return { ...this.opts }; }
  toString(): string { return 'memory'; }
  async close(): Promise<void> {}

  async dial(addr: string, opts: DialOptions = {}): Promise<Socket> {
    checkSubject(addr, 'transport address');
    const client = new MemorySocket(`${addr}.client.${++this.seq}`, addr, opts.timeout ?? this.opts.timeout, this.deadlines);
    const listener = this.network.listeners.get(addr);
    if (!listener) {
      client.queue.fail(unavailable('micro.transport', `no listener at ${addr} (no responders)`));
      return client;
    }
    const server = new MemorySocket(addr, client.local(), listener.recvTimeout, this.deadlines);
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


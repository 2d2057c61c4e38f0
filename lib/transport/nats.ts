import { createInbox, type ConnectionOptions } from '@nats-io/transport-node';
import { NatsConnector } from '../nats/connection';
import { checkSubject } from '../nats/subject';
import { Deadlines } from './deadlines';
import { ClientMux } from './nats-client';
import { NatsListener } from './nats-listener';
import { DEFAULT_IDLE_TIMEOUT, DEFAULT_TIMEOUT, type DialOptions, type Listener, type ListenOptions, type Socket,
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
}

/** Pseudo-sockets over NATS subjects (seed, "Transport"), one shared connection per process. */
export class NatsTransport implements Transport {
  private opts: Required<TransportOptions>;
  private readonly connector: NatsConnector;
  private mux?: Promise<ClientMux>;
  /** Receive deadlines of every socket of this transport. */
  private readonly deadlines = new Deadlines();

  constructor(options: NatsTransportOptions = {}) {
    checkTransportOptions(options);
    this.opts = { timeout: options.timeout ?? DEFAULT_TIMEOUT, idleTimeout: options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT };
    this.connector = options.connector ?? new NatsConnector({ servers: options.servers, nats: options.nats });
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
    const subject = addr === '' || addr === ':0' ? createInbox() : addr;
    checkSubject(subject, 'listen address');
    const nc = await this.connector.acquire();
    return new NatsListener(nc, subject, {
      recvTimeout: this.opts.timeout,
      idleTimeout: opts.idleTimeout ?? this.opts.idleTimeout,
      deadlines: this.deadlines,
      onClose: () => this.connector.release(),
    });
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

  private clientMux(): Promise<ClientMux> {
    const current = this.mux;
    if (current) {
      return current.then((m) => {
        if (m.alive) return m;
        if (this.mux === current) this.mux = undefined;
        return this.connector.release(false).then(() => this.clientMux());
      });
    }
    const next = this.connector.acquire().then((nc) => new ClientMux(nc, this.deadlines));
    this.mux = next;
    next.catch(() => { if (this.mux === next) this.mux = undefined; });
    return next;
  }
}

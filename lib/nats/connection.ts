import { connect, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { unavailable } from '../errors';
import { parseServers } from './servers';

/** Options of a {@link NatsConnector}. */
export interface NatsConnectorOptions {
  /** NATS servers: string (comma-separated accepted) or list. Default `nats://127.0.0.1:4222`. */
  servers?: string | string[];
  /** nats.js connection options passed through (auth, TLS, reconnect). `servers` here is ignored. */
  nats?: Partial<ConnectionOptions>;
  /** A name shown by the server's monitoring endpoints. Default `micro-nats`. */
  name?: string;
}

/**
 * One NATS connection shared by every component that acquires it (transport, broker, registry,
 * several services): go-micro opened one per component and ran out of connections (go-micro#2784).
 * Reference counted: the connection opens on the first `acquire()` and drains on the last `release()`.
 */
export class NatsConnector {
  readonly servers: string[];
  private readonly natsOptions: Partial<ConnectionOptions>;
  private readonly name: string;
  private conn?: Promise<NatsConnection>;
  private refs = 0;

  constructor(options: NatsConnectorOptions = {}) {
    this.servers = parseServers(options.servers);
    this.natsOptions = options.nats ?? {};
    this.name = options.name ?? 'micro-nats';
  }

  /** Opens (or shares) the connection. Rejects with a 503 MicroError naming the servers when none answers. */
  async acquire(): Promise<NatsConnection> {
    this.refs++;
    if (!this.conn) this.conn = this.open();
    const pending = this.conn;
    try {
      const nc = await pending;
      if (!nc.isClosed()) return nc;
      // It gave up reconnecting: dead for good. Replace it (once) for everyone still holding a reference.
      if (this.conn === pending) this.conn = this.open();
      return await this.conn;
    } catch (err) {
      this.refs--;
      this.conn = undefined;
      throw err;
    }
  }

  /** Gives back one reference; the last one drains and closes the connection. */
  async release(drain = true): Promise<void> {
    if (this.refs === 0) return;
    this.refs--;
    if (this.refs > 0 || !this.conn) return;
    const pending = this.conn;
    this.conn = undefined;
    const nc = await pending.catch(() => undefined);
    if (!nc || nc.isClosed()) return;
    await (drain ? nc.drain() : nc.close()).catch(() => nc.close());
  }

  /** The live connection if one is open, without opening one. */
  current(): Promise<NatsConnection> | undefined {
    return this.conn;
  }

  private async open(): Promise<NatsConnection> {
    try {
      const nc = await connect({
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        pingInterval: 5_000,
        name: this.name,
        ...this.natsOptions,
        servers: this.servers,
      });
      return nc;
    } catch (err) {
      throw unavailable('micro.nats', `cannot connect to NATS at ${this.servers.join(', ')}: ${(err as Error).message}`);
    }
  }
}

/**
 * The NATS registry's hold on its connection. A connection that closed for good is given back and a new
 * one acquired on the next use (go-micro kept a dead connection for ever, so its registry stayed broken).
 * Whether the connection is up, and when it drops or reconnects, comes from the connector's events: queries
 * fail at once with 503 while NATS is away, and a reconnect is reported so registrations are re-announced.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { MicroError } from '../errors';
import type { ConnectionEvent, NatsConnector } from '../nats/connection';
import { RegistryUnavailableError } from './index';

export class RegistryConnection {
  private current?: Promise<NatsConnection>;
  private live?: NatsConnection;
  private readonly lostListeners = new Set<() => void>();
  private readonly deniedListeners = new Set<(subject: string, err: MicroError) => void>();
  private closed = false;
  private readonly off: () => void;

  /**
   * @param onFresh called with each newly acquired connection, before anyone else uses it
   * @param onReconnect called when the live connection has reconnected (after a drop, to any server of the pool)
   */
  constructor(private readonly connector: NatsConnector, private readonly onFresh: (nc: NatsConnection) => void,
              private readonly onReconnect: (nc: NatsConnection) => void = () => {}) {
    this.off = connector.on((e) => this.onEvent(e));
  }

  /** False between a disconnect and the reconnect (and when none is open); a query then fails 503 at once. */
  get connected(): boolean {
    return !!this.live && this.connector.isUp(this.live);
  }

  /** The connection, without opening one: undefined when none is open or it closed. */
  peek(): NatsConnection | undefined {
    return this.live && !this.live.isClosed() ? this.live : undefined;
  }

  /** The live connection, acquiring a new one when the last one closed. Rejects 503 when NATS is unreachable. */
  async get(): Promise<NatsConnection> {
    if (this.closed) throw new RegistryUnavailableError('the NATS registry is closed');
    const cur = this.current;
    if (!cur) {
      const next = this.open();
      this.current = next;
      next.catch(() => { if (this.current === next) this.current = undefined; });
      return next;
    }
    const nc = await cur;
    if (!nc.isClosed()) return nc;
    if (this.current === cur) {
      this.current = undefined;
      await this.connector.release(false);
    }
    return this.get();
  }

  /** Prefix of the reply subjects the registry creates (the connection's `inboxPrefix`). */
  get inboxPrefix(): string {
    return this.connector.inboxPrefix;
  }

  /** Calls `fn` when the server refuses a publish on the live connection; returns the function that stops listening. */
  onDenied(fn: (subject: string, err: MicroError) => void): () => void {
    this.deniedListeners.add(fn);
    return () => this.deniedListeners.delete(fn);
  }

  /**
   * Starts noting refusals of publishes to `subject`; call it before publishing. The returned function,
   * called after a flush, stops noting and resolves with the 403 if one came (the server's refusal arrives
   * before the PONG of a flush, its status event a turn later), else undefined.
   */
  noteRefusal(subject: string): () => Promise<MicroError | undefined> {
    let found: MicroError | undefined;
    const off = this.onDenied((s, err) => { if (s === subject) found ??= err; });
    return async () => {
      await new Promise((r) => setImmediate(r));
      off();
      return found;
    };
  }

  /** Calls `fn` when the connection drops (disconnect or close); returns the function that stops listening. */
  onLost(fn: () => void): () => void {
    this.lostListeners.add(fn);
    return () => this.lostListeners.delete(fn);
  }

  /** Gives the connection back to the connector. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.off();
    const cur = this.current;
    this.current = undefined;
    this.lost();
    this.live = undefined;
    if (cur && (await cur.then(() => true, () => false))) await this.connector.release();
  }

  private onEvent(e: ConnectionEvent): void {
    if (e.nc !== this.live || this.closed) return;
    if (e.type === 'denied') { if (e.operation === 'publish') for (const fn of [...this.deniedListeners]) fn(e.subject, e.error); }
    else if (e.type === 'down' || e.type === 'closed') this.lost();
    else if (e.type === 'reconnected') this.onReconnect(e.nc);
  }

  private async open(): Promise<NatsConnection> {
    let nc: NatsConnection;
    try {
      nc = await this.connector.acquire();
    } catch (err) {
      throw new RegistryUnavailableError(`registry cannot reach NATS: ${(err as Error).message}`);
    }
    if (this.closed) {
      await this.connector.release();
      throw new RegistryUnavailableError('the NATS registry is closed');
    }
    this.live = nc;
    this.onFresh(nc);
    return nc;
  }

  private lost(): void {
    for (const fn of [...this.lostListeners]) {
      try { fn(); } catch { /* one listener's failure is not the others' */ }
    }
  }
}

/** Waits until the server has processed everything sent so far; rejects 503 when it does not answer within `ms`. */
export async function flushWithin(nc: NatsConnection, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const ok = await Promise.race([
      nc.flush().then(() => true, () => false),
      new Promise<boolean>((r) => { timer = setTimeout(() => r(false), ms); }),
    ]);
    if (!ok) throw new RegistryUnavailableError(`${what}: NATS did not answer within ${ms} ms`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The NATS registry's hold on its connection. A connection that closed for good is given back and a new
 * one acquired on the next use (go-micro kept a dead connection for ever, so its registry stayed broken).
 * Tracks whether the connection is up, so queries fail at once with 503 while NATS is away, and reports
 * reconnects (nats.js reconnected to the same or another server; subscriptions are already resent).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { NatsConnector } from '../nats/connection';
import { RegistryUnavailableError } from './index';

export class RegistryConnection {
  /** False between a disconnect and the reconnect; a query then fails 503 at once. */
  connected = false;
  private current?: Promise<NatsConnection>;
  private live?: NatsConnection;
  private readonly lostListeners = new Set<() => void>();
  private closed = false;
  /** Ends the status loop of the live connection (it must not outlive {@link close} on a shared connection). */
  private stopMonitor?: () => void;

  /**
   * @param onFresh called with each newly acquired connection, before anyone else uses it
   * @param onReconnect called when the live connection has reconnected (after a drop, to any server of the pool)
   */
  constructor(private readonly connector: NatsConnector, private readonly onFresh: (nc: NatsConnection) => void,
              private readonly onReconnect: (nc: NatsConnection) => void = () => {}) {}

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

  /** Calls `fn` when the connection drops (disconnect or close); returns the function that stops listening. */
  onLost(fn: () => void): () => void {
    this.lostListeners.add(fn);
    return () => this.lostListeners.delete(fn);
  }

  /** Gives the connection back to the connector. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const cur = this.current;
    this.current = undefined;
    this.stopMonitor?.();
    this.stopMonitor = undefined;
    this.lost();
    if (cur && (await cur.then(() => true, () => false))) await this.connector.release();
  }

  private async open(): Promise<NatsConnection> {
    let nc: NatsConnection;
    try {
      nc = await this.connector.acquire();
      if (nc.isClosed()) {
        // the connector has not noticed the close yet: give it back and ask once more
        await this.connector.release(false);
        await Promise.resolve();
        nc = await this.connector.acquire();
        if (nc.isClosed()) { await this.connector.release(false); throw new Error('the shared NATS connection is closed'); }
      }
    } catch (err) {
      throw new RegistryUnavailableError(`registry cannot reach NATS: ${(err as Error).message}`);
    }
    if (this.closed) {
      await this.connector.release();
      throw new RegistryUnavailableError('the NATS registry is closed');
    }
    this.stopMonitor?.();
    this.live = nc;
    this.connected = true;
    void this.monitor(nc);
    this.onFresh(nc);
    return nc;
  }

  /**
   * Follows `nc.status()` until the connection closes or {@link close} (or a newer connection) stops it: a
   * shared connection outlives this registry, and its status loop must not.
   */
  private async monitor(nc: NatsConnection): Promise<void> {
    const events = nc.status();
    const it = events[Symbol.asyncIterator]();
    let ended = false;
    let wake: (() => void) | undefined;
    const end = () => {
      ended = true;
      wake?.();
      // nats.js's status iterator has stop(): it ends the iterator and drops the connection's listener at once
      (events as { stop?: () => void }).stop?.();
    };
    this.stopMonitor = end;
    try {
      while (!ended) {
        // one promise per event, settled by the event or by end() (no long-lived promise collects reactions)
        const r = await new Promise<Awaited<ReturnType<typeof it.next>> | undefined>((resolve) => {
          wake = () => resolve(undefined);
          it.next().then(resolve, () => resolve(undefined));
        });
        wake = undefined;
        if (ended || !r || r.done || this.live !== nc || this.closed) break;
        const s = r.value;
        if (s.type === 'disconnect' || s.type === 'close') this.lost();
        else if (s.type === 'reconnect') {
          this.connected = true;
          try { this.onReconnect(nc); } catch { /* the listener's own business */ }
        }
      }
    } catch { /* not expected: listeners are guarded */ } finally {
      end();
      if (this.stopMonitor === end) this.stopMonitor = undefined;
    }
    if (this.live === nc && !this.closed) this.lost();
  }

  private lost(): void {
    this.connected = false;
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

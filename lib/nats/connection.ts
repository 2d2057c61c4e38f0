import { connect, errors, PermissionViolationError, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { DEFAULT_CONNECT_LOG_EVERY, DEFAULT_CONNECT_RETRY, DEFAULT_DIAL_TIMEOUT, DEFAULT_INBOX_PREFIX, DEFAULT_MAX_PING_OUT, DEFAULT_PING_INTERVAL,
  DEFAULT_RECONNECT_WAIT } from '../config/defaults';
import { checkInboxPrefix } from '../config/check';
import { unavailable, type MicroError } from '../errors';
import type { Logger } from '../logger';
import { parseServers, redact, splitCredentials } from './servers';
import { permissionDenied } from './permissions';

/** How {@link NatsConnector.acquire} waits for a NATS server that is not up yet. */
export interface ConnectWait {
  /** Give up after this many ms (503). 0: one attempt. */
  timeout: number;
  /** Told every few seconds that NATS is still awaited. Default: nobody. */
  logger?: Logger;
}

/** Failures worth another attempt: nothing listens yet, or its name does not resolve yet (a container starting). */
function retryable(err: unknown): boolean {
  if (err instanceof errors.ConnectionError) return true;
  const code = (err as { code?: unknown }).code;
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ECONNRESET';
}

/** Options of a {@link NatsConnector}. */
export interface NatsConnectorOptions {
  /** NATS servers: string (comma-separated accepted) or list. Default `nats://127.0.0.1:4222`. */
  servers?: string | string[];
  /** nats.js connection options passed through (auth, TLS, reconnect). `servers` here is ignored. */
  nats?: Partial<ConnectionOptions>;
  /** A name shown by the server's monitoring endpoints. Default `micro-nats`. */
  name?: string;
  /** Where connection problems (permission violations) are logged, already redacted. Default `console.error`. */
  log?: (message: string) => void;
}

/**
 * What happens to the shared connection, in order, each naming the connection it is about:
 * - `up`: a connection opened; `replaces` is true when it replaces one that closed for good.
 * - `down`: the connection dropped; nats.js is reconnecting (subscriptions are kept and resent).
 * - `reconnected`: it is back, to the same or another server of the pool; subscriptions already resent.
 * - `closed`: it closed for good (reconnect attempts exhausted, or closed under us). Everything on it is
 *   gone; the next `acquire()` opens a replacement. Not emitted when the last `release()` closes it.
 */
export type ConnectionEvent =
  | { type: 'up'; nc: NatsConnection; replaces: boolean }
  | { type: 'down' | 'reconnected' | 'closed'; nc: NatsConnection }
  /** The server refused a publish or subscription (permissions): `error` is a 403 naming the subject. Already logged. */
  | { type: 'denied'; nc: NatsConnection; operation: 'publish' | 'subscription'; subject: string; error: MicroError };

/** Receives {@link ConnectionEvent}s. Runs synchronously; a listener that throws does not stop the others. */
export type ConnectionListener = (event: ConnectionEvent) => void;

/** Where a component subscribes to the connection's life. */
export interface ConnectionEvents {
  /** Calls `fn` on every later event; returns the function that stops it. */
  on(fn: ConnectionListener): () => void;
}

/**
 * The one owner of the NATS connection's life. One connection is shared by every component that acquires
 * it (transport, broker, registry, several services): go-micro opened one per component and ran out of
 * connections (go-micro#2784). Reference counted: it opens on the first `acquire()` and drains on the last
 * `release()`. It follows the connection's status and tells its listeners ({@link on}); components hold no
 * status monitor of their own. A connection that closed for good is replaced on the next `acquire()`.
 */
export class NatsConnector implements ConnectionEvents {
  /** The servers dialled, without the credentials a URL held (they are connection options now). */
  readonly servers: string[];
  /** Prefix of every reply subject created on this connection (nats.js `inboxPrefix`). Default `_INBOX`. */
  readonly inboxPrefix: string;
  /** Where problems of this connection and its users are logged, already redacted (`options.log`, else `console.error`). */
  readonly log: (message: string) => void;
  private readonly natsOptions: Partial<ConnectionOptions>;
  private readonly name: string;
  private conn?: Promise<NatsConnection>;
  private refs = 0;
  private readonly listeners = new Set<ConnectionListener>();
  /** The open connection being followed, and whether it is connected right now. */
  private live?: NatsConnection;
  private up = false;
  /** A connection closed for good since the last open: the next open replaces it. */
  private lost = false;

  constructor(options: NatsConnectorOptions = {}) {
    const { servers, credentials } = splitCredentials(parseServers(options.servers));
    this.servers = servers;
    const nats = options.nats ?? {};
    // Credentials given as options win over those of a URL.
    const explicit = nats.user !== undefined || nats.pass !== undefined || nats.token !== undefined || nats.authenticator !== undefined;
    this.natsOptions = explicit ? nats : { ...credentials, ...nats };
    this.inboxPrefix = nats.inboxPrefix ?? DEFAULT_INBOX_PREFIX;
    checkInboxPrefix('nats.inboxPrefix', this.inboxPrefix);
    this.name = options.name ?? 'micro-nats';
    this.log = options.log ?? ((m) => console.error(m));
  }

  on(fn: ConnectionListener): () => void {
    this.listeners.add(fn);
    return () => { this.listeners.delete(fn); };
  }

  /** True while `nc` is this connector's connection and connected (false between `down` and `reconnected`). */
  isUp(nc: NatsConnection): boolean {
    return this.live === nc && this.up && !nc.isClosed();
  }

  /**
   * Opens (or shares) the connection. Rejects with a 503 MicroError naming the servers when none answers;
   * with `wait`, a refused or unresolved server is tried again every few hundred ms until `wait.timeout`.
   * Bad credentials or TLS failures reject at once.
   */
  async acquire(wait?: ConnectWait): Promise<NatsConnection> {
    this.refs++;
    if (!this.conn) this.conn = this.open(wait);
    const pending = this.conn;
    try {
      const nc = await pending;
      if (!nc.isClosed()) return nc;
      // Dead for good: replace it (once) for everyone still holding a reference.
      if (this.conn === pending) this.conn = this.open();
      return await this.conn;
    } catch (err) {
      this.refs--;
      if (this.conn === pending || !this.refs) this.conn = undefined;
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
    if (this.live === nc) this.live = undefined; // closed by us: not news for anyone
    await (drain ? nc.drain() : nc.close()).catch(() => nc.close());
  }

  /** The live connection if one is open, without opening one. */
  current(): Promise<NatsConnection> | undefined {
    return this.conn;
  }

  /**
   * Connects, retrying while `wait` allows. nats.js's own `waitOnFirstConnect` is not used: against an
   * unreachable server it never settles, so a start could not be bounded.
   */
  private async open(wait?: ConnectWait): Promise<NatsConnection> {
    const t0 = Date.now();
    let logged = -Infinity; // the first failure is logged at once, then every few seconds
    let nc: NatsConnection | undefined;
    while (!nc) {
      try {
        nc = await connect({ maxReconnectAttempts: -1, reconnectTimeWait: DEFAULT_RECONNECT_WAIT, pingInterval: DEFAULT_PING_INTERVAL,
          maxPingOut: DEFAULT_MAX_PING_OUT, timeout: DEFAULT_DIAL_TIMEOUT, name: this.name,
          ...this.natsOptions, inboxPrefix: this.inboxPrefix, servers: this.servers });
      } catch (err) {
        const waited = Date.now() - t0;
        const at = this.servers.join(', ');
        if (!wait || !retryable(err) || waited >= wait.timeout) {
          const within = wait && retryable(err) && wait.timeout > 0 ? ` (waited ${Math.round(waited / 1000)} s, connectTimeout)` : '';
          throw unavailable('micro.nats', redact(`cannot connect to NATS at ${at}: ${(err as Error).message}${within}`));
        }
        if (Date.now() - logged >= DEFAULT_CONNECT_LOG_EVERY) {
          logged = Date.now();
          wait.logger?.warn({ nats: redact(at), waitedMs: waited, error: redact((err as Error).message) }, 'waiting for NATS');
        }
        await new Promise<void>((r) => setTimeout(r, Math.min(DEFAULT_CONNECT_RETRY, wait.timeout - waited)));
      }
    }
    const old = this.live;
    if (old?.isClosed()) this.closedForGood(old); // its close is not reported yet: report it first
    this.follow(nc);
    return nc;
  }

  /** Follows one connection's status until it closes, telling the listeners what happened. */
  private follow(nc: NatsConnection): void {
    const replaces = this.lost;
    this.lost = false;
    this.live = nc;
    this.up = true;
    this.emit({ type: 'up', nc, replaces });
    void this.watchStatus(nc);
    void nc.closed().then(() => this.closedForGood(nc));
  }

  private closedForGood(nc: NatsConnection): void {
    if (this.live !== nc) return; // released by its last user, or already reported
    this.live = undefined;
    this.up = false;
    this.lost = true;
    this.emit({ type: 'closed', nc });
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    try {
      for await (const s of nc.status()) {
        if (this.live !== nc) break;
        if (s.type === 'disconnect' && this.up) { this.up = false; this.emit({ type: 'down', nc }); }
        else if (s.type === 'reconnect') { this.up = true; this.emit({ type: 'reconnected', nc }); }
        else if (s.type === 'error' && s.error instanceof PermissionViolationError) this.denied(nc, s.error);
      }
    } catch { /* the iterator ends with the connection */ }
  }

  /** The server refused a publish or subscription: never silent, it is logged and told to the components. */
  private denied(nc: NatsConnection, v: PermissionViolationError): void {
    const error = permissionDenied(v.operation, v.subject, v.queue);
    this.log(`micro-nats: ${error.detail}`);
    this.emit({ type: 'denied', nc, operation: v.operation, subject: v.subject, error });
  }

  private emit(e: ConnectionEvent): void {
    for (const fn of [...this.listeners]) {
      try { fn(e); } catch { /* one listener's failure is not the others' */ }
    }
  }
}

import { DEFAULT_POOL_MAX_ADDRESSES, DEFAULT_POOL_MAX_IDLE } from '../config/defaults';
import type { Socket, Transport } from '../transport';

interface Idle { sock: Socket; at: number }
/** The idle sockets to one address, and the service it was called as (to ask whether it is still listed). */
interface Slot { service?: string; list: Idle[] }

/** Options of a {@link SocketPool}. */
export interface PoolOptions {
  /** Idle sockets kept per address. Default 256. */
  maxIdle?: number;
  /** An idle socket older than this many ms is closed. Default 30 000 (servers reap idle sockets after 60 s). */
  ttl?: number;
  /** Addresses kept; pooling to one more closes the oldest address's sockets. Default 1 024. */
  maxAddresses?: number;
  /** Whether the registry still lists `address` for `service`; an address it no longer lists is dropped. Default: always listed. */
  listed?: (service: string, address: string) => boolean;
  /** Least ms between two sweeps. Default 1 000. */
  sweepInterval?: number;
}

/** Addresses looked at per sweep: a large pool is swept in slices. */
const SWEEP_SLICE = 64;

/**
 * Idle sockets per node address, reused across calls so a call costs no subscription and no dial. Bounded:
 * `maxIdle` per address, `maxAddresses` addresses, and a sweep (at most once per `sweepInterval`, in slices, driven by
 * calls) closes sockets idle past `ttl` and drops addresses the registry no longer lists (a replaced node).
 */
export class SocketPool {
  private readonly slots = new Map<string, Slot>();
  private readonly maxIdle: number;
  private readonly ttl: number;
  private readonly maxAddresses: number;
  private cursor?: Iterator<[string, Slot]>;
  private nextSweep = 0;

  constructor(private readonly transport: Transport, private readonly opts: PoolOptions = {}) {
    this.maxIdle = opts.maxIdle ?? DEFAULT_POOL_MAX_IDLE;
    this.ttl = opts.ttl ?? 30_000;
    this.maxAddresses = opts.maxAddresses ?? DEFAULT_POOL_MAX_ADDRESSES;
  }

  /** Addresses pooled now. */
  size(): number { return this.slots.size; }

  /** An idle socket to `address`, if one is pooled and fresh. */
  idle(address: string, envelope: boolean): Socket | undefined {
    const list = this.slots.get(this.key(address, envelope))?.list;
    if (!list) return undefined;
    const now = Date.now();
    while (list.length > 0) {
      const it = list.pop()!;
      if (now - it.at < this.ttl) return it.sock;
      void it.sock.close();
    }
    return undefined;
  }

  /** A new socket to `address`. */
  dial(address: string, envelope: boolean): Promise<Socket> {
    return this.transport.dial(address, { envelope });
  }

  /** Gives a healthy socket back after a completed exchange with `service` (undefined: called by address). */
  give(address: string, envelope: boolean, sock: Socket, service?: string): void {
    const key = this.key(address, envelope);
    let slot = this.slots.get(key);
    if (!slot) {
      if (this.slots.size >= this.maxAddresses) this.dropKey(this.slots.keys().next().value!);
      this.slots.set(key, (slot = { service, list: [] }));
    }
    if (slot.list.length >= this.maxIdle) void sock.close();
    else slot.list.push({ sock, at: Date.now() });
    if (Date.now() >= this.nextSweep) this.sweep();
  }

  /** Drops every idle socket to `address` (its node went away). */
  drop(address: string): void {
    this.dropKey(address);
    this.dropKey(`${address}#env`);
  }

  async close(): Promise<void> {
    for (const slot of this.slots.values()) for (const it of slot.list) await it.sock.close();
    this.slots.clear();
  }

  /** Looks at up to {@link SWEEP_SLICE} addresses: stale sockets closed, unlisted or empty addresses dropped. */
  private sweep(): void {
    const now = Date.now();
    this.nextSweep = now + (this.opts.sweepInterval ?? 1_000);
    for (let i = 0; i < SWEEP_SLICE; i++) {
      this.cursor ??= this.slots.entries();
      const r = this.cursor.next();
      if (r.done) { this.cursor = undefined; return; }
      const [key, slot] = r.value;
      const address = key.endsWith('#env') ? key.slice(0, -4) : key;
      if (slot.service !== undefined && this.opts.listed && !this.opts.listed(slot.service, address)) { this.dropKey(key); continue; }
      while (slot.list.length > 0 && now - slot.list[0].at >= this.ttl) void slot.list.shift()!.sock.close();
      if (slot.list.length === 0) this.slots.delete(key);
    }
  }

  private dropKey(key: string): void {
    const slot = this.slots.get(key);
    if (!slot) return;
    for (const it of slot.list) void it.sock.close();
    this.slots.delete(key);
  }

  private key(address: string, envelope: boolean): string {
    return envelope ? `${address}#env` : address;
  }
}

import type { Socket, Transport } from '../transport';

interface Idle { sock: Socket; at: number }

/**
 * Idle sockets per node address, reused across calls so a call costs no subscription and no dial.
 * Sockets idle longer than `ttl` are dropped (the server reaps idle sockets after 60 s by default).
 */
export class SocketPool {
  private readonly sockets = new Map<string, Idle[]>();

  constructor(private readonly transport: Transport, private readonly maxIdle = 256, private readonly ttl = 30_000) {}

  /** An idle socket to `address`, if one is pooled and fresh. */
  idle(address: string, envelope: boolean): Socket | undefined {
    const list = this.sockets.get(envelope ? `${address}#env` : address);
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

  /** Gives a healthy socket back after a completed exchange. */
  give(address: string, envelope: boolean, sock: Socket): void {
    const key = this.key(address, envelope);
    let list = this.sockets.get(key);
    if (!list) this.sockets.set(key, (list = []));
    if (list.length >= this.maxIdle) { void sock.close(); return; }
    list.push({ sock, at: Date.now() });
  }

  /** Drops every idle socket to `address` (its node went away). */
  drop(address: string): void {
    for (const key of [address, `${address}#env`]) {
      for (const it of this.sockets.get(key) ?? []) void it.sock.close();
      this.sockets.delete(key);
    }
  }

  async close(): Promise<void> {
    for (const list of this.sockets.values()) for (const it of list) await it.sock.close();
    this.sockets.clear();
  }

  private key(address: string, envelope: boolean): string {
    return envelope ? `${address}#env` : address;
  }
}

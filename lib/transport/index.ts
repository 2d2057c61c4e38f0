/**
 * Transport: synchronous communication over pseudo-sockets.
 * A listener accepts sockets; a client dials an address and gets a socket; both sides send and receive
 * {@link Message}s. Errors are {@link MicroError}s: 400 bad address, 408 timeout, 413 too large,
 * 503 unavailable (no listener, socket closed, NATS unreachable).
 */

import type { Message } from '../protocol/message';

export type { Message };

/** Options of {@link Socket.recv}. */
export interface RecvOptions {
  /** Milliseconds to wait. Default: the transport's `timeout`. 0 waits for ever. */
  timeout?: number;
}

/**
 * What {@link Socket.send} may return when the message went out at once: one shared, resolved promise, so a
 * sender can tell it from a pending or failed send without attaching a handler (which costs a promise).
 */
export const SENT: Promise<void> = Promise.resolve();

/** A pseudo-connection between a client and a listener. */
export interface Socket {
  /**
   * Sends one message; {@link SENT} when it went out at once. Rejects 400 for a header NATS cannot carry,
   * 413 over the server's max_payload, 503 once closed.
   */
  send(m: Message): Promise<void>;
  /** Next message in order. Rejects 408 on timeout, 503 when the peer closed or the address has no listener. */
  recv(opts?: RecvOptions): Promise<Message>;
  /**
   * Optional push delivery, for servers: `fn` is called with each message in order as it arrives (those
   * already queued first) instead of through `recv`; `onEnd` once the socket closes or fails.
   */
  consume?(fn: (m: Message) => void, onEnd: () => void): void;
  /** Closes this side and tells the peer. Idempotent. */
  close(): Promise<void>;
  /** This side's address (a reply subject or the listener subject). */
  local(): string;
  /** The peer's address. */
  remote(): string;
}

/** Options of {@link Transport.listen}. */
export interface ListenOptions {
  /**
   * A server socket silent this many ms (nothing received or sent) is closed, unless it is busy: it received
   * more messages than it sent, so a handler still works on a request. Busy ends with the request's deadline
   * (mucp `Timeout`), and at most 10 idle timeouts after it arrived (NATS; memory keeps it while busy).
   * Default: the transport's `idleTimeout` (60 s).
   */
  idleTimeout?: number;
}

/** Accepts pseudo-connections on one address. */
export interface Listener {
  /** The address clients dial (the node address in the registry). */
  addr(): string;
  /** Stops accepting, closes its sockets; `accept` then resolves. Idempotent. */
  close(): Promise<void>;
  /** Calls `fn` once per new socket; resolves when the listener closes (never spins on a dead connection). */
  accept(fn: (s: Socket) => void | Promise<void>): Promise<void>;
}

/** Options of {@link Transport.dial}. */
export interface DialOptions {
  /** Default recv timeout for this socket in ms. Default: the transport's `timeout`. */
  timeout?: number;
  /** Speak go-micro's JSON envelope instead of headers (toward go-micro servers). Default false; memory ignores it. */
  envelope?: boolean;
}

/** Options common to transports. */
export interface TransportOptions {
  /** Default send/recv timeout in ms. Default 10 000. */
  timeout?: number;
  /** Server-side idle socket reaping in ms. Default 60 000. */
  idleTimeout?: number;
  /**
   * Server-side sockets a listener keeps (streams and sockets a micro-nats client pools; one-shot requests
   * keep none). Past it a unary request is served one-shot and a stream is refused 503. Default 16 384.
   */
  maxSockets?: number;
  /** Messages a socket queues unread; past it they are dropped and the socket fails 503. Default 4 096. */
  maxQueue?: number;
}

export interface Transport {
  /** Updates options before first use. */
  init(opts?: Partial<TransportOptions>): void;
  /** The options in force. */
  options(): TransportOptions;
  /** Opens a socket to `addr`. Opens no connection per dial. Rejects 400 for an invalid address. */
  dial(addr: string, opts?: DialOptions): Promise<Socket>;
  /**
   * Listens on `addr`; `''` or `':0'` picks a unique address. Rejects 400 for an invalid address, 503 when NATS is
   * unreachable. A fixed address already listened on: NATS shares it (a queue group, each message reaches one
   * listener), memory rejects 400.
   */
  listen(addr: string, opts?: ListenOptions): Promise<Listener>;
  /** Releases what the transport holds (its share of the connection). */
  close(): Promise<void>;
  /**
   * Resolves true once a send can reach the network (at once when it can now), false after `timeout` ms
   * without. Optional: a transport without it is taken as always ready.
   */
  ready?(timeout: number): Promise<boolean>;
  /** `'nats'` or `'memory'`. */
  toString(): string;
}

export { DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_QUEUE, DEFAULT_MAX_SOCKETS, DEFAULT_TIMEOUT } from '../config/defaults';

/**
 * Inversify service identifiers for the framework's components.
 *
 * `Symbol.for` rather than `Symbol` so that two copies of micro-nats loaded in one process (a
 * library and an app depending on different builds) still agree on the keys.
 */
export const TYPES = Object.freeze({
  /** The `Transport` that carries RPC requests and responses. */
  Transport: Symbol.for('micro-nats.Transport'),
  /** The `Broker` behind `publish` and `@Subscribe`. */
  Broker: Symbol.for('micro-nats.Broker'),
  /** The `Registry` services register with and clients look nodes up in. */
  Registry: Symbol.for('micro-nats.Registry'),
  /** The RPC client (`call`, `proxy`, `publish`). */
  Client: Symbol.for('micro-nats.Client'),
  /** The server of the first service (dispatches its `@Handler` endpoints); unbound in a pure client. */
  Server: Symbol.for('micro-nats.Server'),
  /** The `Codecs` (JSON by default, msgpack) that encode request, response and event bodies. */
  Codec: Symbol.for('micro-nats.Codec'),
  /** The node selector used by the client. */
  Selector: Symbol.for('micro-nats.Selector'),
  /** The resolved configuration (`Config` from lib/config). */
  Config: Symbol.for('micro-nats.Config'),
} as const);

/** The name of one of the framework's injectable components. */
export type ComponentToken = keyof typeof TYPES;

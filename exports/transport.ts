/** `micro-nats/transport`: the Transport contract and its implementations, for implementers and tests. */
export type { Transport, Socket, Listener, Message, TransportOptions, DialOptions, ListenOptions, RecvOptions } from '../lib/transport';
export { DEFAULT_IDLE_TIMEOUT, DEFAULT_TIMEOUT } from '../lib/transport';
export { NatsTransport, type NatsTransportOptions } from '../lib/transport/nats';
export { MemoryTransport, MemoryNetwork, type MemoryTransportOptions } from '../lib/transport/memory';
export { NatsConnector, type NatsConnectorOptions, type ConnectionEvent, type ConnectionEvents,
  type ConnectionListener } from '../lib/nats/connection';

/**
 * `micro-nats/components`: assembling an app by hand (what `bootstrap` does): the component builder and
 * its name tables, the client and server, codecs, the invoke core and the mucp protocol.
 */
export { buildComponents, memoryWorld, type Components, type ComponentOptions, type MemoryWorld } from '../lib/components';
export { TRANSPORTS, BROKERS, REGISTRIES, COMPONENT_NAMES, type BuildInput, type TransportName, type BrokerName,
  type RegistryName, type ComponentKind } from '../lib/implementations';
export { Codecs, type Codec } from '../lib/codec';
export { JsonCodec } from '../lib/codec/json';
export { MsgpackCodec } from '../lib/codec/msgpack';
export { RpcClient, type RpcClientOptions } from '../lib/client/rpc';
export { RpcServer, type RpcServerOptions } from '../lib/server/rpc';
export type { HandlerFn, SubscriberFn, HandlerOptions, SubscriberOptions } from '../lib/server';
export { admit, counted, decodeInput, invoke, openStream, errorOf, type Endpoint, type InvokeHost,
  type StreamInvocation } from '../lib/server/invoke';
export { serveSocket, type MucpHost } from '../lib/server/mucp';
export * as mucp from '../lib/protocol/mucp';
export { NatsConnector, type NatsConnectorOptions, type ConnectionEvent, type ConnectionEvents,
  type ConnectionListener } from '../lib/nats/connection';
export { parseServers, redact, splitCredentials, type UrlCredentials } from '../lib/nats/servers';
export { checkInboxPrefix } from '../lib/config/check';

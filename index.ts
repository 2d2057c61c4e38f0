/**
 * micro-nats: "Micro on NATS" for TypeScript. NATS is the transport (request/response over
 * pseudo-sockets), the broker (pub/sub with queue groups) and the registry (discovery by broadcast query).
 */
export { Service, Handler, Subscribe, InjectClient } from './decorators';
export type { ServiceOptions, HandlerOptions as HandlerDecoratorOptions, SubscribeOptions as SubscribeDecoratorOptions } from './decorators';

export { bootstrap, type App, type BootstrapOptions } from './lib/bootstrap';
export { TYPES } from './lib/tokens';
export { resolveConfig, type Config, type ConfigInput } from './lib/config';

export { MicroError, Codes, badRequest, unauthorized, forbidden, notFound, timeout, conflict, payloadTooLarge, internal,
  unavailable, type Code, type FieldError, type MicroErrorJSON } from './lib/errors';
export { currentContext, type Context, type Metadata } from './lib/context';

export type { Transport, Socket, Listener, Message, TransportOptions, DialOptions, ListenOptions, RecvOptions } from './lib/transport';
export { NatsTransport, type NatsTransportOptions } from './lib/transport/nats';
export { MemoryTransport, MemoryNetwork, type MemoryTransportOptions } from './lib/transport/memory';

export type { Broker, Delivery, Event, Subscriber, BrokerOptions, SubscribeOptions, PublishOptions as BrokerPublishOptions,
  DisconnectOptions as BrokerDisconnectOptions, Handler as BrokerHandler, ErrorHandler } from './lib/broker';
export { NatsBroker, type NatsBrokerOptions } from './lib/broker/nats';
export { JetStreamBroker, type JetStreamBrokerOptions } from './lib/broker/jetstream';
export type { DeliverPolicy, DurableSubscribeOptions, JetStreamSettings, StreamSettings } from './lib/broker/jetstream-options';
export { DEAD_LETTER_HEADERS } from './lib/broker/jetstream-names';
export { MemoryBroker, type MemoryBrokerOptions } from './lib/broker/memory';
export { MemoryBus } from './lib/broker/memory-bus';

export { RegistryNotFoundError, RegistryUnavailableError, WatcherStoppedError, type Registry, type Service as ServiceRecord,
  type Node, type Endpoint, type Value, type Watcher, type Result, type RegistryOptions } from './lib/registry';
export { NatsRegistry, type NatsRegistryOptions } from './lib/registry/nats';
export { MemoryRegistry, MemoryRegistryStore, type MemoryRegistryOptions } from './lib/registry/memory';
export { CachedRegistry, type CacheOptions } from './lib/registry/cache';
export { NoneAvailableError, type Selector, type SelectOptions, type Strategy, type Next } from './lib/selector';
export { RegistrySelector, type RegistrySelectorOptions } from './lib/selector/registry';

export { Codecs, type Codec } from './lib/codec';
export { JsonCodec } from './lib/codec/json';
export { MsgpackCodec } from './lib/codec/msgpack';

export type { Client, CallOptions, StreamOptions, PublishOptions } from './lib/client';
export type { ServiceClient, ClientMethod } from './lib/client/proxy';
export { RpcClient, type RpcClientOptions } from './lib/client/rpc';
export type { Server, HandlerFn, SubscriberFn } from './lib/server';
export { RpcServer, type RpcServerOptions } from './lib/server/rpc';
export { buildComponents, memoryWorld, type Components, type ComponentOptions, type MemoryWorld } from './lib/components';
export { NatsConnector, type NatsConnectorOptions } from './lib/nats/connection';

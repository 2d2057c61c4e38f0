/** `micro-nats/broker`: the Broker contract and its implementations, for implementers and tests. */
export type { Broker, Event, Delivery, Subscriber, BrokerOptions, SubscribeOptions, PublishOptions, DisconnectOptions, Handler,
  ErrorHandler } from '../lib/broker';
export { BaseBroker, type Drainable } from '../lib/broker/base';
export { EventsDroppedError } from '../lib/broker/dispatch';
export { NatsBroker, type NatsBrokerOptions } from '../lib/broker/nats';
export { MemoryBroker, type MemoryBrokerOptions } from '../lib/broker/memory';
export { MemoryBus } from '../lib/broker/memory-bus';
export { NatsConnector, type NatsConnectorOptions, type ConnectionEvent, type ConnectionEvents,
  type ConnectionListener } from '../lib/nats/connection';
export { JetStreamBroker, type JetStreamBrokerOptions } from '../lib/broker/jetstream';
export type { DeliverPolicy, DurableSubscribeOptions, JetStreamSettings, StreamSettings } from '../lib/broker/jetstream-options';
export { DEAD_LETTER_HEADERS } from '../lib/broker/jetstream-names';

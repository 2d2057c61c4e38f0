/**
 * micro-nats: "Micro on NATS" for TypeScript. NATS is the transport (request/response over
 * pseudo-sockets), the broker (pub/sub with queue groups) and the registry (discovery by broadcast query).
 *
 * This entry point is for application code. Implementers and tests import `micro-nats/transport`,
 * `micro-nats/broker`, `micro-nats/registry`, `micro-nats/components` and `micro-nats/testing`.
 */
export { Service, Handler, Subscribe, InjectClient, Use, HealthCheck, type ServiceOptions, type HandlerDecoratorOptions,
  type SubscribeDecoratorOptions } from './decorators';

export { bootstrap, HelpRequested, type App, type AppHealth, type BootstrapOptions } from './lib/bootstrap';
export type { Middleware, MiddlewareFn, MiddlewareRef, Invocation, InvocationKind, Next } from './lib/middleware';
export { LOG_LEVELS, silentLogger, type Logger, type LogFn, type LogLevel } from './lib/logger';
export { consoleLogger, type ConsoleLoggerOptions } from './lib/logger/console';
export type { OnStart, OnStop } from './lib/lifecycle';
export { TYPES } from './lib/tokens';
export { resolveConfig, type Config, type ConfigInput } from './lib/config';

export { MicroError, Codes, badRequest, unauthorized, forbidden, notFound, timeout, conflict, payloadTooLarge, internal,
  unavailable, ConfigError, NoRespondersError, NotSentError, ConnectionLostError, REFUSED_ID, refused, type Code, type FieldError, type MicroErrorJSON } from './lib/errors';
export { RegistryNotFoundError, RegistryUnavailableError } from './lib/registry';
export { NoneAvailableError } from './lib/selector';
export { currentContext, type Context, type Metadata } from './lib/context';

export type { Client, CallOptions, StreamOptions, PublishOptions, ServiceClient, ClientMethod, Jsonify } from './lib/client';
export type { Server, HealthReport } from './lib/server';
// The component contracts, as the App's fields and injected tokens are typed (implementations: subpaths).
export type { Transport } from './lib/transport';
export type { Broker, Event, Delivery } from './lib/broker';
// What bootstrap's `jetstream` option and `@Subscribe`'s durable options are typed with, and dead-letter header names.
export type { DeliverPolicy, JetStreamSettings, StreamSettings } from './lib/broker/jetstream-options';
export { DEAD_LETTER_HEADERS } from './lib/broker/jetstream-names';
export type { Registry } from './lib/registry';

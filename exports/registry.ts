/** `micro-nats/registry`: the Registry contract, its implementations, the cache and the selector. */
export { RegistryNotFoundError, RegistryUnavailableError, WatcherStoppedError, isNodeCache, type Registry, type NodeCache,
  type Service, type Node, type Endpoint, type Value, type Watcher, type Result, type RegistryOptions } from '../lib/registry';
export { NatsRegistry, type NatsRegistryOptions } from '../lib/registry/nats';
export { MemoryRegistry, MemoryRegistryStore, type MemoryRegistryOptions } from '../lib/registry/memory';
export { CachedRegistry, type CacheOptions } from '../lib/registry/cache';
export { NoneAvailableError, type Selector, type SelectOptions, type Strategy, type Next } from '../lib/selector';
export { RegistrySelector, type OutlierOptions, type RegistrySelectorOptions } from '../lib/selector/registry';
export { NatsConnector, type NatsConnectorOptions, type ConnectionEvent, type ConnectionEvents,
  type ConnectionListener } from '../lib/nats/connection';

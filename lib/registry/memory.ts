import {
  DEFAULT_REGISTER_INTERVAL, DEFAULT_REGISTRY_TIMEOUT, RegistryNotFoundError, RegistryUnavailableError,
  type Action, type RegisterOptions, type Registry, type RegistryOptions, type Service, type Watcher, type WatchOptions,
} from './index';
import { LocalServices } from './local';
import { checkLookupName, checkMs, checkOptions, checkService, DEFAULT_MAX_PAYLOAD, definedOnly } from './check';
import { copyService, ServiceMerger } from './util';
import { parseService } from './wire';
import { QueueWatcher } from './watcher';

/**
 * What memory registries that must see each other share, as NATS is shared by NATS registries: the
 * services each instance holds and the watchers. One per test or app; there is no global one.
 */
export class MemoryRegistryStore {
  /** The services of each open registry on this store. */
  readonly members = new Set<LocalServices>();
  /** Every live watcher on this store. */
  readonly watchers = new Set<QueueWatcher>();

  /** Delivers an event to every watcher, each its own copy, asynchronously (as a message would arrive). */
  announce(action: Action, service: Service): void {
    if (this.watchers.size === 0) return;
    const targets = [...this.watchers];
    queueMicrotask(() => { for (const w of targets) w.push({ action, service: copyService(service) }); });
  }
}

/** Options of {@link MemoryRegistry}. */
export interface MemoryRegistryOptions extends RegistryOptions {
  /** Registries that share a store see each other's services and events. Default: a store of its own. */
  store?: MemoryRegistryStore;
  /** Largest registration in bytes of JSON (as NATS `max_payload`); larger ones are rejected 413. Default 1 MiB. */
  maxPayload?: number;
}

/**
 * An in-process registry with the NATS registry's contract: each instance holds what it registered,
 * lookups gather from every instance on the store, `close()` makes its services vanish without a
 * `delete` (a crash, as seen by others). Lookups answer at once (no query window).
 */
export class MemoryRegistry implements Registry {
  private opts: Required<RegistryOptions>;
  private readonly store: MemoryRegistryStore;
  private readonly maxPayload: number;
  private readonly local = new LocalServices();
  private readonly watchers = new Set<QueueWatcher>();
  private heartbeat?: NodeJS.Timeout;
  private closed = false;

  constructor(options: MemoryRegistryOptions = {}) {
    checkOptions(options);
    checkMs('registry', 'maxPayload', options.maxPayload, 1);
    this.opts = { timeout: options.timeout ?? DEFAULT_REGISTRY_TIMEOUT, registerInterval: options.registerInterval ?? DEFAULT_REGISTER_INTERVAL };
    this.store = options.store ?? new MemoryRegistryStore();
    this.maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    this.store.members.add(this.local);
  }

  init(opts: Partial<RegistryOptions> = {}): void {
    checkOptions(opts);
    this.opts = { ...this.opts, ...definedOnly(opts) };
    if (this.heartbeat) { this.stopHeartbeat(); this.startHeartbeat(); }
  }

  options(): RegistryOptions {
    return { ...this.opts };
  }

  async register(service: Service, _opts: RegisterOptions = {}): Promise<void> {
    this.checkOpen();
    const s = checkService(service, this.maxPayload);
    const action = this.local.add(s);
    this.store.announce(action, s);
    this.startHeartbeat();
  }

  async deregister(service: Service): Promise<void> {
    this.checkOpen();
    checkLookupName(service?.name);
    const removed = this.local.remove(service);
    if (this.local.size === 0) this.stopHeartbeat();
    const announced = removed ?? parseService(service);
    if (announced && announced.nodes.length > 0) this.store.announce('delete', announced);
  }

  async getService(name: string): Promise<Service[]> {
    this.checkOpen();
    checkLookupName(name);
    const merger = new ServiceMerger();
    for (const member of this.store.members) for (const s of member.get(name)) merger.add(s);
    const found = merger.result();
    if (found.length === 0) throw new RegistryNotFoundError(name);
    return found;
  }

  async listServices(): Promise<Service[]> {
    this.checkOpen();
    const merger = new ServiceMerger();
    for (const member of this.store.members) for (const s of member.all()) merger.add(s);
    return merger.result();
  }

  async watch(opts: WatchOptions = {}): Promise<Watcher> {
    this.checkOpen();
    if (opts.service !== undefined) checkLookupName(opts.service, 'watch service');
    const w: QueueWatcher = new QueueWatcher(opts.service, () => { this.store.watchers.delete(w); this.watchers.delete(w); });
    this.store.watchers.add(w);
    this.watchers.add(w);
    return w;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopHeartbeat();
    this.store.members.delete(this.local);
    this.local.clear();
    for (const w of [...this.watchers]) w.stop();
  }

  toString(): string {
    return 'memory';
  }

  private checkOpen(): void {
    if (this.closed) throw new RegistryUnavailableError('the memory registry is closed');
  }

  private startHeartbeat(): void {
    if (this.heartbeat || this.local.size === 0) return;
    this.heartbeat = setInterval(() => {
      for (const s of this.local.versions()) this.store.announce('update', s);
    }, Math.max(1, this.opts.registerInterval));
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}

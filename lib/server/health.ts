/**
 * A server's health as `Debug.Health` and `app.health()` report it: the NATS connection (followed through the
 * connector's lifecycle events), the registration, and the service's own checks (`@HealthCheck()` methods).
 */
import { DEFAULT_HEALTH_CHECK_TIMEOUT } from '../config/defaults';
import type { ConnectionEvent } from '../nats/connection';
import type { HealthReport } from './index';

/** Check names the server reports itself; a service's own checks may not take them. */
const BUILT_IN = ['nats', 'registry'];

/** The checks of one server. */
export class HealthChecks {
  private readonly own = new Map<string, () => unknown>();
  private nats: string;

  /** `followsNats`: the server runs on a NATS connection (memory components report no `nats` check). */
  constructor(private readonly followsNats: boolean, private readonly registered: () => boolean) {
    this.nats = 'not connected';
  }

  /** Adds a check. Throws on a duplicate or built-in name. */
  add(service: string, name: string, fn: () => unknown): void {
    if (BUILT_IN.includes(name) || this.own.has(name)) throw new Error(`${service}: health check "${name}" is defined twice or is built in`);
    this.own.set(name, fn);
  }

  /** Follows the connection: down while nats.js reconnects, closed once it gave up (until the server listens again). */
  onConnection(type: ConnectionEvent['type']): void {
    this.nats = type === 'up' || type === 'reconnected' ? 'ok' : type === 'down' ? 'disconnected, reconnecting' : 'closed';
  }

  /** Runs every check (concurrently, each bounded in time). Never rejects. */
  async report(): Promise<HealthReport> {
    const checks: Record<string, string> = {};
    if (this.followsNats) checks.nats = this.nats;
    checks.registry = this.registered() ? 'ok' : 'not registered';
    const names = [...this.own.keys()];
    const results = await Promise.all([...this.own.values()].map(run));
    names.forEach((n, i) => { checks[n] = results[i]; });
    return { status: Object.values(checks).every((v) => v === 'ok') ? 'ok' : 'unhealthy', checks };
  }
}

/** `ok`, or why not: it threw or rejected (its message), returned `false`, or took too long. */
async function run(fn: () => unknown): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => { timer = setTimeout(() => resolve('timed out'), DEFAULT_HEALTH_CHECK_TIMEOUT); });
  try {
    const r = await Promise.race([Promise.resolve().then(fn).then((v) => (v === false ? 'failed' : 'ok')), late]);
    return r;
  } catch (err) {
    return (err as Error)?.message ? String((err as Error).message).slice(0, 200) : 'failed';
  } finally {
    clearTimeout(timer);
  }
}

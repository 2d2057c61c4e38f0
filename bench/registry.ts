/** Registry lookups: cold (a query over NATS) and cached, with 1, 10 and 100 registered instances. */
import { NatsRegistry } from '../lib/registry/nats';
import { CachedRegistry } from '../lib/registry/cache';
import type { Service } from '../lib/registry';
import { RegistrySelector } from '../lib/selector/registry';
import { median } from './stats';

function service(name: string, nodes: number): Service {
  return { name, version: '1.0.0', metadata: {}, endpoints: [{ name: 'Bench.hello', metadata: {} }],
    nodes: Array.from({ length: nodes }, (_, i) => ({ id: `${name}-${i}`, address: `_INBOX.bench-${name}-${i}`, metadata: { server: 'micro-nats' } })) };
}

export interface RegistryFigures { instances: number; coldMs: number; coldQuorumMs: number; cachedUs: number; cachedPerSec: number; pickUs: number }

/**
 * Registers services of 1, 10 and 100 nodes from one registry, then measures lookups from another (its own
 * connection): one cold query each (full 100 ms window, and quorum 1), then cached lookups and selections in
 * interleaved rounds (the three sizes take turns, so drift and GC affect them alike); medians of the rounds.
 */
export async function registryRun(url: string, sizes: number[], lookups: number, rounds = 7): Promise<RegistryFigures[]> {
  const holder = new NatsRegistry({ servers: url });
  const querier = new NatsRegistry({ servers: url });
  const quorum = new NatsRegistry({ servers: url, quorum: 1 });
  const cache = new CachedRegistry(querier);
  const selector = new RegistrySelector({ registry: cache, strategy: 'roundRobin' });
  const out: RegistryFigures[] = [];
  for (const n of sizes) {
    const name = `bench-reg-${n}`;
    await holder.register(service(name, n));
    const coldMs = await timeMs(() => querier.getService(name));
    const coldQuorumMs = await timeMs(() => quorum.getService(name));
    await cache.getService(name);
    out.push({ instances: n, coldMs, coldQuorumMs, cachedUs: 0, cachedPerSec: 0, pickUs: 0 });
  }
  const cached: number[][] = sizes.map(() => []);
  const picks: number[][] = sizes.map(() => []);
  const batch = Math.ceil(lookups / rounds);
  for (let r = 0; r < rounds + 1; r++) {   // round 0 warms the JIT and is not counted
    for (let i = 0; i < sizes.length; i++) {
      const name = `bench-reg-${sizes[i]}`;
      const a = await perCallUs(batch, () => cache.getService(name));
      const b = await perCallUs(batch, async () => (await selector.select(name))());
      if (r > 0) { cached[i].push(a); picks[i].push(b); }
    }
  }
  out.forEach((f, i) => { f.cachedUs = median(cached[i]); f.cachedPerSec = 1e6 / f.cachedUs; f.pickUs = median(picks[i]); });
  await selector.close();
  await cache.close();
  for (const r of [quorum, querier, holder]) await r.close();
  return out;
}

async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function perCallUs(n: number, fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return ((performance.now() - t) * 1000) / n;
}

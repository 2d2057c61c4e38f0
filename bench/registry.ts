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

/** Registers `instances` nodes from one registry, then measures lookups from another (its own connection). */
export async function registryRun(url: string, instances: number, lookups: number): Promise<RegistryFigures> {
  const holder = new NatsRegistry({ servers: url });
  const name = `bench-reg-${instances}`;
  await holder.register(service(name, instances));
  const querier = new NatsRegistry({ servers: url });
  const quorum = new NatsRegistry({ servers: url, quorum: 1 });
  let t = performance.now();
  await querier.getService(name);
  const coldMs = performance.now() - t;
  t = performance.now();
  await quorum.getService(name);
  const coldQuorumMs = performance.now() - t;
  const cache = new CachedRegistry(querier);
  const selector = new RegistrySelector({ registry: cache, strategy: 'roundRobin' });
  await cache.getService(name);
  const us = await medianOfBatches(lookups, () => cache.getService(name));
  const pickUs = await medianOfBatches(lookups, async () => (await selector.select(name))());
  await selector.close();
  await cache.close();
  for (const r of [quorum, querier, holder]) await r.close();
  return { instances, coldMs, coldQuorumMs, cachedUs: us, cachedPerSec: 1e6 / us, pickUs };
}

/** µs per call of `fn`: the median of 5 batches of `n / 5` calls (GC pauses land in one batch, not all). */
async function medianOfBatches(n: number, fn: () => Promise<unknown>): Promise<number> {
  const per: number[] = [];
  for (let b = 0; b < 5; b++) {
    const t = performance.now();
    for (let i = 0; i < n / 5; i++) await fn();
    per.push(((performance.now() - t) * 1000) / (n / 5));
  }
  return median(per);
}

/** Helpers shared by the registry, cache and selector suites. */
import { connect, createInbox, type NatsConnection } from '@nats-io/transport-node';
import { NatsConnector } from '../lib/nats/connection';
import type { Node, Registry, Service } from '../lib/registry/index';
import { MemoryRegistry, MemoryRegistryStore } from '../lib/registry/memory';
import { NatsRegistry, type NatsRegistryOptions } from '../lib/registry/nats';
import { Closer } from '../lib/testing/contract/registry';
import { natsUrl } from './support/nats';

/** Query and watch subjects of their own, so suites on the shared server never see each other. */
export function uniqueTopics(): { queryTopic: string; watchTopic: string } {
  const base = `test.reg.${createInbox().slice('_INBOX.'.length)}`;
  return { queryTopic: `${base}.query`, watchTopic: `${base}.watch` };
}

export { Closer, ids, svc, uniqueName } from '../lib/testing/contract/registry';

/** A plain nats.js connection (no micro-nats code), closed by `closer`. */
export async function plainConnection(closer: Closer, url = natsUrl()): Promise<NatsConnection> {
  const nc = await connect({ servers: url });
  closer.add({ close: () => nc.close() });
  return nc;
}

/** Registries of one kind that see each other ("processes"), each NATS one on its own connection. */
export interface World {
  kind: 'memory' | 'nats';
  make(opts?: Partial<NatsRegistryOptions>): Registry;
}

export const worlds: { kind: 'memory' | 'nats'; create(closer: Closer): World }[] = [
  {
    kind: 'memory',
    create(closer) {
      const store = new MemoryRegistryStore();
      return { kind: 'memory', make: (opts = {}) => closer.add(new MemoryRegistry({ store, timeout: opts.timeout, registerInterval: opts.registerInterval })) };
    },
  },
  {
    kind: 'nats',
    create(closer) {
      const topics = uniqueTopics();
      return { kind: 'nats', make: (opts = {}) => closer.add(new NatsRegistry({ servers: natsUrl(), ...topics, ...opts })) };
    },
  },
];

/** A NATS registry on a connector of the test's own (so the test can reach or kill its connection). */
export function natsRegistryWithConnector(closer: Closer, opts: Partial<NatsRegistryOptions>, url = natsUrl()): { registry: NatsRegistry; connector: NatsConnector } {
  const connector = new NatsConnector({ servers: url });
  const registry = closer.add(new NatsRegistry({ connector, ...opts }));
  return { registry, connector };
}

/** Closes a connector's connection abruptly, as a crash would: no deregister, no drain. */
export async function killConnection(connector: NatsConnector): Promise<void> {
  const nc = await connector.acquire();
  await nc.close();
  await connector.release(false);
}

const dec = new TextDecoder();
/**
 * Counts `get` queries for `name` seen on `topic` by a plain connection. `settled(nc)` publishes a marker
 * from the querier's own connection and waits for it: NATS keeps one connection's order, so every query
 * sent before the marker has been counted once the marker arrived.
 */
export async function queryCounter(plain: NatsConnection, topic: string, name: string) {
  let count = 0;
  const markers = new Set<string>();
  plain.subscribe(topic, {
    callback: (_err, msg) => {
      try {
        const q = JSON.parse(dec.decode(msg.data));
        if (q.Action === 'get' && q.Service?.name === name) count++;
        if (q.Action === 'marker') markers.add(q.id);
      } catch { /* not JSON */ }
    },
  });
  await plain.flush();
  return {
    get count() { return count; },
    async settled(querier: NatsConnection): Promise<number> {
      const id = createInbox();
      querier.publish(topic, JSON.stringify({ Action: 'marker', id }));
      const until = Date.now() + 5_000;
      while (!markers.has(id)) {
        if (Date.now() > until) throw new Error('marker not seen');
        await new Promise((r) => setTimeout(r, 5));
      }
      return count;
    },
  };
}

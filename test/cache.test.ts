/** CachedRegistry over real NATS registries (and one over the memory registry): queries counted on the wire. */
import { expect } from 'chai';
import { CachedRegistry } from '../lib/registry/cache';
import { RegistryNotFoundError, RegistryUnavailableError } from '../lib/registry/index';
import { MemoryRegistry, MemoryRegistryStore } from '../lib/registry/memory';
import { NatsRegistry } from '../lib/registry/nats';
import { startNatsServer } from '../lib/testing';
import {
  Closer, ids, killConnection, natsRegistryWithConnector, plainConnection, queryCounter, svc, uniqueName, uniqueTopics,
} from './registry-support';
import { natsUrl } from './support/nats';
import { rejection, waitFor } from './support/wait';

describe('registry cache', function () {
  const closer = new Closer();
  afterEach(() => closer.closeAll());

  /** A holder registry, and a cache over an observer registry whose connection the test can reach. */
  async function setup(cacheOpts: ConstructorParameters<typeof CachedRegistry>[1] = {}) {
    const topics = uniqueTopics();
    const holder = closer.add(new NatsRegistry({ servers: natsUrl(), ...topics }));
    const { registry: observer, connector } = natsRegistryWithConnector(closer, topics);
    const cache = closer.add(new CachedRegistry(observer, cacheOpts));
    const plain = await plainConnection(closer);
    return { topics, holder, observer, connector, cache, plain };
  }

  it('serves a second lookup from memory without a query', async () => {
    const { topics, holder, connector, cache, plain } = await setup();
    const name = uniqueName('cached');
    await holder.register(svc(name, '', ['c1']));
    const counter = await queryCounter(plain, topics.queryTopic, name);
    expect(ids(await cache.getService(name))).to.deep.equal(['c1']);
    const nc = await connector.acquire();
    closer.add({ close: () => connector.release() });
    expect(await counter.settled(nc)).to.equal(1);
    for (let i = 0; i < 50; i++) expect(ids(await cache.getService(name))).to.deep.equal(['c1']);
    expect(await counter.settled(nc)).to.equal(1);
  });

  it('concurrent lookups of one name share one query', async () => {
    const { topics, holder, connector, cache, plain } = await setup();
    const name = uniqueName('flight');
    await holder.register(svc(name, '', ['f1']));
    const counter = await queryCounter(plain, topics.queryTopic, name);
    const all = await Promise.all(Array.from({ length: 25 }, () => cache.getService(name)));
    for (const found of all) expect(ids(found)).to.deep.equal(['f1']);
    const nc = await connector.acquire();
    closer.add({ close: () => connector.release() });
    expect(await counter.settled(nc)).to.equal(1);
  });

  it('follows create, update and delete through its watch, without further queries', async () => {
    const { topics, holder, connector, cache, plain } = await setup();
    const name = uniqueName('followed');
    await holder.register(svc(name, '1', ['n1']));
    const counter = await queryCounter(plain, topics.queryTopic, name);
    expect(ids(await cache.getService(name))).to.deep.equal(['n1']);
    const second = closer.add(new NatsRegistry({ servers: natsUrl(), ...topics }));
    await second.register(svc(name, '1', ['n2']));
    await second.register(svc(name, '2', ['n3'], { metadata: { v: '2' } }));
    await waitFor(async () => ids(await cache.getService(name)).length === 3, 'the new nodes');
    const found = await cache.getService(name);
    expect(found.map((s) => s.version)).to.deep.equal(['1', '2']);
    expect(found[1].metadata).to.deep.equal({ v: '2' });
    await holder.deregister(svc(name, '1', ['n1']));
    await waitFor(async () => !ids(await cache.getService(name)).includes('n1'), 'the delete');
    expect(ids(await cache.getService(name))).to.deep.equal(['n2', 'n3']);
    const nc = await connector.acquire();
    closer.add({ close: () => connector.release() });
    expect(await counter.settled(nc)).to.equal(1);
  });

  it('drops a node whose connection died within registerTtl while a sibling heartbeats', async () => {
    const topics = uniqueTopics();
    const name = uniqueName('ttl');
    const { registry: victim, connector } = natsRegistryWithConnector(closer, { ...topics, registerInterval: 60_000 });
    const sibling = closer.add(new NatsRegistry({ servers: natsUrl(), ...topics, registerInterval: 50 }));
    await victim.register(svc(name, '', ['victim']));
    await sibling.register(svc(name, '', ['sibling']));
    const { registry: observer, connector: observerConnector } = natsRegistryWithConnector(closer, topics);
    const cache = closer.add(new CachedRegistry(observer, { registerTtl: 400 }));
    const counter = await queryCounter(await plainConnection(closer), topics.queryTopic, name);
    expect(ids(await cache.getService(name))).to.deep.equal(['sibling', 'victim']);
    await killConnection(connector);
    // go-micro kept it for ever while the sibling heartbeated (ocis#6762); here its own ttl runs out
    await waitFor(async () => ids(await cache.getService(name)).join() === 'sibling', 'the dead node to expire', 5_000);
    expect(ids(await cache.getService(name))).to.deep.equal(['sibling']);
    // and the sibling stayed cached by its heartbeats: no query since the first
    const nc = await observerConnector.acquire();
    closer.add({ close: () => observerConnector.release() });
    expect(await counter.settled(nc)).to.equal(1);
  });

  it('evict() drops a node at once; it comes back when it announces itself again', async () => {
    const { holder, cache } = await setup();
    const name = uniqueName('evicted');
    await holder.register(svc(name, '', ['e1', 'e2']));
    expect(ids(await cache.getService(name))).to.deep.equal(['e1', 'e2']);
    expect(cache.evict(name, 'e1')).to.equal(1);
    expect(ids(await cache.getService(name))).to.deep.equal(['e2']);
    expect(cache.evict(name, 'addr.e2')).to.equal(1); // by address too
    expect(cache.lookup(name)).to.equal(undefined);
    expect(cache.evict(name, 'nothing')).to.equal(0);
    await holder.register(svc(name, '', ['e1']));
    await waitFor(async () => ids(await cache.getService(name).catch(() => [])).includes('e1'), 'the re-announced node');
  });

  it('an update or create seen on the watch brings an evicted node back, without a query', async () => {
    const { topics, holder, connector, cache, plain } = await setup();
    const name = uniqueName('readmitted');
    await holder.register(svc(name, '', ['e1', 'e2']));
    const counter = await queryCounter(plain, topics.queryTopic, name);
    expect(ids(await cache.getService(name))).to.deep.equal(['e1', 'e2']);
    expect(cache.evict(name, 'e1')).to.equal(1);
    expect(ids(cache.lookup(name) ?? [])).to.deep.equal(['e2']);
    await holder.register(svc(name, '', ['e1'])); // already held by the holder: announced as "update"
    await waitFor(() => ids(cache.lookup(name) ?? []).includes('e1'), 'the node back after the update');
    expect(ids(cache.lookup(name) ?? [])).to.deep.equal(['e1', 'e2']);
    // every node evicted: the version is gone from the cache, and a "create" brings it back
    expect(cache.evict(name, 'e1') + cache.evict(name, 'e2')).to.equal(2);
    expect(cache.lookup(name)).to.equal(undefined);
    plain.publish(topics.watchTopic, JSON.stringify({ Action: 'create', Service: { name, version: '', metadata: null, endpoints: null, nodes: [{ id: 'e2', address: 'addr.e2', metadata: null }] } }));
    await waitFor(() => cache.lookup(name) !== undefined, 'the node back after the create');
    expect(ids(cache.lookup(name)!)).to.deep.equal(['e2']);
    const nc = await connector.acquire();
    closer.add({ close: () => connector.release() });
    expect(await counter.settled(nc)).to.equal(1);
  });

  it('a miss is a not-found error and is not cached as found; a later registration is seen', async () => {
    const { holder, cache } = await setup();
    const name = uniqueName('missing');
    await holder.register(svc(uniqueName('other'), '', ['o1']));
    const err = await rejection(cache.getService(name));
    expect(err).to.be.instanceOf(RegistryNotFoundError);
    expect(err.code).to.equal(404);
    await holder.register(svc(name, '', ['m1']));
    await waitFor(async () => ids(await cache.getService(name).catch(() => [])).includes('m1'), 'the registration after the miss');
  });

  it('a go-micro "create" published by a plain nats.js client makes a foreign service visible', async () => {
    const { topics, cache, plain } = await setup();
    const name = 'go.micro.srv.foreign';
    expect(await rejection(cache.getService(name))).to.be.instanceOf(RegistryNotFoundError);
    plain.publish(topics.watchTopic, JSON.stringify({
      Action: 'create',
      Service: { name, version: '', metadata: null, endpoints: null, nodes: [{ id: 'foreign-1', address: '_INBOX.foreign', metadata: null }] },
    }));
    await waitFor(async () => ids(await cache.getService(name).catch(() => [])).length === 1, 'the foreign service');
    expect(await cache.getService(name)).to.deep.equal([{
      name, version: '', metadata: {}, endpoints: [], nodes: [{ id: 'foreign-1', address: '_INBOX.foreign', metadata: {} }],
    }]);
  });

  it('serves the last known nodes when the registry fails, and 503 for names it never knew', async () => {
    const server = await startNatsServer();
    try {
      const name = uniqueName('stale');
      const holder = closer.add(new NatsRegistry({ servers: server.url }));
      await holder.register(svc(name, '', ['s1']));
      const observer = closer.add(new NatsRegistry({ servers: server.url }));
      const cache = closer.add(new CachedRegistry(observer, { registerTtl: 200 }));
      expect(ids(await cache.getService(name))).to.deep.equal(['s1']);
      await server.kill();
      // no heartbeat can arrive: the node expires, the cache asks the registry, which fails; stale answer
      await waitFor(() => cache.lookup(name) === undefined, 'the entry to expire');
      expect(ids(await cache.getService(name))).to.deep.equal(['s1']);
      const err = await rejection(cache.getService(uniqueName('never')));
      expect(err).to.be.instanceOf(RegistryUnavailableError);
      expect(err.code).to.equal(503);
    } finally {
      await closer.closeAll();
      await server.stop();
    }
  });

  it('returns frozen shared results (no copy per lookup)', async () => {
    const { holder, cache } = await setup();
    const name = uniqueName('frozen');
    await holder.register(svc(name, '', ['z1']));
    const one = await cache.getService(name);
    const two = await cache.getService(name);
    expect(one).to.equal(two);
    expect(Object.isFrozen(one)).to.equal(true);
    expect(Object.isFrozen(one[0].nodes[0].metadata)).to.equal(true);
    expect(() => (one as unknown as unknown[]).push(1)).to.throw(TypeError);
  });

  it('works in front of the memory registry too', async () => {
    const store = new MemoryRegistryStore();
    const a = closer.add(new MemoryRegistry({ store }));
    const cache = closer.add(new CachedRegistry(closer.add(new MemoryRegistry({ store })), { registerTtl: 60_000 }));
    const name = uniqueName('mem');
    await a.register(svc(name, '', ['m1']));
    expect(ids(await cache.getService(name))).to.deep.equal(['m1']);
    await a.register(svc(name, '', ['m2']));
    await waitFor(async () => ids(await cache.getService(name)).length === 2, 'the second node');
    await a.deregister(svc(name, '', ['m1', 'm2']));
    await waitFor(() => cache.lookup(name) === undefined, 'the delete');
    expect(await rejection(cache.getService(name))).to.be.instanceOf(RegistryNotFoundError);
    expect(cache.toString()).to.equal('memory');
  });

  it('evicts each of 20,000 nodes in constant time (by id and by address), the view rebuilt once at the next lookup', async () => {
    const store = new MemoryRegistryStore();
    const a = closer.add(new MemoryRegistry({ store }));
    const cache = closer.add(new CachedRegistry(closer.add(new MemoryRegistry({ store })), { maxNodes: 20_000 }));
    const name = uniqueName('many');
    const endpoints = Array.from({ length: 50 }, (_, i) => ({ name: `E.m${i}`, request: { name: 'R', type: 'R', values: [] }, response: undefined, metadata: {} }));
    // Two nodes per address: evicting an address drops both.
    const nodes = Array.from({ length: 20_000 }, (_, i) => ({ id: `n${i}`, address: `addr.${i % 10_000}`, metadata: {} }));
    await a.register(svc(name, '1', nodes, { endpoints } as never));
    expect(nodes.length).to.equal((await cache.getService(name))[0].nodes.length);
    const t0 = performance.now();
    let dropped = 0;
    for (let i = 0; i < 5_000; i++) dropped += cache.evict(name, `n${i}`) + cache.evict(name, `addr.${i}`);
    const ms = performance.now() - t0;
    // 5 000 by id, then their 5 000 addresses, which still hold their twins n10000-n14999.
    expect(dropped).to.equal(10_000);
    expect(cache.evict(name, 'n0')).to.equal(0);
    const left = (await cache.getService(name))[0].nodes.map((n) => n.id);
    expect(left).to.have.length(10_000);
    expect(left).to.include('n5000').and.include('n19999').and.not.include('n10000');
    // Scanning and rebuilding the service per eviction took ~seconds here; constant time takes milliseconds.
    expect(ms).to.be.below(500);
  });

  it('after close(), lookups reject 503', async () => {
    const { holder, cache } = await setup();
    const name = uniqueName('closing');
    await holder.register(svc(name, '', ['c1']));
    await cache.getService(name);
    await cache.close();
    expect((await rejection(cache.getService(name))).code).to.equal(503);
  });

  it('validates its options', () => {
    expect(() => new CachedRegistry(new MemoryRegistry(), { registerTtl: 0 })).to.throw(/registerTtl/);
    expect(() => new CachedRegistry(new MemoryRegistry(), { notFoundTtl: -5 })).to.throw(/notFoundTtl/);
  });
});

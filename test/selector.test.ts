/** RegistrySelector over the registry cache: strategies, retries within a call, filters, mark. */
import { expect } from 'chai';
import { internal, NoRespondersError, timeout, unavailable } from '../lib/errors';
import { CachedRegistry } from '../lib/registry/cache';
import { RegistryUnavailableError, type Node } from '../lib/registry/index';
import { MemoryRegistry, MemoryRegistryStore } from '../lib/registry/memory';
import { NatsRegistry } from '../lib/registry/nats';
import { isNoResponders, NoneAvailableError, parseStrategy } from '../lib/selector/index';
import { RegistrySelector } from '../lib/selector/registry';
import { freePort } from '../lib/testing';
import { Closer, killConnection, natsRegistryWithConnector, svc, uniqueName, uniqueTopics } from './registry-support';
import { natsUrl } from './support/nats';
import { rejection, sleep } from './support/wait';

function tally(picks: Node[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of picks) out[n.id] = (out[n.id] ?? 0) + 1;
  return out;
}

describe('selector', function () {
  const closer = new Closer();
  afterEach(() => closer.closeAll());

  /** Three registrants ("processes") of one service on real NATS, and a selector over a fourth registry. */
  async function natsSetup(strategy?: string) {
    const topics = uniqueTopics();
    const name = uniqueName('sel');
    for (const id of ['n1', 'n2', 'n3']) {
      await closer.add(new NatsRegistry({ servers: natsUrl(), ...topics })).register(svc(name, '1.0.0', [id]));
    }
    const selector = closer.add(new RegistrySelector({ registry: closer.add(new NatsRegistry({ servers: natsUrl(), ...topics })), strategy }));
    return { name, selector, topics };
  }

  /** A memory setup with versions, endpoints and node metadata to filter on. */
  async function memorySetup(strategy?: string) {
    const store = new MemoryRegistryStore();
    const reg = closer.add(new MemoryRegistry({ store }));
    const name = uniqueName('filtered');
    const hello = { name: 'Greeter.hello', metadata: {} };
    const bye = { name: 'Greeter.bye', metadata: {} };
    await reg.register(svc(name, '1', [{ id: 'v1-eu', address: 'a1', metadata: { region: 'eu', protocol: 'mucp' } }, { id: 'v1-us', address: 'a2', metadata: { region: 'us' } }], { endpoints: [hello] }));
    await reg.register(svc(name, '2', [{ id: 'v2-eu', address: 'a3', metadata: { region: 'eu' } }], { endpoints: [hello, bye] }));
    const selector = closer.add(new RegistrySelector({ registry: closer.add(new MemoryRegistry({ store })), strategy }));
    return { name, selector, reg };
  }

  it('roundRobin rotates across calls: 300 selections over 3 nodes are 100/100/100', async () => {
    const { name, selector } = await natsSetup('roundRobin');
    const picks: Node[] = [];
    for (let i = 0; i < 300; i++) picks.push((await selector.select(name))());
    expect(tally(picks)).to.deep.equal({ n1: 100, n2: 100, n3: 100 });
  });

  it('roundRobin per call: the strategy can be chosen per select', async () => {
    const { name, selector } = await natsSetup();
    const picks: Node[] = [];
    for (let i = 0; i < 30; i++) picks.push((await selector.select(name, { strategy: 'roundRobin' }))());
    expect(tally(picks)).to.deep.equal({ n1: 10, n2: 10, n3: 10 });
  });

  for (const strategy of ['random', 'roundRobin'] as const) {
    it(`${strategy}: within one call each next() gives a node not tried yet, then fails 503 "exhausted"`, async () => {
      const { name, selector } = await natsSetup(strategy);
      for (let call = 0; call < 10; call++) {
        const next = await selector.select(name);
        const tried = [next().id, next().id, next().id];
        expect([...tried].sort()).to.deep.equal(['n1', 'n2', 'n3']);
        const err = (() => { try { next(); return undefined; } catch (e) { return e as NoneAvailableError; } })();
        expect(err).to.be.instanceOf(NoneAvailableError);
        expect(err!.code).to.equal(503);
        expect(err!.reason).to.equal('exhausted');
        expect(err!.detail).to.contain(name);
      }
    });
  }

  it('random (the default) reaches every node', async () => {
    const { name, selector } = await natsSetup();
    const picks: Node[] = [];
    for (let i = 0; i < 300; i++) picks.push((await selector.select(name))());
    expect(Object.keys(tally(picks)).sort()).to.deep.equal(['n1', 'n2', 'n3']);
  });

  it('filters by version, endpoint, node metadata and a predicate', async () => {
    const { name, selector } = await memorySetup();
    const all = async (opts: Parameters<RegistrySelector['select']>[1]) => {
      const next = await selector.select(name, opts);
      const got: string[] = [];
      for (;;) { try { got.push(next().id); } catch { return got.sort(); } }
    };
    expect(await all({})).to.deep.equal(['v1-eu', 'v1-us', 'v2-eu']);
    expect(await all({ version: '1' })).to.deep.equal(['v1-eu', 'v1-us']);
    expect(await all({ endpoint: 'Greeter.bye' })).to.deep.equal(['v2-eu']);
    expect(await all({ metadata: { region: 'eu' } })).to.deep.equal(['v1-eu', 'v2-eu']);
    expect(await all({ metadata: { region: 'eu', protocol: 'mucp' } })).to.deep.equal(['v1-eu']);
    expect(await all({ version: '1', metadata: { region: 'us' } })).to.deep.equal(['v1-us']);
    expect(await all({ filter: (n, s) => s.version === '2' || n.id.endsWith('us') })).to.deep.equal(['v1-us', 'v2-eu']);
  });

  it('fails 503 naming the service when filters leave no node, or the registry knows none', async () => {
    const { name, selector } = await memorySetup();
    const filtered = await rejection(selector.select(name, { version: '9' }));
    expect(filtered).to.be.instanceOf(NoneAvailableError);
    expect(filtered.code).to.equal(503);
    expect(filtered.reason).to.equal('filtered');
    expect(filtered.detail).to.contain(name).and.to.contain('version 9');
    const missing = await rejection(selector.select('nobody-here'));
    expect(missing).to.be.instanceOf(NoneAvailableError);
    expect(missing.code).to.equal(503);
    expect(missing.reason).to.equal('not-found');
    expect(missing.detail).to.contain('nobody-here');
  });

  it('mark() with a "no responders" error evicts the node; other errors and successes do not', async () => {
    const { name, selector } = await memorySetup();
    const v1eu = { id: 'v1-eu', address: 'a1', metadata: {} };
    await selector.select(name);
    selector.mark(name, v1eu);
    selector.mark(name, v1eu, internal('greeter', 'boom'));
    selector.mark(name, v1eu, unavailable('micro.nats', 'NATS connection closed'));
    expect(selector.cache.lookup(name)!.flatMap((s) => s.nodes.map((n) => n.id))).to.include('v1-eu');
    selector.mark(name, v1eu, new NoRespondersError('micro.transport', 'no listener at a1 (no responders)'));
    expect(selector.cache.lookup(name)!.flatMap((s) => s.nodes.map((n) => n.id))).to.not.include('v1-eu');
    for (let i = 0; i < 20; i++) expect((await selector.select(name))().id).to.not.equal('v1-eu');
  });

  it('ejects a node after 3 timeouts in a row for the cool-off, then lets one call probe it; a success readmits it', async () => {
    const store = new MemoryRegistryStore();
    const name = uniqueName('outlier');
    await closer.add(new MemoryRegistry({ store })).register(svc(name, '', ['slow', 'fast']));
    const selector = closer.add(new RegistrySelector({ registry: closer.add(new MemoryRegistry({ store })), strategy: 'roundRobin',
      outlier: { failures: 3, coolOff: 300 } }));
    const slow = (await selector.select(name, { filter: (n) => n.id === 'slow' }))();
    const picks = async (k: number) => { const ids: string[] = []; for (let i = 0; i < k; i++) ids.push((await selector.select(name))().id); return ids; };
    selector.mark(name, slow, timeout('micro.client', 'no reply'));
    selector.mark(name, slow, timeout('micro.client', 'no reply'));
    expect(await picks(4)).to.include('slow', 'two timeouts do not eject');
    selector.mark(name, slow, internal(name, 'answered with an error'));
    selector.mark(name, slow, timeout('micro.client', 'no reply'));
    selector.mark(name, slow, timeout('micro.client', 'no reply'));
    expect(await picks(4)).to.include('slow', 'an answer in between ends the run');
    selector.mark(name, slow, timeout('micro.client', 'no reply'));
    expect(await picks(20)).to.not.include('slow', 'ejected after 3 in a row');
    await sleep(350);
    const after = await picks(20);
    expect(after.filter((id) => id === 'slow')).to.have.length(1, 'one probe after the cool-off');
    selector.mark(name, slow);
    expect((await picks(4)).filter((id) => id === 'slow')).to.have.length(2, 'readmitted after the probe succeeded');
    // With every candidate ejected, calls still go somewhere.
    const only = closer.add(new RegistrySelector({ registry: closer.add(new MemoryRegistry({ store })), outlier: { failures: 1, coolOff: 10_000 } }));
    for (const id of ['slow', 'fast']) only.mark(name, { id, address: '', metadata: {} }, timeout('micro.client', 'no reply'));
    expect(['slow', 'fast']).to.include((await only.select(name))().id);
    expect(() => new RegistrySelector({ registry: closer.add(new MemoryRegistry({ store })), outlier: { failures: -1 } })).to.throw(/outlier.failures/);
  });

  it('a dead node marked "no responders" is no longer selected, before its ttl runs out', async () => {
    const topics = uniqueTopics();
    const name = uniqueName('dead');
    const { registry: victim, connector } = natsRegistryWithConnector(closer, topics);
    await victim.register(svc(name, '', ['victim']));
    await closer.add(new NatsRegistry({ servers: natsUrl(), ...topics })).register(svc(name, '', ['alive']));
    const selector = closer.add(new RegistrySelector({ registry: closer.add(new NatsRegistry({ servers: natsUrl(), ...topics })), strategy: 'roundRobin' }));
    const next = await selector.select(name);
    const first = next();
    const second = next();
    expect([first.id, second.id].sort()).to.deep.equal(['alive', 'victim']);
    await killConnection(connector);
    const victimNode = first.id === 'victim' ? first : second;
    selector.mark(name, victimNode, new NoRespondersError('micro.transport', `no listener at ${victimNode.address} (no responders)`));
    for (let i = 0; i < 10; i++) expect((await selector.select(name))().id).to.equal('alive');
  });

  it('uses a given cache as is, and creates (and closes) its own otherwise', async () => {
    const reg = closer.add(new MemoryRegistry());
    const cache = closer.add(new CachedRegistry(reg));
    expect(new RegistrySelector({ registry: cache }).cache).to.equal(cache);
    const own = new RegistrySelector({ registry: reg });
    expect(own.cache).to.be.instanceOf(CachedRegistry);
    expect(own.toString()).to.equal('registry');
    await own.close();
    expect((await rejection(own.select('x'))).code).to.equal(503);
  });

  it('an unreachable registry is a 503 RegistryUnavailableError, not "not found"', async () => {
    const port = await freePort();
    const selector = closer.add(new RegistrySelector({ registry: closer.add(new NatsRegistry({ servers: `nats://127.0.0.1:${port}` })) }));
    const err = await rejection(selector.select('greeter'));
    expect(err).to.be.instanceOf(RegistryUnavailableError);
    expect(err.code).to.equal(503);
  });

  it('reads strategy names as flags give them, and rejects unknown ones', () => {
    expect(parseStrategy('random')).to.equal('random');
    for (const s of ['roundRobin', 'roundrobin', 'round_robin', 'round-robin', 'RoundRobin']) expect(parseStrategy(s)).to.equal('roundRobin');
    expect(() => parseStrategy('fastest')).to.throw(/random.*roundRobin/);
    expect(() => new RegistrySelector({ registry: new MemoryRegistry(), strategy: 'fastest' })).to.throw(/fastest/);
  });

  it('isNoResponders recognises the NoRespondersError type only, not text that looks like it', () => {
    expect(isNoResponders(new NoRespondersError('micro.transport', 'no listener at x (no responders)'))).to.equal(true);
    expect(isNoResponders(unavailable('micro.transport', 'no listener at x (no responders)'))).to.equal(false);
    expect(isNoResponders(unavailable('micro.nats', 'NATS connection is closed'))).to.equal(false);
    expect(isNoResponders(new Error('no responders'))).to.equal(false);
  });
});

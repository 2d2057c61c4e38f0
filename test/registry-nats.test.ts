/** NatsRegistry behaviour beyond the contract: go-micro wire interop, quorum, connection loss, malformed input. */
import { createInbox, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MicroError } from '../lib/errors';
import { NatsConnector } from '../lib/nats/connection';
import { CachedRegistry } from '../lib/registry/cache';
import { RegistryNotFoundError, RegistryUnavailableError, type Result } from '../lib/registry/index';
import { NatsRegistry } from '../lib/registry/nats';
import { freePort, startNatsServer, type NatsServer } from '../lib/testing';
import {
  Closer, ids, killConnection, natsRegistryWithConnector, plainConnection, svc, uniqueName, uniqueTopics,
} from './registry-support';
import { natsUrl } from './support/nats';
import { rejection, sleep, waitFor } from './support/wait';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Collects the messages on `subject` (a reply inbox or the watch subject). */
function collect(nc: NatsConnection, subject: string): Msg[] {
  const got: Msg[] = [];
  nc.subscribe(subject, { callback: (_e, m) => { got.push(m); } });
  return got;
}

describe('NATS registry', function () {
  const closer = new Closer();
  afterEach(() => closer.closeAll());

  describe('go-micro wire format (plain nats.js, no micro-nats code)', () => {
    let server: NatsServer;
    before(async () => { server = await startNatsServer(); });
    after(() => server.stop());

    it('answers a go-micro "get" query on micro.registry.nats.query with go-micro service JSON, one per version', async () => {
      const reg = closer.add(new NatsRegistry({ servers: server.url }));
      expect(reg.options()).to.include({ queryTopic: 'micro.registry.nats.query', watchTopic: 'micro.registry.nats.watch', timeout: 100, quorum: 0, registerInterval: 30_000 });
      await reg.register(svc('greeter', '1.0.0', [{ id: 'greeter-1', address: '_INBOX.abc', metadata: { protocol: 'mucp' } }], {
        metadata: { team: 'core' },
        endpoints: [{ name: 'Greeter.Hello', request: { name: 'Request', type: 'Request', values: [{ name: 'name', type: 'string' }] }, metadata: {} }],
      }));
      await reg.register(svc('greeter', '2.0.0', ['greeter-2']));
      const plain = await plainConnection(closer, server.url);
      const inbox = createInbox();
      const got = collect(plain, inbox);
      // exactly what go-micro's NATS registry sends (micro/go-micro#2293 trace)
      plain.publish('micro.registry.nats.query',
        '{"Action":"get","Service":{"name":"greeter","version":"","metadata":null,"endpoints":null,"nodes":null}}', { reply: inbox });
      await waitFor(() => got.length === 2, 'two answers');
      const answers = got.map((m) => JSON.parse(dec.decode(m.data))).sort((x, y) => x.version.localeCompare(y.version));
      for (const a of answers) expect(Object.keys(a)).to.deep.equal(['name', 'version', 'metadata', 'endpoints', 'nodes']);
      expect(answers[0]).to.deep.equal({
        name: 'greeter', version: '1.0.0', metadata: { team: 'core' },
        endpoints: [{
          name: 'Greeter.Hello',
          request: { name: 'Request', type: 'Request', values: [{ name: 'name', type: 'string', values: null }] },
          response: null,
          metadata: {},
        }],
        nodes: [{ id: 'greeter-1', address: '_INBOX.abc', metadata: { protocol: 'mucp' } }],
      });
      expect(Object.keys(answers[0].endpoints[0])).to.deep.equal(['name', 'request', 'response', 'metadata']);
      expect(Object.keys(answers[0].nodes[0])).to.deep.equal(['id', 'address', 'metadata']);
      expect(answers[1].version).to.equal('2.0.0');
      expect(got.every((m) => !m.headers)).to.equal(true);
    });

    it('answers a "list" query with every service, and ignores a "get" for a name it does not hold', async () => {
      const reg = closer.add(new NatsRegistry({ servers: server.url }));
      await reg.register(svc('lister-a', '', ['a1']));
      await reg.register(svc('lister-b', '', ['b1']));
      const plain = await plainConnection(closer, server.url);
      const listInbox = createInbox();
      const listed = collect(plain, listInbox);
      const getInbox = createInbox();
      const gotten = collect(plain, getInbox);
      const otherInbox = createInbox();
      const other = collect(plain, otherInbox);
      plain.publish('micro.registry.nats.query', '{"Action":"get","Service":{"name":"not-held"}}', { reply: otherInbox });
      plain.publish('micro.registry.nats.query', '{"Action":"list","Service":null}', { reply: listInbox });
      plain.publish('micro.registry.nats.query', '{"Action":"get","Service":{"name":"lister-a"}}', { reply: getInbox });
      await waitFor(() => listed.length === 2 && gotten.length === 1, 'answers');
      expect(listed.map((m) => JSON.parse(dec.decode(m.data)).name).sort()).to.deep.equal(['lister-a', 'lister-b']);
      // the answer to the later query arrived, so an answer to the earlier one would have too
      expect(other).to.have.length(0);
    });

    it('announces register (create), re-register (update), heartbeat (update) and deregister (delete) as go-micro watch JSON', async () => {
      const plain = await plainConnection(closer, server.url);
      const events = collect(plain, 'micro.registry.nats.watch');
      await plain.flush();
      const reg = closer.add(new NatsRegistry({ servers: server.url, registerInterval: 30 }));
      const name = uniqueName('announced');
      await reg.register(svc(name, '1', ['w1']));
      await reg.register(svc(name, '1', ['w1']));
      const mine = () => events.map((m) => JSON.parse(dec.decode(m.data))).filter((e) => e.Service?.name === name);
      await waitFor(() => mine().length >= 3, 'a heartbeat');
      await reg.deregister(svc(name, '1', ['w1']));
      await waitFor(() => mine().some((e) => e.Action === 'delete'), 'the delete');
      const evs = mine();
      expect(Object.keys(evs[0])).to.deep.equal(['Action', 'Service']);
      expect(evs.map((e) => e.Action).slice(0, 3)).to.deep.equal(['create', 'update', 'update']);
      expect(evs[evs.length - 1]).to.deep.equal({ Action: 'delete', Service: { name, version: '1', metadata: {}, endpoints: [], nodes: [{ id: 'w1', address: 'addr.w1', metadata: {} }] } });
    });

    it('finds a go-micro responder\'s service (dotted name, null fields) and merges it with ours', async () => {
      const plain = await plainConnection(closer, server.url);
      plain.subscribe('micro.registry.nats.query', {
        callback: (_e, m) => {
          const q = JSON.parse(dec.decode(m.data));
          if (m.reply && (q.Action === 'list' || q.Service?.name === 'go.micro.srv.legacy')) {
            m.respond(enc.encode('{"name":"go.micro.srv.legacy","version":"latest","metadata":null,"endpoints":null,'
              + '"nodes":[{"id":"go.micro.srv.legacy-1","address":"10.0.0.1:9090","metadata":null}]}'));
          }
        },
      });
      await plain.flush();
      const reg = closer.add(new NatsRegistry({ servers: server.url }));
      const found = await reg.getService('go.micro.srv.legacy');
      expect(found).to.deep.equal([{
        name: 'go.micro.srv.legacy', version: 'latest', metadata: {}, endpoints: [],
        nodes: [{ id: 'go.micro.srv.legacy-1', address: '10.0.0.1:9090', metadata: {} }],
      }]);
      expect((await reg.listServices()).map((s) => s.name)).to.include('go.micro.srv.legacy');
    });

    it('a go-micro "create" published by a plain client reaches watchers', async () => {
      const reg = closer.add(new NatsRegistry({ servers: server.url }));
      const w = await reg.watch({ service: 'go.micro.srv.foreign' });
      closer.add({ close: () => w.stop() });
      const plain = await plainConnection(closer, server.url);
      plain.publish('micro.registry.nats.watch', '{"Action":"create","Service":{"name":"go.micro.srv.foreign","version":"","metadata":null,"endpoints":null,"nodes":[{"id":"f1","address":"f:1","metadata":null}]}}');
      const r = await w.next();
      expect(r).to.deep.equal({ action: 'create', service: { name: 'go.micro.srv.foreign', version: '', metadata: {}, endpoints: [], nodes: [{ id: 'f1', address: 'f:1', metadata: {} }] } });
    });
  });

  describe('malformed input', () => {
    it('ignores malformed queries and unknown actions, and keeps answering', async () => {
      const topics = uniqueTopics();
      const reg = closer.add(new NatsRegistry({ servers: natsUrl(), ...topics }));
      const name = uniqueName('robust');
      await reg.register(svc(name, '', ['r1']));
      const plain = await plainConnection(closer);
      const junkInbox = createInbox();
      const junk = collect(plain, junkInbox);
      for (const bad of ['', 'not json', '{', '[]', 'null', '42', '{"Action":"frobnicate","Service":null}', '{"Action":"get"}',
        '{"Action":"get","Service":"greeter"}', `{"Action":"get","Service":{"name":""}}`, `{"Action":"GET","Service":{"name":"${name}"}}`,
        `{"action":"get","service":{"name":"${name}"}}`, '\u0000\u0001\u00ff']) {
        plain.publish(topics.queryTopic, bad, { reply: junkInbox });
      }
      plain.publish(topics.queryTopic, `{"Action":"get","Service":{"name":"${name}"}}`); // no reply subject: nothing to answer
      const okInbox = createInbox();
      const ok = collect(plain, okInbox);
      plain.publish(topics.queryTopic, `{"Action":"get","Service":{"name":"${name}"}}`, { reply: okInbox });
      await waitFor(() => ok.length === 1, 'the valid answer');
      expect(junk).to.have.length(0);
      expect(ids(await reg.getService(name))).to.deep.equal(['r1']);
    });

    it('ignores malformed answers, and watch messages that are malformed or carry unknown actions', async () => {
      const topics = uniqueTopics();
      const plain = await plainConnection(closer);
      const name = uniqueName('noisy');
      plain.subscribe(topics.queryTopic, {
        callback: (_e, m) => {
          for (const junk of ['garbage', '{"name":""}', '{"name":42}', 'null', '[1,2]']) m.respond(enc.encode(junk));
          m.respond(enc.encode(JSON.stringify({ name, version: '', nodes: [{ id: 'good', address: 'g' }, { id: '', address: 'x' }, { address: 'y' }, 7] })));
        },
      });
      await plain.flush();
      const reg = closer.add(new NatsRegistry({ servers: natsUrl(), ...topics }));
      expect(ids(await reg.getService(name))).to.deep.equal(['good']);

      const w = await reg.watch();
      closer.add({ close: () => w.stop() });
      for (const bad of ['nope', '{}', '{"Action":"create"}', '{"Action":"create","Service":null}', '{"Action":"override","Service":{"name":"x"}}',
        '{"Action":"create","Service":{"name":""}}', '{"Action":7,"Service":{"name":"x"}}']) {
        plain.publish(topics.watchTopic, bad);
      }
      plain.publish(topics.watchTopic, JSON.stringify({ Action: 'update', Service: { name, version: 'v', nodes: [{ id: 'u1', address: 'a' }] } }));
      const r = await w.next();
      expect(r.action).to.equal('update');
      expect(r.service.name).to.equal(name);
      expect(ids([r.service])).to.deep.equal(['u1']);
    });
  });

  describe('queries', () => {
    it('quorum: getService returns as soon as that many answers arrived', async () => {
      const topics = uniqueTopics();
      const name = uniqueName('quorum');
      const holder = closer.add(new NatsRegistry({ servers: natsUrl(), ...topics }));
      await holder.register(svc(name, '', ['q1']));
      const asker = closer.add(new NatsRegistry({ servers: natsUrl(), ...topics, timeout: 15_000, quorum: 1 }));
      const outcome = await Promise.race([asker.getService(name), sleep(10_000).then(() => 'waited for the timeout')]);
      expect(outcome).to.not.equal('waited for the timeout');
      expect(ids(outcome as never)).to.deep.equal(['q1']);
    });

    it('without quorum, waits the window and merges every answer', async () => {
      const topics = uniqueTopics();
      const name = uniqueName('window');
      for (let i = 0; i < 4; i++) await closer.add(new NatsRegistry({ servers: natsUrl(), ...topics })).register(svc(name, '', [`p${i}`]));
      const asker = closer.add(new NatsRegistry({ servers: natsUrl(), ...topics }));
      expect(ids(await asker.getService(name))).to.deep.equal(['p0', 'p1', 'p2', 'p3']);
    });

    it('many concurrent queries from one registry each get their own answers (one reply subscription, correlated)', async () => {
      const topics = uniqueTopics();
      const holder = closer.add(new NatsRegistry({ servers: natsUrl(), ...topics }));
      const names = Array.from({ length: 20 }, () => uniqueName('many'));
      for (const [i, n] of names.entries()) await holder.register(svc(n, '', [`m${i}`]));
      const asker = closer.add(new NatsRegistry({ servers: natsUrl(), ...topics }));
      const all = await Promise.all(names.map((n) => asker.getService(n)));
      all.forEach((found, i) => {
        expect(found[0].name).to.equal(names[i]);
        expect(ids(found)).to.deep.equal([`m${i}`]);
      });
    });

    it('with nobody subscribed to the query subject, "not found" comes from the server\'s no-responders', async () => {
      const topics = uniqueTopics();
      const asker = closer.add(new NatsRegistry({ servers: natsUrl(), ...topics, timeout: 15_000 }));
      const outcome = await Promise.race([rejection(asker.getService('absent')), sleep(10_000).then(() => 'waited for the timeout')]);
      expect(outcome).to.be.instanceOf(RegistryNotFoundError);
    });

    it('the registration bound follows the server\'s max_payload (413)', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'micro-nats-reg-'));
      writeFileSync(join(dir, 'small.conf'), 'max_payload: 2048\n');
      const small = await startNatsServer({ args: ['-c', join(dir, 'small.conf')] });
      try {
        const reg = closer.add(new NatsRegistry({ servers: small.url }));
        await reg.register(svc('small', '', ['s1'], { metadata: { fits: 'x'.repeat(500) } }));
        const err = await rejection(reg.register(svc('small', '', ['s2'], { metadata: { blob: 'x'.repeat(3000) } })));
        expect(err.code).to.equal(413);
        expect(err.detail).to.contain('2048');
        expect(ids(await reg.getService('small'))).to.deep.equal(['s1']);
      } finally {
        await closer.closeAll();
        await small.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('connection loss', () => {
    it('an unreachable NATS is a 503 error, never "not found"', async () => {
      const port = await freePort();
      const reg = closer.add(new NatsRegistry({ servers: `nats://127.0.0.1:${port}` }));
      for (const p of [reg.getService('greeter'), reg.listServices(), reg.register(svc('greeter', '', ['n'])), reg.watch()]) {
        const err = await rejection(p);
        expect(err).to.be.instanceOf(RegistryUnavailableError);
        expect(err).to.be.instanceOf(MicroError);
        expect(err.code).to.equal(503);
        expect(err.detail).to.contain(String(port));
      }
      // input is checked before NATS is needed
      expect((await rejection(reg.register(svc('bad name', '', ['n'])))).code).to.equal(400);
    });

    it('a server that goes away mid-life makes lookups fail 503 (not 404); they work again once it is back', async () => {
      const server = await startNatsServer();
      try {
        const name = uniqueName('outage');
        const holder = closer.add(new NatsRegistry({ servers: server.url }));
        await holder.register(svc(name, '', ['o1']));
        const asker = closer.add(new NatsRegistry({ servers: server.url }));
        expect(ids(await asker.getService(name))).to.deep.equal(['o1']);
        await server.kill();
        await waitFor(async () => (await rejection(asker.getService(name))) instanceof RegistryUnavailableError, 'a 503 during the outage');
        const err = await rejection(asker.getService(uniqueName('unknown')));
        expect(err).to.be.instanceOf(RegistryUnavailableError);
        expect((await rejection(asker.listServices())).code).to.equal(503);
        await server.restart();
        // nats.js reconnects and resubscribes the holder's responder
        await waitFor(async () => ids(await asker.getService(name).catch(() => [])).includes('o1'), 'the service after the outage', 10_000);
      } finally {
        await closer.closeAll();
        await server.stop();
      }
    });

    it('a registrant whose connection dies vanishes from fresh queries at once, and comes back at its next heartbeat', async () => {
      const topics = uniqueTopics();
      const name = uniqueName('dying');
      const { registry: victim, connector } = natsRegistryWithConnector(closer, { ...topics, registerInterval: 50 });
      await victim.register(svc(name, '', ['victim']));
      const sibling = closer.add(new NatsRegistry({ servers: natsUrl(), ...topics }));
      await sibling.register(svc(name, '', ['sibling']));
      const asker = closer.add(new NatsRegistry({ servers: natsUrl(), ...topics }));
      expect(ids(await asker.getService(name))).to.deep.equal(['sibling', 'victim']);
      victim.init({ registerInterval: 60_000 }); // no heartbeat for now
      await killConnection(connector);
      expect(ids(await asker.getService(name))).to.deep.equal(['sibling']);
      // the registry replaces a closed connection on next use (go-micro's stayed broken)
      victim.init({ registerInterval: 50 });
      await waitFor(async () => ids(await asker.getService(name)).includes('victim'), 'the victim after its heartbeat');
    });

    it('re-announces every service it holds as soon as its connection reconnects (not at the next heartbeat); a cache that evicted the node takes it back', async () => {
      const server = await startNatsServer();
      try {
        const topics = uniqueTopics();
        const name = uniqueName('reconnected');
        // The holder retries every 2 s, the observer every ~50-150 ms: once the server is back, the observer
        // (and its watch subscription) is back well before the holder reconnects and announces.
        const holderConnector = new NatsConnector({ servers: server.url, nats: { reconnectDelayHandler: () => 2_000 } });
        const holder = closer.add(new NatsRegistry({ connector: holderConnector, ...topics, registerInterval: 60_000 }));
        await holder.register(svc(name, '1', ['h1']));
        await holder.register(svc(name, '2', ['h2']));
        const observerConnector = new NatsConnector({ servers: server.url, nats: { reconnectTimeWait: 50 } });
        const observer = closer.add(new NatsRegistry({ connector: observerConnector, ...topics }));
        const cache = closer.add(new CachedRegistry(observer));
        expect(ids(await cache.getService(name))).to.deep.equal(['h1', 'h2']);
        // what a client does on "no responders": the cache forgets both nodes
        expect(cache.evict(name, 'h1')).to.equal(1);
        expect(cache.evict(name, 'h2')).to.equal(1);
        expect(cache.lookup(name)).to.equal(undefined);

        const w = await observer.watch({ service: name });
        closer.add({ close: () => w.stop() });
        const seen: { at: number; r: Result }[] = [];
        void (async () => { for await (const r of w) seen.push({ at: Date.now(), r }); })().catch(() => {});

        // count the holder's reconnect attempts, to restart the server right after a failed one
        const hnc = await holderConnector.current()!;
        let attempts = 0;
        void (async () => { for await (const st of hnc.status()) if (st.type === 'reconnecting') attempts++; })().catch(() => {});

        await server.kill();
        await waitFor(() => attempts > 0, 'a failed reconnect attempt of the holder', 10_000);
        const restartedAt = Date.now();
        await server.restart();

        const updated = () => seen.filter((x) => x.r.action === 'update');
        await waitFor(() => ids(updated().map((x) => x.r.service)).join() === 'h1,h2', 'the re-announcement after the reconnect (heartbeat is 60 s)', 10_000);
        for (const x of updated()) {
          expect(x.at).to.be.at.least(restartedAt);
          expect(x.r.service.name).to.equal(name);
        }
        expect(updated().map((x) => x.r.service.version).sort()).to.deep.equal(['1', '2']);
        expect(seen.every((x) => x.r.action === 'update')).to.equal(true);
        // the cache heard the same announcement on its watch: the evicted nodes are back without a query
        await waitFor(() => ids(cache.lookup(name) ?? []).join() === 'h1,h2', 'the evicted nodes back in the cache', 5_000);
        expect(ids(await cache.getService(name))).to.deep.equal(['h1', 'h2']);
      } finally {
        await closer.closeAll();
        await server.stop();
      }
    });

    it('on a shared connection, a forced reconnect re-announces the open registry\'s services; a closed registry no longer reacts; one status listener per connection however many share it', async () => {
      const topics = uniqueTopics();
      const connector = new NatsConnector({ servers: natsUrl() });
      const stays = closer.add(new NatsRegistry({ connector, ...topics, registerInterval: 60_000 }));
      const gone = closer.add(new NatsRegistry({ connector, ...topics, registerInterval: 60_000 }));
      const kept = uniqueName('kept');
      const dropped = uniqueName('dropped');
      await stays.register(svc(kept, '', ['k1']));
      await gone.register(svc(dropped, '', ['d1']));
      const nc = await connector.current()!;
      // nats.js keeps one listener per status iterator on the connection
      const listeners = () => (nc as unknown as { protocol: { listeners: unknown[] } }).protocol.listeners.length;
      // the connector follows the connection's status once; its users hold no status loop of their own
      expect(listeners()).to.equal(1);
      await gone.close();
      expect(listeners()).to.equal(1);
      expect(nc.isClosed()).to.equal(false);

      const plain = await plainConnection(closer);
      const events = collect(plain, topics.watchTopic);
      await plain.flush();
      await nc.reconnect();
      const announced = () => events.map((m) => JSON.parse(dec.decode(m.data)));
      await waitFor(() => announced().some((e) => e.Action === 'update' && e.Service?.name === kept), 'the re-announcement after the forced reconnect', 10_000);
      // NATS keeps one connection's order: once this marker arrived, so did anything sent before it
      nc.publish(topics.watchTopic, JSON.stringify({ Action: 'marker' }));
      await waitFor(() => announced().some((e) => e.Action === 'marker'), 'the marker', 5_000);
      expect(announced().filter((e) => e.Service?.name === dropped)).to.deep.equal([]);
      expect(listeners()).to.equal(1);
      await stays.close();
      expect(connector.current()).to.equal(undefined);
      expect(nc.isClosed()).to.equal(true);
    });

    it('registries sharing one connector are independent: closing one leaves the other working', async () => {
      const topics = uniqueTopics();
      const connector = new NatsConnector({ servers: natsUrl() });
      const one = closer.add(new NatsRegistry({ connector, ...topics }));
      const two = closer.add(new NatsRegistry({ connector, ...topics }));
      const name = uniqueName('shared');
      await one.register(svc(name, '', ['s1']));
      await two.register(svc(name, '', ['s2']));
      expect(ids(await two.getService(name))).to.deep.equal(['s1', 's2']);
      await one.close();
      expect(ids(await two.getService(name))).to.deep.equal(['s2']);
      await two.close();
      expect(connector.current()).to.equal(undefined);
    });

    it('a watcher whose connection closes fails with 503', async () => {
      const { registry, connector } = natsRegistryWithConnector(closer, uniqueTopics());
      const w = await registry.watch();
      const pending = rejection(w.next());
      await killConnection(connector);
      const err = await pending;
      expect(err).to.be.instanceOf(RegistryUnavailableError);
      expect(err.code).to.equal(503);
    });
  });
});

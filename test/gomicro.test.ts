/**
 * Interoperation with go-micro, at the wire: a plain nats.js peer sends and expects exactly the frames each
 * go-micro generation sends and expects (test/fixtures/gomicro, each fixture naming the go-micro file it
 * follows), in both directions, with default settings on both sides.
 */
import { expect } from 'chai';
import { connect, createInbox, type NatsConnection } from '@nats-io/transport-node';
import { buildComponents, type Components } from '../lib/components';
import type { Context } from '../lib/context';
import { NatsRegistry } from '../lib/registry/nats';
import { startNatsServer, type NatsServer } from '../lib/testing';
import { GENERATIONS } from './fixtures/gomicro/generations';
import { event, fromB64, parseEnvelope, service } from './fixtures/gomicro/frames';
import { GoMicroPeer, Inbox } from './fixtures/gomicro/peer';
import { sleep, waitFor } from './support/wait';

const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe('go-micro interoperation (wire fixtures)', function () {
  this.timeout(20_000);
  let server: NatsServer;
  let nc: NatsConnection;
  before(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
  });
  after(async () => {
    await nc.close();
    await server.stop();
  });

  GENERATIONS.forEach((g, gi) => describe(g.name, () => {
    let c: Components;
    let peer: GoMicroPeer;
    const name = `mn-${gi}`;
    let ran = 0;
    let streamed = 0;
    let stopped = 0;
    const events: Array<{ body: unknown; ctx: Context }> = [];
    const failed: unknown[] = [];
    before(async () => {
      c = buildComponents({ address: server.url, errorHandler: (ev) => { failed.push(ev.error()); } });
      peer = new GoMicroPeer(nc, g);
      const s = c.server({ name });
      s.handle('Greeter.Hello', (r: { name: string }) => { ran++; return { msg: `hi ${r.name}` }; });
      s.handle('Greeter.Count', async function* (r: { n: number }) {
        streamed++;
        try {
          for (let i = 1; i <= r.n; i++) { yield i; if (r.n > 3) await sleep(50); }
        } finally { stopped++; }
      }, { stream: true });
      s.subscribe(`ev.${gi}`, (body: unknown, ctx: Context) => { events.push({ body, ctx }); });
      await s.start();
    });
    after(async () => { await c.close(); });
    const address = () => c.registry.getService(name).then((s) => s[0].nodes[0].address);

    it('go-micro finds our service on its registry subjects; we find it on them, each node once', async () => {
      const found = await peer.lookup(name);
      expect(found.map((s) => s.name)).to.deep.equal([name]);
      const gm = service(`gm-${gi}`, createInbox(), { endpoint: 'Greeter.Hello' });
      await peer.register(gm);
      const ours = await c.registry.getService(`gm-${gi}`);
      expect(ours[0].nodes.map((n) => n.id)).to.deep.equal([gm.nodes[0].id]);
      // Our own node answers on both subject pairs; a lookup merges the answers into one node.
      const self = await buildComponents({ address: server.url }).registry;
      expect((await self.getService(name))[0].nodes).to.have.length(1);
      await self.close();
    });

    it('go-micro calls us: the reply carries its id; 4xx errors come back as go-micro errors', async () => {
      const before = ran;
      const { msg, env } = await peer.call(await address(), name, 'Greeter.Hello', JSON.stringify({ name: 'bob' }));
      expect(msg.headers, 'no NATS headers toward go-micro').to.equal(undefined);
      expect(env.Header['Micro-Error']).to.equal(undefined);
      expect(env.Header[g.idHeader] ?? env.Header['Micro-Id']).to.equal('0');
      expect(JSON.parse(fromB64(env.Body))).to.deep.equal({ msg: 'hi bob' });
      expect(ran - before).to.equal(1);
      const bad = await peer.call(await address(), name, 'Greeter.Nope', '{}');
      expect(JSON.parse(bad.env.Header['Micro-Error'])).to.include({ code: 404 });
    });

    it('we call go-micro: both id spellings go out, its reply is matched, its errors keep their code', async () => {
      const addr = createInbox();
      const gm = service(`gmc-${gi}`, addr, { endpoint: 'Greeter.Hello' });
      const seen = peer.serve(addr, {
        unary: (r) => ((r as { name: string }).name === 'err'
          ? new Error(JSON.stringify({ id: 'gm', code: 404, detail: 'no such user', status: 'Not Found' }))
          : { msg: `hello ${(r as { name: string }).name}` }),
      });
      await peer.register(gm);
      expect(await c.client.call(`gmc-${gi}`, 'Greeter.Hello', { name: 'ann' }, { timeout: 2_000 })).to.deep.equal({ msg: 'hello ann' });
      const h = seen.frames[0].env.Header;
      expect(seen.frames[0].headers, 'envelope only').to.equal(undefined);
      expect(h['Micro-Id']).to.be.a('string').and.equal(h['Micro-ID']);
      expect(h).to.include({ 'Micro-Service': `gmc-${gi}`, 'Micro-Endpoint': 'Greeter.Hello', 'Micro-Method': 'Greeter.Hello', 'Content-Type': 'application/json' });
      expect(h.Timeout).to.match(/^\d{7,}$/);
      const err = await c.client.call(`gmc-${gi}`, 'Greeter.Hello', { name: 'err' }, { timeout: 2_000 }).then(() => undefined, (e) => e);
      expect(err).to.include({ code: 404, detail: 'no such user' });
    });

    it("go-micro streams from us: items, then EOS; its closing EOS runs nothing", async () => {
      const runs = streamed;
      const s = peer.openStream(await address(), name, 'Greeter.Count', JSON.stringify({ n: 3 }));
      const items = [];
      for (let i = 0; ; i++) {
        const env = parseEnvelope((await s.inbox.nth(i)).data);
        if (env.Header['Micro-Error'] !== undefined) { expect(env.Header['Micro-Error']).to.equal('EOS'); expect(env.Body).to.equal(null); break; }
        items.push(JSON.parse(fromB64(env.Body)));
      }
      expect(items).to.deep.equal([1, 2, 3]);
      const count = s.inbox.frames.length;
      peer.closeStream(await address(), s);
      await nc.flush();
      await sleep(200);
      expect(streamed - runs, 'handler runs').to.equal(1);
      expect(s.inbox.frames.length, 'no answer to EOS').to.equal(count);
    });

    for (const [kind, first, second, n] of [
      ['a protoc-gen-micro client (empty request, then the request)', '{}', '{"n":2}', 2],
      ['a client that sends the request in both frames', '{"n":4}', '{"n":4}', 4],
    ] as const) {
      it(`go-micro streams from us, ${kind}: the handler runs once, on the request`, async () => {
        const runs = streamed;
        const s = peer.openStream(await address(), name, 'Greeter.Count', first, second);
        const items = [];
        for (let i = 0; ; i++) {
          const env = parseEnvelope((await s.inbox.nth(i)).data);
          if (env.Header['Micro-Error'] !== undefined) { expect(env.Header['Micro-Error']).to.equal('EOS'); break; }
          items.push(JSON.parse(fromB64(env.Body)));
        }
        expect(items).to.deep.equal(Array.from({ length: n }, (_, i) => i + 1));
        peer.closeStream(await address(), s);
        await nc.flush();
        expect(streamed - runs, 'handler runs').to.equal(1);
      });
    }

    it("go-micro's EOS in the middle of a stream stops our generator", async () => {
      const stops = stopped;
      const s = peer.openStream(await address(), name, 'Greeter.Count', JSON.stringify({ n: 1000 }));
      await s.inbox.nth(0);
      peer.closeStream(await address(), s);
      await waitFor(() => stopped > stops, 'the generator to stop');
      const n = s.inbox.frames.length;
      await sleep(150);
      expect(s.inbox.frames.length).to.be.at.most(n + 1);
      expect(n).to.be.lessThan(100);
    });

    it('we stream from go-micro: envelope framing, request again as frame 2, its EOS ends, our close sends EOS', async () => {
      const addr = createInbox();
      const seen = peer.serve(addr, { stream: (r) => [10, 20, (r as { n: number }).n] });
      await peer.register(service(`gms-${gi}`, addr, { stream: 'Greeter.Count' }));
      const got: number[] = [];
      for await (const x of c.client.stream<number>(`gms-${gi}`, 'Greeter.Count', { n: 7 })) got.push(x);
      expect(got).to.deep.equal([10, 20, 7]);
      await waitFor(() => seen.frames.length === 3, 'open, request and EOS frames');
      const [open, req, eos] = seen.frames.map((f) => f.env.Header);
      for (const h of [open, req, eos]) {
        expect(h['Micro-Stream']).to.be.a('string').and.equal(h['Micro-Id']).and.equal(h['Micro-ID']);
        expect(h).to.include({ 'Micro-Service': `gms-${gi}`, 'Micro-Endpoint': 'Greeter.Count', 'Micro-Method': 'Greeter.Count' });
      }
      expect(JSON.parse(fromB64(seen.frames[1].env.Body))).to.deep.equal({ n: 7 });
      expect(eos['Micro-Error']).to.equal('EOS');
      expect(seen.frames[2].env.Body).to.equal(null);
    });

    it("go-micro's events reach our subscriber decoded, envelope headers as metadata; malformed ones harm nothing", async () => {
      events.length = 0;
      nc.publish(`ev.${gi}`, '{"Header":5,"Body":"x"}');
      nc.publish(`ev.${gi}`, '{"Header":{"a":"b"},"Body":"%%%"');
      nc.publish(`ev.${gi}`, event(g, `ev.${gi}`, JSON.stringify({ user: 'zoe' }), { 'X-Tenant': 'acme' }));
      await waitFor(() => events.some((e) => (e.body as { user?: string })?.user === 'zoe'), 'the go-micro event');
      // Not envelopes: the first is an ordinary JSON payload, the second is reported as undecodable (400).
      expect(events.map((e) => e.body)).to.deep.include({ Header: 5, Body: 'x' });
      expect(failed).to.have.length(1);
      expect(failed[0]).to.include({ code: 400 });
      const e = events.find((x) => (x.body as { user?: string })?.user === 'zoe')!;
      expect(e.body).to.deep.equal({ user: 'zoe' });
      expect(e.ctx.metadata['x-tenant']).to.equal('acme');
      expect(e.ctx.id).to.equal('6f1c2d3e-1111-4222-8333-944455566677');
    });

    it('our events reach go-micro subscribers in its envelope; other topics stay native', async () => {
      const topic = `gm.ev.${gi}`;
      await peer.register(service(`gmsub-${gi}`, createInbox(), { topic }));
      const app = buildComponents({ address: server.url });
      const gmSub = new Inbox(nc, topic);
      const native = new Inbox(nc, `native.ev.${gi}`);
      await nc.flush();
      await app.client.publish(topic, { user: 'amy' });
      await app.client.publish(`native.ev.${gi}`, { user: 'sam' });
      const m = await gmSub.nth(0);
      expect(m.headers, 'no NATS headers').to.equal(undefined);
      const env = parseEnvelope(m.data);
      expect(env.Header).to.include({ 'Content-Type': 'application/json', 'Micro-Topic': topic });
      expect(env.Header['Micro-Id']).to.be.a('string').and.equal(env.Header['Micro-ID']);
      expect(JSON.parse(fromB64(env.Body))).to.deep.equal({ user: 'amy' });
      const n = await native.nth(0);
      expect(n.headers, 'a native JSON event is a plain NATS message').to.equal(undefined);
      expect(JSON.parse(dec(n.data))).to.deep.equal({ user: 'sam' });
      await app.close();
    });
  }));

  it('a registration goes out on both pairs, and a watch on both sees it once', async () => {
    const reg = new NatsRegistry({ servers: server.url });
    const w = await reg.watch({ service: 'twice' });
    const plugins = new Inbox(nc, 'micro.registry.nats.watch');
    const builtin = new Inbox(nc, 'micro.nats.watch');
    await nc.flush();
    await reg.register({ name: 'twice', version: '1', metadata: {}, endpoints: [], nodes: [{ id: 'twice-1', address: 'a.b', metadata: {} }] });
    await reg.register({ name: 'twice', version: '1', metadata: {}, endpoints: [], nodes: [{ id: 'twice-2', address: 'a.c', metadata: {} }] });
    await plugins.nth(1);
    await builtin.nth(1);
    const seen = [(await w.next()).service.nodes.map((n) => n.id), (await w.next()).service.nodes.map((n) => n.id)];
    expect(seen.flat()).to.include.members(['twice-1', 'twice-2']);
    await reg.deregister({ name: 'twice', version: '1', metadata: {}, endpoints: [], nodes: [{ id: 'twice-1', address: 'a.b', metadata: {} }] });
    expect((await w.next()).action, 'the next event is the delete, not a copy').to.equal('delete');
    w.stop();
    await reg.close();
  });

  it('NATS permissions for one subject pair only: registering, lookups and watches work on that pair', async () => {
    const limited = await startNatsServer({ config: `authorization { users = [ { user: u, password: p, permissions: {
      publish: { deny: ["micro.nats.>"] }, subscribe: { deny: ["micro.nats.>"] } } } ] }` });
    const url = `nats://u:p@${limited.url.slice('nats://'.length)}`;
    const a = new NatsRegistry({ servers: url });
    const b = new NatsRegistry({ servers: url });
    try {
      const w = await b.watch({ service: 'one-pair' });
      await a.register({ name: 'one-pair', version: '1', metadata: {}, endpoints: [], nodes: [{ id: 'op-1', address: 'x.y', metadata: {} }] });
      expect((await w.next()).service.nodes.map((n) => n.id)).to.deep.equal(['op-1']);
      expect((await b.getService('one-pair'))[0].nodes).to.have.length(1);
      w.stop();
    } finally {
      await a.close();
      await b.close();
      await limited.stop();
    }
  });

  it('registrySubjects limits the registry to the subjects named', async () => {
    const only = buildComponents({ address: server.url, registrySubjects: ['micro.nats'] });
    const plugins = new Inbox(nc, 'micro.registry.nats.watch');
    const builtin = new Inbox(nc, 'micro.nats.watch');
    await nc.flush();
    const s = only.server({ name: 'only-v5' });
    await s.start();
    await builtin.nth(0);
    await sleep(100);
    expect(plugins.frames).to.have.length(0);
    expect(await new GoMicroPeer(nc, GENERATIONS[0]).lookup('only-v5')).to.have.length(0);
    expect(await new GoMicroPeer(nc, GENERATIONS[2]).lookup('only-v5')).to.have.length(1);
    await only.close();
  });
});

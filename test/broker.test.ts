import { expect } from 'chai';
import type { Broker, BrokerOptions, Event } from '../lib/broker/index';
import { NatsBroker } from '../lib/broker/nats';
import { Codes, forbidden, MicroError } from '../lib/errors';
import { Refusals } from '../lib/broker/refusals';
import { NatsConnector } from '../lib/nats/connection';
import { freePort, startNatsServer, type NatsServer } from '../lib/testing';
import { brokerContract } from '../lib/testing/contract';
import { brokerImpls, bytes, gate, msg, record, text } from './broker-support';
import { natsUrl } from './support/nats';
import { rejection, sleep, waitFor } from './support/wait';

for (const impl of brokerImpls()) brokerContract(impl);

describe('NatsBroker (NATS-specific)', () => {
  it('shares one connection through a connector and still ends its own subscriptions on disconnect', async () => {
    const connector = new NatsConnector({ servers: natsUrl() });
    const a = new NatsBroker({ connector });
    const b = new NatsBroker({ connector });
    await a.connect();
    await a.connect(); // idempotent: one reference, not two
    await b.connect();
    const nc = await connector.current()!;
    const topic = `broker.shared.${process.pid}`;
    const ra = await record(a, topic);
    const rb = await record(b, topic);
    await a.publish(topic, msg('1'));
    await waitFor(() => ra.events.length === 1 && rb.events.length === 1, 'the message at both');
    const c = new NatsBroker({ connector, drain: false });
    await c.connect();
    const rc = await record(c, topic);
    await a.disconnect(); // drained
    await c.disconnect(); // not drained
    expect(nc.isClosed()).to.equal(false); // b still uses it
    const before = nc.stats().inMsgs;
    await b.publish(topic, msg('2'));
    await waitFor(() => rb.events.length === 2, 'the second message at b');
    await nc.flush(); // every message the server sent this connection has arrived
    expect(nc.stats().inMsgs - before).to.equal(1); // only b's subscription is left on the server
    expect(ra.bodies).to.deep.equal(['1']); // a's subscription ended though the connection is open
    expect(rc.bodies).to.deep.equal([]);
    await b.disconnect();
    await waitFor(() => nc.isClosed(), 'the shared connection to close with its last user');
    expect(connector.current()).to.equal(undefined);
  });

  it('rejects connect() with 503 when no NATS server answers', async () => {
    const port = await freePort();
    const b = new NatsBroker({ servers: `nats://127.0.0.1:${port}` });
    expect(b.address()).to.equal(`nats://127.0.0.1:${port}`);
    const err = await rejection(b.connect());
    expect(err).to.be.instanceOf(MicroError).with.property('code', Codes.Unavailable);
    expect((await rejection(b.publish('x', msg('x')))).code).to.equal(Codes.Unavailable);
  });

  describe('with a configured server (small max_payload, publish and subscribe permissions)', () => {
    let server: NatsServer;
    const nats = { user: 'u', pass: 'p' };
    before(async () => {
      server = await startNatsServer({ config: [
        'max_payload: 4096',
        'authorization { users = [ { user: u, password: p, permissions: { subscribe: { deny: ["secret.>"] }, publish: { deny: ["forbidden.>"] } } } ] }',
      ].join('\n') });
    });
    after(async () => { await server?.stop(); });

    it('rejects 413 naming the server limit, and the same broker keeps publishing', async () => {
      const b = new NatsBroker({ servers: server.url, nats });
      await b.connect();
      try {
        const r = await record(b, 'big');
        const err = await rejection(b.publish('big', { header: {}, body: new Uint8Array(5_000) }));
        expect(err.code).to.equal(Codes.PayloadTooLarge);
        expect(err.detail).to.contain('4096');
        await b.publish('big', { header: {}, body: new Uint8Array(4_000) });
        await waitFor(() => r.events.length === 1, 'a message under the limit');
        expect(r.events[0].message().body.length).to.equal(4_000);
      } finally {
        await b.disconnect();
      }
    });

    it('fails publishes to a subject NATS refused with 403 naming it, once the refusal arrived; other subjects go on', async () => {
      const b = new NatsBroker({ servers: server.url, nats });
      await b.connect();
      try {
        const r = await record(b, 'public.ok');
        // The first refused publish resolves (handed to the socket); NATS's refusal follows within a round trip.
        await b.publish('forbidden.orders', msg('1'));
        let err: MicroError | undefined;
        await waitFor(async () => { err = await b.publish('forbidden.orders', msg('n')).then(() => undefined, (e) => e); return !!err; },
          'a publish rejected 403', 5_000);
        expect(err!.code).to.equal(Codes.Forbidden);
        expect(err!.detail).to.contain('"forbidden.orders"').and.contain('publish');
        // Only that subject: an allowed one publishes, and another refused one is refused only once NATS said so.
        await b.publish('public.ok', msg('ok'));
        await waitFor(() => r.events.length === 1, 'a message on an allowed subject');
        await b.publish('forbidden.other', msg('1'));
        expect((await rejection(b.publish('forbidden.orders', msg('again')))).code).to.equal(Codes.Forbidden);
      } finally {
        await b.disconnect();
      }
    });

    it('forgets a refusal after its retry time, so a restored permission is used again', async () => {
      const refusals = new Refusals(50);
      refusals.note('x.y', forbidden('micro.nats', 'NATS refused the publish to "x.y"'));
      expect(() => refusals.check('x.y')).to.throw(MicroError).with.property('code', Codes.Forbidden);
      expect(() => refusals.check('x.z')).to.not.throw();
      await sleep(80);
      expect(() => refusals.check('x.y')).to.not.throw();
      expect(() => refusals.check('x.y')).to.not.throw();
    });

    it('reports a subscription the server refuses to the errorHandler, and other subscriptions go on', async () => {
      const failed: Event[] = [];
      const b = new NatsBroker({ servers: server.url, nats, errorHandler: (e) => { failed.push(e); } });
      await b.connect();
      try {
        await b.subscribe('secret.plans', () => {});
        await waitFor(() => failed.length === 1, 'the permissions violation');
        expect(failed[0].topic()).to.equal('secret.plans');
        expect(failed[0].error()!.message.toLowerCase()).to.contain('permission');
        const r = await record(b, 'public.news');
        await b.publish('public.news', msg('ok'));
        await waitFor(() => r.events.length === 1, 'a message on an allowed topic');
        expect(r.bodies).to.deep.equal(['ok']);
      } finally {
        await b.disconnect();
      }
    });
  });

  describe('across a nats-server restart', () => {
    let server: NatsServer;
    before(async () => { server = await startNatsServer(); });
    after(async () => { await server?.stop(); });

    it('resumes delivery on the same subscriptions after the server restarts', async function () {
      this.timeout(30_000);
      const sub = new NatsBroker({ servers: server.url });
      const pub = new NatsBroker({ servers: server.url });
      await sub.connect();
      await pub.connect();
      try {
        const plain = await record(sub, 'restart.t');
        const queued = await record(sub, 'restart.t', { queue: 'q' });
        await pub.publish('restart.t', msg('before'));
        await waitFor(() => plain.events.length === 1 && queued.events.length === 1, 'delivery before the restart');
        await server.kill();
        await server.restart();
        let n = 0;
        const arrived = () => plain.bodies.some((b) => b.startsWith('after')) && queued.bodies.some((b) => b.startsWith('after'));
        // Publishes made while the clients reconnect may be lost (at-most-once): publish until one arrives.
        await waitFor(async () => { await pub.publish('restart.t', msg(`after ${n++}`)).catch(() => undefined); return arrived(); },
          'delivery after the restart', 20_000);
        expect(plain.bodies[0]).to.equal('before');
        expect(queued.bodies[0]).to.equal('before');
      } finally {
        await Promise.all([sub.disconnect({ drain: false }), pub.disconnect({ drain: false })]);
      }
    });

    it('disconnects within the bound while the server is down (no drain deadlock)', async function () {
      this.timeout(30_000);
      const b = new NatsBroker({ servers: server.url, drainTimeout: 300 });
      await b.connect();
      const r = await record(b, 'down.t');
      await b.publish('down.t', msg('1'));
      await waitFor(() => r.events.length === 1, 'a message before the server goes down');
      await server.kill();
      try {
        await b.disconnect(); // draining needs the server; the bound ends it
        expect((await rejection(b.publish('down.t', msg('2')))).code).to.equal(Codes.Unavailable);
      } finally {
        await server.restart();
      }
      await b.connect();
      const again = await record(b, 'down.t');
      await b.publish('down.t', msg('3'));
      await waitFor(() => again.events.length === 1, 'a message after connecting again');
      expect(r.bodies).to.deep.equal(['1']);
      await b.disconnect();
    });
  });
});

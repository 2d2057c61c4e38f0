/**
 * What the JetStream broker adds to the broker contract (which runs on it in broker.test.ts): stored events
 * survive crashed subscribers, subscribers that are down, a server restart and a cluster node's death;
 * failing events are redelivered and then dead-lettered; publishes deduplicate by id; replay from a sequence.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import 'reflect-metadata';
import { expect } from 'chai';
import type { Delivery, Event, SubscribeOptions } from '../lib/broker/index';
import { JetStreamBroker, type JetStreamBrokerOptions } from '../lib/broker/jetstream';
import { DEAD_LETTER_HEADERS } from '../lib/broker/jetstream-names';
import type { DurableSubscribeOptions } from '../lib/broker/jetstream-options';
import { Codes, ConfigError, MicroError } from '../lib/errors';
import { NatsConnector } from '../lib/nats/connection';
import { bootstrap, Service, Subscribe, type Context } from '../index';
import { resolveConfig } from '../lib/config';
import { startNatsCluster, startNatsServer, type NatsCluster, type NatsServer } from '../lib/testing';
import { msg, record, text } from './broker-support';
import { natsUrl } from './support/nats';
import { rejection, sleep, waitFor } from './support/wait';

let seq = 0;
const unique = (s: string) => `${s}${process.pid}x${++seq}`;
/** JetStream options through the contract's record() helper. */
const durable = (o: DurableSubscribeOptions): SubscribeOptions => o;

describe('JetStreamBroker', function () {
  this.timeout(20_000);
  let made: JetStreamBroker[] = [];
  const broker = async (stream: string, o: JetStreamBrokerOptions = {}, servers: string | string[] = natsUrl()) => {
    const b = new JetStreamBroker({ servers, ...o, jetstream: { stream: { name: stream, storage: 'memory' }, ...o.jetstream } });
    made.push(b);
    await b.connect();
    return b;
  };
  afterEach(async () => {
    await Promise.all(made.map((b) => b.disconnect({ drain: false })));
    made = [];
  });

  it('ends its subscriptions when the connector reports the connection closed for good, and connects afresh', async () => {
    const name = unique('LIFE');
    const connector = new NatsConnector({ servers: natsUrl() });
    const b = await broker(name, { connector });
    const r = await record(b, `${name}.t`);
    const nc = await connector.acquire(); // the same shared connection
    await nc.close();
    // The broker gave the connection back: "not connected", not a failed store on a closed connection.
    await waitFor(async () => (await rejection(b.publish(`${name}.t`, msg('x')))).detail.includes('broker not connected'), 'the broker to let go');
    await b.connect();
    const again = await record(b, `${name}.t`);
    await b.publish(`${name}.t`, msg('again'));
    await waitFor(() => again.bodies.length === 1, 'an event after connecting afresh');
    expect(r.bodies).to.deep.equal([]);
  });

  describe('streams', () => {
    it('creates the stream, binds it again, and rejects 409 naming a setting that conflicts', async () => {
      const name = unique('CONF');
      await broker(name, { jetstream: { stream: { name, subjects: [`${name}.>`], storage: 'memory', maxAge: 60_000 } } });
      await broker(name, { jetstream: { stream: { name, subjects: [`${name}.>`], storage: 'memory', maxAge: 60_000 } } });
      const other = new JetStreamBroker({ servers: natsUrl(), jetstream: { stream: { name, subjects: [`${name}.>`], storage: 'memory', maxAge: 1_000 } } });
      const err = await rejection(other.connect());
      expect(err).to.be.instanceOf(MicroError).with.property('code', Codes.Conflict);
      expect(err.detail).to.contain('max_age');
      const nc = await connect({ servers: natsUrl() });
      const info = await (await jetstreamManager(nc)).streams.info(name);
      await nc.close();
      expect(info.config.max_age).to.equal(60_000 * 1e6); // not re-created
    });

    it('rejects 400 a topic outside configured subjects; without subjects, captures each topic used', async () => {
      const name = unique('SUBJ');
      const fixed = await broker(name, { jetstream: { stream: { name, subjects: [`${name}.in.>`], storage: 'memory' } } });
      expect((await rejection(fixed.publish(`${name}.out`, msg('x')))).code).to.equal(Codes.BadRequest);
      expect((await rejection(fixed.subscribe(`${name}.out`, () => {}))).code).to.equal(Codes.BadRequest);
      const managed = await broker(unique('MANAGED'));
      const free = `m${name}`; // topics no other stream captures
      const r = await record(managed, `${free}.a.*`);
      await managed.publish(`${free}.a.b`, msg('1'));
      await managed.publish(`${free}.c`, msg('2'));
      await waitFor(() => r.bodies.length === 1, 'the event');
      expect(r.bodies).to.deep.equal(['1']);
      // Overlapping subjects in one stream are refused by the server: a partial overlap is a 400, not stored twice.
      expect((await rejection(managed.subscribe(`${free}.*.b`, () => {})))).to.be.instanceOf(MicroError).with.property('code', Codes.BadRequest);
      const wider = await record(managed, `${free}.>`); // covers both: replaces them
      await managed.publish(`${free}.a.b`, msg('3'));
      await waitFor(() => wider.bodies.length === 1 && r.bodies.length === 2, 'the event at both subscriptions');
    });
  });

  it('binds a durable consumer again by name, and rejects 409 when the name is taken for another topic', async () => {
    const stream = unique('DUR');
    const b = await broker(stream);
    const first = await record(b, `${stream}.a`, durable({ durable: 'audit' }));
    await first.sub.unsubscribe();
    await b.publish(`${stream}.a`, msg('while away'));
    const again = await record(b, `${stream}.a`, durable({ durable: 'audit', ackWait: 5_000 }));
    await waitFor(() => again.bodies.length === 1, 'the event published while unsubscribed');
    expect(again.sub.options()).to.deep.equal({ durable: 'audit' });
    const err = await rejection(b.subscribe(`${stream}.b`, () => {}, { durable: 'audit' }));
    expect(err).to.be.instanceOf(MicroError).with.property('code', Codes.Conflict);
    expect(err.detail).to.contain(`exists for "${stream}.a"`);
    // Ephemeral consumers go with their subscriptions (after a drain too); the durable one stays.
    await b.subscribe(`${stream}.a`, () => {});
    await b.subscribe(`${stream}.b`, () => {});
    const consumers = async () => {
      const nc = await connect({ servers: natsUrl() });
      const names: string[] = [];
      for await (const c of (await jetstreamManager(nc)).consumers.list(stream)) names.push(c.name);
      await nc.close();
      return names;
    };
    expect(await consumers()).to.have.length(3);
    await b.disconnect();
    await waitFor(async () => (await consumers()).length === 1, 'only the durable consumer left');
    expect(await consumers()).to.deep.equal(['audit']);
  });

  it('acks after the handler: ctx delivery info counts attempts; a failing event is redelivered, then dead-lettered once', async () => {
    const stream = unique('DLQ');
    const topic = `${stream}.orders`;
    const b = await broker(stream, { jetstream: { nakDelay: 50, deadLetterPrefix: 'dead' }, errorHandler: () => {} });
    const dead = await connect({ servers: natsUrl() });
    const letters: { header: Record<string, string>; body: string }[] = [];
    dead.subscribe(`dead.${topic}`, { callback: (_e, m) => {
      const header: Record<string, string> = {};
      for (const k of m.headers!.keys()) header[k] = m.headers!.get(k);
      letters.push({ header, body: m.string() });
    } });
    await dead.flush();
    const deliveries: Delivery[] = [];
    await b.subscribe(topic, (e) => { deliveries.push(e.delivery!()); throw new MicroError('test', 422, 'no stock'); }, { maxDeliver: 3 });
    const ok: string[] = [];
    await b.subscribe(`${stream}.fine`, async (e) => { ok.push(text(e)); });
    await b.publish(topic, msg('order-1', { 'X-Trace': 't1' }));
    await b.publish(`${stream}.fine`, msg('fine'));
    await waitFor(() => letters.length === 1, 'the dead letter');
    await sleep(300); // ample for a 4th delivery or a 2nd dead letter at a 50 ms redelivery delay
    expect(deliveries.map((d) => [d.attempt, d.redelivered])).to.deep.equal([[1, false], [2, true], [3, true]]);
    expect(new Set(deliveries.map((d) => d.streamSequence)).size).to.equal(1);
    expect(letters).to.have.length(1);
    expect(letters[0].body).to.equal('order-1');
    expect(letters[0].header).to.include({ 'X-Trace': 't1', [DEAD_LETTER_HEADERS.error]: 'no stock', [DEAD_LETTER_HEADERS.code]: '422',
      [DEAD_LETTER_HEADERS.topic]: topic, [DEAD_LETTER_HEADERS.deliveries]: '3' });
    expect(ok).to.deep.equal(['fine']);
    await dead.close();
  });

  it('stores duplicate publishes with one id once, and replays in order from a stream sequence or a time', async () => {
    const stream = unique('DEDUP');
    const topic = `${stream}.t`;
    const b = await broker(stream);
    await b.subscribe(topic, () => {}); // captures the topic
    for (let i = 0; i < 3; i++) await b.publish(topic, msg('once'), { id: 'order-42' });
    for (const s of ['a', 'b', 'c', 'd']) await b.publish(topic, msg(s));
    const all = await record(b, topic, durable({ deliverPolicy: 'all' }));
    await waitFor(() => all.bodies.length === 5, 'five stored events');
    await sleep(100);
    expect(all.bodies).to.deep.equal(['once', 'a', 'b', 'c', 'd']);
    const from = all.events[2].delivery!().streamSequence;
    const replay = await record(b, topic, durable({ startSequence: from }));
    await waitFor(() => replay.bodies.length === 3, 'the replay');
    expect(replay.bodies).to.deep.equal(['b', 'c', 'd']);
    await sleep(20);
    const since = new Date();
    await sleep(20);
    for (const s of ['e', 'f']) await b.publish(topic, msg(s));
    const recent = await record(b, topic, durable({ startTime: since }));
    await waitFor(() => recent.bodies.length === 2, 'the replay from a time');
    await sleep(100);
    expect(recent.bodies).to.deep.equal(['e', 'f']);
  });

  it('redelivers to another member the event whose subscriber was SIGKILLed mid-handler', async () => {
    const stream = unique('KILL');
    const topic = `${stream}.work`;
    await broker(stream); // the stream exists before the child binds it
    const child = spawn(process.execPath, [join(__dirname, 'fixtures', 'js-subscriber.js'), natsUrl(), stream, topic, 'workers', '1000'],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    const killChild = () => child.kill('SIGKILL');
    process.once('exit', killChild);
    try {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
      await waitFor(() => out.includes('ready'), 'the child subscriber', 10_000);
      const pub = await broker(stream);
      await pub.publish(topic, msg('order-7'));
      await waitFor(() => out.includes('got order-7'), 'the child to start handling');
      const member = await broker(stream);
      const handled: Event[] = [];
      await member.subscribe(topic, async (e) => { handled.push(e); }, { queue: 'workers', ackWait: 1000 });
      child.kill('SIGKILL');
      await waitFor(() => handled.length === 1, 'the redelivery to the other member', 8_000);
      expect(text(handled[0])).to.equal('order-7');
      expect(handled[0].delivery!()).to.include({ attempt: 2, redelivered: true });
    } finally {
      process.removeListener('exit', killChild);
      killChild();
    }
  });

  it('delivers what was published while every subscriber was down, in order per subject, once they start', async () => {
    const stream = unique('DOWN');
    const topic = `${stream}.orders`;
    const subscribe = async (b: JetStreamBroker, durable: string, got: string[]) =>
      b.subscribe(`${topic}.*`, async (e) => { got.push(`${e.topic().slice(topic.length + 1)}:${text(e)}`); }, { durable, deliverPolicy: 'all' });
    const first = [await broker(stream), await broker(stream)];
    await subscribe(first[0], 'billing', []);
    await subscribe(first[1], 'shipping', []);
    await Promise.all(first.map((b) => b.disconnect()));
    const pub = await broker(stream);
    for (let i = 0; i < 30; i++) await pub.publish(`${topic}.${i % 2 ? 'eu' : 'us'}`, msg(String(i)));
    const billing: string[] = [];
    const shipping: string[] = [];
    await subscribe(await broker(stream), 'billing', billing);
    await subscribe(await broker(stream), 'shipping', shipping);
    await waitFor(() => billing.length === 30 && shipping.length === 30, 'all 30 events at both');
    for (const got of [billing, shipping]) {
      for (const region of ['eu', 'us']) {
        const seen = got.filter((g) => g.startsWith(region)).map((g) => Number(g.split(':')[1]));
        expect(seen).to.deep.equal([...seen].sort((x, y) => x - y)).and.to.have.length(15);
      }
    }
  });

  it('on a graceful stop lets running handlers finish and ack: the other member gets the rest, none twice', async () => {
    const stream = unique('STOP');
    const topic = `${stream}.jobs`;
    const [a, b, pub] = [await broker(stream), await broker(stream), await broker(stream)];
    const started: string[] = [];
    const byA: string[] = [];
    const byB: string[] = [];
    await a.subscribe(topic, async (e) => { started.push(text(e)); await sleep(200); byA.push(text(e)); }, { queue: 'jobs', ackWait: 1_000 });
    await b.subscribe(topic, async (e) => { byB.push(text(e)); }, { queue: 'jobs', ackWait: 1_000 });
    for (let i = 0; i < 20; i++) await pub.publish(topic, msg(String(i)));
    await waitFor(() => started.length > 0, 'a handler running at the member that stops');
    await a.disconnect(); // drains: running handlers finish and ack
    expect(byA.sort()).to.deep.equal(started.sort());
    for (let i = 20; i < 30; i++) await pub.publish(topic, msg(String(i)));
    await waitFor(() => byA.length + byB.length >= 30, 'all 30 events handled');
    await sleep(1_300); // past ackWait: an event handled but not acked would come again now
    const all = [...byA, ...byB].map(Number).sort((x, y) => x - y);
    expect(all).to.deep.equal(Array.from({ length: 30 }, (_, i) => i));
  });

  it('rejects connect() with 503 on a nats-server without JetStream, and publish stays refused', async () => {
    const plain = await startNatsServer();
    try {
      const b = new JetStreamBroker({ servers: plain.url });
      const err = await rejection(b.connect());
      expect(err).to.be.instanceOf(MicroError).with.property('code', Codes.Unavailable);
      expect(err.detail).to.contain('JetStream');
      expect((await rejection(b.publish('x', msg('x')))).code).to.equal(Codes.Unavailable);
    } finally {
      await plain.stop();
    }
  });

  describe('with a nats-server of its own (file storage)', () => {
    let server: NatsServer;
    before(async () => { server = await startNatsServer({ jetstream: true }); });
    after(async () => { await server?.stop(); });

    it('loses nothing across a nats-server crash and restart', async () => {
      const file = { stream: { name: 'EVENTS', storage: 'file' as const } };
      const sub = await broker('EVENTS', { jetstream: file }, server.url);
      await sub.subscribe('restart.orders', () => {}, { queue: 'shipping' });
      await sub.disconnect();
      const pub = await broker('EVENTS', { jetstream: file }, server.url);
      for (let i = 0; i < 20; i++) await pub.publish('restart.orders', msg(String(i)));
      await pub.disconnect({ drain: false });
      await server.kill();
      await server.restart();
      const again = await broker('EVENTS', { jetstream: file }, server.url);
      const r = await record(again, 'restart.orders', { queue: 'shipping' });
      await waitFor(() => r.bodies.length === 20, 'the 20 stored events after the restart', 10_000);
      expect(r.bodies).to.deep.equal(Array.from({ length: 20 }, (_, i) => String(i)));
    });

    it('keeps a connected subscriber consuming across a restart', async () => {
      const file = { stream: { name: 'LIVE', storage: 'file' as const } };
      const sub = await broker('LIVE', { jetstream: file }, server.url);
      const r = await record(sub, 'live.orders', { queue: 'shipping' });
      const pub = await broker('LIVE', { jetstream: file }, server.url);
      await pub.publish('live.orders', msg('before'));
      await waitFor(() => r.bodies.length === 1, 'the event before the restart');
      await server.kill();
      await server.restart();
      for (let i = 0; i < 10; i++) {
        await waitFor(() => pub.publish('live.orders', msg(String(i)), { id: `live-${i}` }).then(() => true, () => false),
          'a stored publish after the restart', 10_000);
      }
      await waitFor(() => r.bodies.length >= 11, 'the events published after the restart', 15_000);
      expect(new Set(r.bodies)).to.deep.equal(new Set(['before', ...Array.from({ length: 10 }, (_, i) => String(i))]));
    });
  });

  describe('on a 3-node JetStream cluster, replicas 3', () => {
    let cluster: NatsCluster;
    before(async function () {
      this.timeout(30_000);
      cluster = await startNatsCluster(3, { jetstream: true });
    });
    after(async () => { await cluster?.stop(); });

    it('loses nothing when a node dies during publishing and consuming', async function () {
      this.timeout(45_000);
      const js = { stream: { name: 'REPLICATED', replicas: 3, storage: 'file' as const } };
      const open = async () => {
        for (let i = 0; ; i++) { // the meta leader may still be being elected
          try { return await broker('REPLICATED', { jetstream: js }, cluster.urls); } catch (err) { if (i >= 20) throw err; await sleep(250); }
        }
      };
      const pub = await open();
      // The stream's leader is the node whose death matters most: it orders and replicates every write.
      const killStreamLeader = async () => {
        const nc = await connect({ servers: cluster.urls });
        const leader = (await (await jetstreamManager(nc)).streams.info('REPLICATED')).cluster?.leader ?? '';
        await nc.close();
        const node = Number(/micro-nats-(\d+)/.exec(leader)?.[1] ?? -1);
        if (node >= 0) await cluster.kill(node);
        return node;
      };
      const got = new Set<string>();
      const workers = [await open(), await open()];
      for (const w of workers) await w.subscribe('cluster.orders', async (e) => { got.add(text(e)); }, { queue: 'workers', ackWait: 1000 });
      const publish = async (i: number) => {
        for (let attempt = 0; ; attempt++) { // a publish the cluster did not confirm is retried with its id: stored once
          try { return await pub.publish('cluster.orders', msg(String(i)), { id: `o-${i}` }); } catch (err) { if (attempt >= 40) throw err; await sleep(250); }
        }
      };
      const killed = { node: -1 };
      for (let i = 0; i < 200; i++) {
        if (i === 100) killed.node = await killStreamLeader();
        await publish(i);
      }
      expect(killed.node).to.be.within(0, 2);
      await waitFor(() => got.size === 200, `all 200 events (got ${got.size})`, 30_000);
      expect(got.size).to.equal(200);
    });
  });
});

describe('JetStream broker selection and durable @Subscribe options', () => {
  it('is chosen by name in code, by --broker and by MICRO_BROKER; only for the broker', () => {
    expect(resolveConfig({ broker: 'jetstream', argv: [], env: {} }).broker).to.equal('jetstream');
    expect(resolveConfig({ argv: ['--broker', 'jetstream'], env: {} }).broker).to.equal('jetstream');
    expect(resolveConfig({ argv: [], env: { MICRO_BROKER: 'JetStream' } }).broker).to.equal('jetstream');
    expect(() => resolveConfig({ argv: ['--transport=jetstream'], env: {} })).to.throw(/^--transport: "jetstream" is not one of nats, memory$/);
    expect(() => resolveConfig({ registry: 'jetstream' as 'nats', argv: [], env: {} })).to.throw(/^registry: "jetstream" is not one of nats, memory/);
  });

  it('hands a durable subscriber its delivery info in ctx, and deduplicates client publishes by id', async () => {
    const topic = `selected.${process.pid}.orders`;
    const got: { id: number; attempt?: number }[] = [];
    @Service('ledger')
    class Ledger {
      @Subscribe(topic, { durable: true, ackWait: 2_000, maxDeliver: 2, deliverPolicy: 'new' })
      async book(o: { id: number }, ctx: Context) { got.push({ id: o.id, attempt: ctx.delivery?.attempt }); }
    }
    const app = await bootstrap({ services: [Ledger], address: natsUrl(), broker: 'jetstream', argv: [], env: {},
      jetstream: { stream: { name: `SELECTED${process.pid}`, storage: 'memory' } } });
    try {
      expect(app.broker.toString()).to.equal('jetstream');
      for (const id of [1, 1, 2]) await app.client.publish(topic, { id }, { id: `order-${id}` });
      await waitFor(() => got.length === 2, 'two stored events');
      await sleep(100);
      expect(got).to.deep.equal([{ id: 1, attempt: 1 }, { id: 2, attempt: 1 }]);
    } finally {
      await app.stop();
    }
  });

  it('refuses durable options at bootstrap on a broker that cannot keep events, and bad ones at decoration', async () => {
    @Service('volatile')
    class Volatile { @Subscribe('volatile.t', { durable: true }) on() {} }
    const err = await rejection(bootstrap({ services: [Volatile], address: natsUrl(), argv: [], env: {} }));
    expect(err.message).to.equal("@Subscribe on Volatile.on: durable delivery options need broker 'jetstream', not 'nats'");
    expect(() => {
      class Bad { @Subscribe('bad.t', { maxDeliver: 0 }) on() {} }
      return Bad;
    }).to.throw(/^@Subscribe on Bad\.on: jetstream option maxDeliver: expected an integer >= 1, got 0$/);
  });

  it('rejects a bad jetstream option with a ConfigError (400) naming it, before connecting', () => {
    const bad: [JetStreamBrokerOptions['jetstream'], string, RegExp][] = [
      [{ stream: { replicas: 0 } }, 'jetstream option stream.replicas', /^jetstream option stream\.replicas: expected an integer >= 1, got 0$/],
      [{ stream: { storage: 'disk' as 'file' } }, 'jetstream option stream.storage', /stream\.storage: expected one of file, memory, got "disk"$/],
      [{ stream: { name: 'a.b' } }, 'jetstream option stream.name', /stream\.name: expected letters, digits, _ or -/],
      [{ ackWait: 0.5 }, 'jetstream option ackWait', /ackWait: expected an integer >= 1/],
    ];
    for (const [jetstream, option, message] of bad) {
      expect(() => new JetStreamBroker({ servers: natsUrl(), jetstream }), option).to.throw(ConfigError, message)
        .with.property('option', option);
    }
    expect(new JetStreamBroker({ servers: natsUrl() }).settings()).to.deep.include({ deadLetterPrefix: 'dlq', ackWait: 30_000, maxDeliver: 5 });
  });
});

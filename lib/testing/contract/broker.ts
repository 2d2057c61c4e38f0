/**
 * The Broker contract suite: what every Broker must do, as mocha tests. Call it once per implementation
 * with a {@link BrokerImpl}. It calls mocha's `describe`/`it` when called (not when imported) and asserts
 * with chai, so both must be available to the test run.
 */
import { expect } from 'chai';
import type { Broker, BrokerOptions, Event, SubscribeOptions, Subscriber } from '../../broker';
import { Codes, MicroError } from '../../errors';
import { rejection, sleep, waitFor } from './wait';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Makes brokers of one implementation that all see each other (one NATS server, one memory bus...). */
export interface BrokerImpl {
  /** What `toString()` of its brokers returns (`nats`, `memory`). */
  name: string;
  /** A new broker; options are the contract's own (drain, drainTimeout, errorHandler). */
  make(opts?: BrokerOptions): Broker;
  /** `address()` of a connected broker. */
  connectedAddress(): string;
  /** `address()` before `connect()`, when the implementation knows it then. */
  unconnectedAddress?(): string;
  /** Messages in the burst test. Default 100 000; a broker whose publish waits for a store (JetStream) takes 10 000. */
  burst?: number;
  /**
   * Events are stored and pulled (JetStream): one not yet pulled stays in the store rather than being
   * "received", so the drain test waits until every event was pulled before disconnecting. Default false.
   */
  pulled?: boolean;
}

export const bytes = (s: string) => enc.encode(s);
export const text = (e: Event) => dec.decode(e.message().body);
export const msg = (body: string, header: Record<string, string> = {}) => ({ header, body: bytes(body) });

/** A subscription that records what it receives. */
export interface Recorder { events: Event[]; bodies: string[]; sub: Subscriber }

export async function record(b: Broker, topic: string, opts?: SubscribeOptions): Promise<Recorder> {
  const events: Event[] = [];
  const bodies: string[] = [];
  const sub = await b.subscribe(topic, (e) => { events.push(e); bodies.push(text(e)); }, opts);
  return { events, bodies, sub };
}

/** A promise with its resolve function, to hold a handler until the test lets it go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => { open = r; });
  return { promise, open };
}

/** Registers the contract tests for the brokers `impl` makes (each test makes its own and disconnects them). */
export function brokerContract(impl: BrokerImpl): void {
  describe(`Broker contract: ${impl.name}`, () => {
    let made: Broker[] = [];
    let seq = 0;
    let topic = '';
    const make = (o?: BrokerOptions) => { const b = impl.make(o); made.push(b); return b; };
    const connected = async (o?: BrokerOptions) => { const b = make(o); await b.connect(); return b; };

    beforeEach(() => { topic = `broker.${impl.name}.${process.pid}.${++seq}`; });
    afterEach(async () => {
      await Promise.all(made.map((b) => b.disconnect({ drain: false })));
      made = [];
    });

    it('is named by mechanism, reports its address and its options with defaults', async () => {
      const b = make();
      expect(b.toString()).to.equal(impl.name);
      if (impl.unconnectedAddress) expect(b.address()).to.equal(impl.unconnectedAddress());
      await b.connect();
      expect(b.address()).to.equal(impl.connectedAddress());
      const o = b.options();
      expect(o.drain).to.equal(true);
      expect(o.drainTimeout).to.equal(5_000);
      expect(o.errorHandler).to.be.a('function');
      b.init({ drainTimeout: 10 });
      expect(b.options().drainTimeout).to.equal(10);
      expect(() => b.init({ drainTimeout: -1 })).to.throw(MicroError).with.property('code', Codes.BadRequest);
    });

    it('round-trips headers and the raw body; ack() resolves and error() is undefined', async () => {
      const b = await connected();
      const r = await record(b, topic);
      const body = new Uint8Array([0, 1, 2, 250, 255]);
      await b.publish(topic, { header: { 'Content-Type': 'application/octet-stream', 'X-Trace': 'abc' }, body });
      await waitFor(() => r.events.length === 1, 'the message');
      const e = r.events[0];
      expect(e.topic()).to.equal(topic);
      expect(e.message().header).to.deep.equal({ 'Content-Type': 'application/octet-stream', 'X-Trace': 'abc' });
      expect(Array.from(e.message().body)).to.deep.equal([0, 1, 2, 250, 255]);
      expect(e.error()).to.equal(undefined);
      await e.ack();
      expect(r.sub.topic()).to.equal(topic);
      expect(r.sub.options()).to.deep.equal({});
    });

    it('delivers to wildcard subscriptions with the concrete topic', async () => {
      const b = await connected();
      const star = await record(b, `${topic}.*.x`);
      const tail = await record(b, `${topic}.>`);
      for (const s of ['a.x', 'b.x', 'a.y.z', 'a.x.deeper']) await b.publish(`${topic}.${s}`, msg(s));
      await waitFor(() => tail.events.length === 4 && star.events.length === 2, 'wildcard deliveries');
      expect(star.events.map((e) => e.topic()).sort()).to.deep.equal([`${topic}.a.x`, `${topic}.b.x`]);
      expect(tail.bodies.sort()).to.deep.equal(['a.x', 'a.x.deeper', 'a.y.z', 'b.x']);
    });

    it('gives each of 3,000 messages to exactly one of 3 queue subscribers, each getting a real share', async function () {
      this.timeout(30_000);
      const pub = await connected();
      const workers = await Promise.all([0, 1, 2].map(async () => {
        const b = await connected();
        return { q: await record(b, topic, { queue: 'workers' }), fence: await record(b, `${topic}.fence`) };
      }));
      expect(workers[0].q.sub.options()).to.deep.equal({ queue: 'workers' });
      for (let i = 0; i < 3_000; i++) await pub.publish(topic, msg(String(i)));
      await pub.publish(`${topic}.fence`, msg('fence'));
      // Each worker sees the fence after everything published before it: no late duplicate can follow.
      // (A stored fence travels on a consumer of its own, so the total is awaited too.)
      const total = () => workers.reduce((n, w) => n + w.q.bodies.length, 0);
      await waitFor(() => workers.every((w) => w.fence.events.length === 1) && total() >= 3_000, 'the fence at every worker', 15_000);
      const all = workers.flatMap((w) => w.q.bodies);
      expect(all.length).to.equal(3_000);
      expect(new Set(all).size).to.equal(3_000);
      for (const w of workers) expect(w.q.bodies.length).to.be.greaterThan(300);
    });

    it('fans out to every subscriber without a queue', async () => {
      const pub = await connected();
      const subs = await Promise.all([0, 1, 2].map(async (i) => record(i === 0 ? pub : await connected(), topic)));
      for (let i = 0; i < 100; i++) await pub.publish(topic, msg(String(i)));
      await waitFor(() => subs.every((s) => s.events.length === 100), 'all 100 messages at all 3 subscribers');
      for (const s of subs) expect(s.bodies).to.deep.equal(Array.from({ length: 100 }, (_, i) => String(i)));
    });

    it('stops delivery on unsubscribe (idempotent) while other subscriptions go on', async () => {
      const b = await connected();
      const gone = await record(b, topic);
      const stays = await record(b, topic);
      await b.publish(topic, msg('1'));
      await waitFor(() => gone.events.length === 1 && stays.events.length === 1, 'the first message');
      await gone.sub.unsubscribe();
      await gone.sub.unsubscribe();
      await b.publish(topic, msg('2'));
      await b.publish(topic, msg('3'));
      await waitFor(() => stays.events.length === 3, 'later messages at the remaining subscription');
      expect(gone.bodies).to.deep.equal(['1']);
    });

    const burst = impl.burst ?? 100_000;
    it(`delivers all ${burst.toLocaleString('en')} messages of a burst`, async function () {
      this.timeout(60_000);
      const pub = await connected();
      const sub = await connected();
      let count = 0;
      await sub.subscribe(topic, () => { count++; });
      const body = bytes('x'.repeat(32));
      for (let i = 0; i < burst; i++) await pub.publish(topic, { header: {}, body });
      await waitFor(() => count === burst, `${burst} messages (got ${count})`, 45_000);
      expect(count).to.equal(burst);
    });

    it('reports handler throws and rejections to errorHandler and keeps the subscription going', async () => {
      const failed: Event[] = [];
      const b = await connected({ errorHandler: (e) => { failed.push(e); } });
      const seen: string[] = [];
      await b.subscribe(topic, async (e) => {
        const n = Number(text(e));
        seen.push(text(e));
        if (n % 3 === 1) throw new Error(`sync ${n}`);
        await sleep(1);
        if (n % 3 === 2) throw new MicroError('test', 409, `async ${n}`);
      });
      for (let i = 0; i < 9; i++) await b.publish(topic, msg(String(i)));
      await waitFor(() => seen.length === 9 && failed.length === 6, 'all messages and 6 failures');
      expect(failed.map((e) => e.error()!.message).sort()).to.deep.equal(
        ['async 2', 'async 5', 'async 8', 'sync 1', 'sync 4', 'sync 7']);
      expect(failed.every((e) => e.topic() === topic && text(e).length > 0)).to.equal(true);
      expect(failed.find((e) => e.error()!.message === 'async 5')!.error()).to.have.property('code', 409);
    });

    it('logs handler failures by default (to stderr), and a failing errorHandler, and goes on', async () => {
      const logged: string[] = [];
      const original = process.stderr.write;
      process.stderr.write = ((chunk: string | Uint8Array) => { logged.push(String(chunk)); return true; }) as typeof process.stderr.write;
      const lines = (word: string) => logged.filter((l) => l.includes(word));
      try {
        const b = await connected();
        const seen: string[] = [];
        await b.subscribe(topic, (e) => { seen.push(text(e)); throw new Error('boom'); });
        await b.publish(topic, msg('1'));
        await waitFor(() => lines('boom').length === 1, 'the default log line');
        expect(lines('boom')[0]).to.contain(topic);
        b.init({ errorHandler: () => { throw new Error('handler of handlers'); } });
        await b.publish(topic, msg('2'));
        await b.publish(topic, msg('3'));
        await waitFor(() => lines('handler of handlers').length === 2 && seen.length === 3, 'two more logs and messages');
        // A non-Error thrown becomes a 500 MicroError.
        const failed: Event[] = [];
        b.init({ errorHandler: (e) => { failed.push(e); } });
        await b.subscribe(`${topic}.odd`, () => { throw 'a string'; }); // eslint-disable-line no-throw-literal
        await b.publish(`${topic}.odd`, msg('4'));
        await waitFor(() => failed.length === 1, 'the wrapped failure');
        expect(failed[0].error()).to.be.instanceOf(MicroError).with.property('code', 500);
      } finally {
        process.stderr.write = original;
      }
    });

    it('runs async handlers concurrently, not one after another', async () => {
      const b = await connected();
      const release = gate();
      let started = 0;
      let finished = 0;
      await b.subscribe(topic, async () => { started++; await release.promise; finished++; });
      for (let i = 0; i < 5; i++) await b.publish(topic, msg(String(i)));
      await waitFor(() => started === 5, 'all 5 handlers started while the first is still running');
      expect(finished).to.equal(0);
      release.open();
      await waitFor(() => finished === 5, 'all 5 handlers finished');
    });

    it('disconnect with drain delivers messages already received and waits for in-flight handlers', async () => {
      const b = await connected({ drain: true });
      let started = 0;
      let finished = 0;
      await b.subscribe(topic, async () => { started++; await sleep(5); finished++; });
      for (let i = 0; i < 200; i++) await b.publish(topic, msg(String(i)));
      if (impl.pulled) await waitFor(() => started === 200, 'all 200 pulled');
      await b.disconnect();
      expect(started).to.equal(200);
      expect(finished).to.equal(200);
      expect((await rejection(b.publish(topic, msg('late')))).code).to.equal(Codes.Unavailable);
    });

    it('disconnect with drain is bounded by drainTimeout: a handler that never resolves cannot hang it', async () => {
      const b = await connected({ drainTimeout: 200 });
      let started = 0;
      let finished = false;
      await b.subscribe(topic, async () => { started++; await new Promise(() => {}); finished = true; });
      await b.publish(topic, msg('stuck'));
      await waitFor(() => started === 1, 'the stuck handler to start');
      await b.disconnect();
      expect(finished).to.equal(false);
      expect((await rejection(b.publish(topic, msg('late')))).code).to.equal(Codes.Unavailable);
      // The per-call form overrides the option.
      await b.connect();
      await b.subscribe(topic, () => new Promise<void>(() => {}));
      await b.publish(topic, msg('stuck again'));
      await b.disconnect({ drain: true, timeout: 50 });
      expect(started).to.equal(1);
    });

    it('disconnect without drain ends subscriptions at once: no handler runs afterwards', async () => {
      const b = await connected({ drain: false });
      const witness = await record(await connected(), topic);
      const release = gate();
      let started = 0;
      await b.subscribe(topic, async () => { started++; await release.promise; });
      const pub = await connected();
      await pub.publish(topic, msg('first'));
      await waitFor(() => started === 1, 'the first handler');
      await b.disconnect();
      const atDisconnect = started;
      for (let i = 0; i < 20; i++) await pub.publish(topic, msg(String(i)));
      await waitFor(() => witness.events.length === 21, 'all messages at another broker');
      expect(started).to.equal(atDisconnect);
      release.open();
    });

    it('connect() is idempotent; disconnect() too; connect() after disconnect() works again', async () => {
      const b = make();
      await b.disconnect(); // before connect: nothing to do
      await Promise.all([b.connect(), b.connect()]);
      await b.connect();
      await b.disconnect();
      await b.disconnect();
      expect((await rejection(b.publish(topic, msg('x')))).code).to.equal(Codes.Unavailable);
      await b.connect();
      const r = await record(b, topic);
      await b.publish(topic, msg('again'));
      await waitFor(() => r.events.length === 1, 'a message after reconnecting');
      expect(r.bodies).to.deep.equal(['again']);
    });

    it('rejects 503 "not connected" before connect() and after disconnect()', async () => {
      const b = make();
      for (const err of [await rejection(b.publish(topic, msg('x'))), await rejection(b.subscribe(topic, () => {}))]) {
        expect(err).to.be.instanceOf(MicroError);
        expect(err.code).to.equal(Codes.Unavailable);
        expect(err.detail).to.contain('broker not connected');
      }
      await b.connect();
      await b.disconnect();
      const err = await rejection(b.publish(topic, msg('x')));
      expect(err.code).to.equal(Codes.Unavailable);
      expect(err.detail).to.contain('broker not connected');
    });

    it('rejects bad topics, queues, messages and handlers with 400 and keeps working', async () => {
      const b = await connected();
      const r = await record(b, topic);
      for (const bad of ['', 'a.*', 'a.>', '>', 'a b', 'a..b', '.a', 'a.', 'tab\there']) {
        const err = await rejection(b.publish(bad, msg('x')));
        expect(err, `publish to "${bad}"`).to.be.instanceOf(MicroError).with.property('code', Codes.BadRequest);
      }
      for (const bad of ['', 'a b', 'a.>.b', 'a..b']) {
        expect((await rejection(b.subscribe(bad, () => {}))).code, `subscribe "${bad}"`).to.equal(Codes.BadRequest);
      }
      expect((await rejection(b.subscribe(topic, () => {}, { queue: 'a b' }))).code).to.equal(Codes.BadRequest);
      expect((await rejection(b.subscribe(topic, 'nope' as never))).code).to.equal(Codes.BadRequest);
      expect((await rejection(b.publish(topic, { header: {}, body: 'text' as never }))).code).to.equal(Codes.BadRequest);
      expect((await rejection(b.publish(topic, undefined as never))).code).to.equal(Codes.BadRequest);
      expect((await rejection(b.disconnect({ timeout: -5 }))).code).to.equal(Codes.BadRequest);
      await b.publish(topic, msg('still fine'));
      await waitFor(() => r.events.length === 1, 'a good message after the bad ones');
      expect(r.bodies).to.deep.equal(['still fine']);
    });

    it('rejects a body over max_payload with 413 naming the limit, and keeps working', async () => {
      const b = await connected();
      const r = await record(b, topic);
      const err = await rejection(b.publish(topic, { header: {}, body: new Uint8Array(2 * 1024 * 1024) }));
      expect(err).to.be.instanceOf(MicroError);
      expect(err.code).to.equal(Codes.PayloadTooLarge);
      expect(err.detail).to.contain('1048576');
      await b.publish(topic, msg('small'));
      await waitFor(() => r.events.length === 1, 'a normal message after the 413');
      expect(r.bodies).to.deep.equal(['small']);
    });
  });
}

import { expect } from 'chai';
import { buildComponents, type Components } from '../lib/components';
import { RpcClient } from '../lib/client/rpc';
import { Codes, MicroError, conflict } from '../lib/errors';
import type { Context } from '../lib/context';
import { silentLogger } from '../lib/logger';
import { natsUrl } from './support/nats';
import { rejection, sleep, waitFor } from './support/wait';

const kinds: [string, () => Components][] = [
  ['nats', () => buildComponents({ transportAddress: natsUrl(), brokerAddress: natsUrl(), registryAddress: natsUrl() })],
  ['memory', () => buildComponents({ transport: 'memory', broker: 'memory', registry: 'memory' })],
];

for (const [kind, make] of kinds) {
  describe(`RPC over ${kind}`, () => {
    let c: Components;
    const svc = `rpc-${kind}-${process.pid}`;
    let seenCtx: Context | undefined;
    let generatorClosed = false;
    const logged: unknown[] = [];

    before(async () => {
      c = make();
      const s = c.server({ name: svc, version: '1.0.0', logger: { ...silentLogger, error: (o: object | string) => { logged.push((o as { err: unknown }).err); } } });
      s.handle('Greeter.hello', (req: { name: string }) => ({ msg: `Hello ${req.name}` }));
      s.handle('Greeter.ctx', (_req: unknown, ctx: Context) => { seenCtx = ctx; return { left: ctx.deadline - Date.now() }; });
      s.handle('Greeter.fail', () => { throw new Error('secret stack detail'); });
      s.handle('Greeter.conflict', () => { throw conflict(svc, 'already exists'); });
      s.handle('Greeter.slow', async (req: { ms: number }) => { await sleep(req.ms); return { ok: true }; });
      s.handle('Greeter.count', async function* (req: { n: number }) { for (let i = 0; i < req.n; i++) yield i; }, { stream: true });
      s.handle('Greeter.forever', async function* () {
        try { for (let i = 0; ; i++) { yield i; await sleep(1); } } finally { generatorClosed = true; }
      }, { stream: true });
      s.handle('Greeter.broken', async function* () { yield 1; throw conflict(svc, 'mid-stream'); }, { stream: true });
      await s.start();
    });
    after(async () => { await c.close(); });

    it('answers a call with the handler result', async () => {
      expect(await c.client.call(svc, 'Greeter.hello', { name: 'John' })).to.deep.equal({ msg: 'Hello John' });
    });

    it('answers 10,000 concurrent calls, each with its own result', async () => {
      const out = await Promise.all(Array.from({ length: 10_000 }, (_, i) => c.client.call<{ msg: string }>(svc, 'Greeter.hello', { name: `n${i}` })));
      out.forEach((r, i) => expect(r.msg).to.equal(`Hello n${i}`));
    });

    it('round-trips msgpack bodies', async () => {
      const r = await c.client.call(svc, 'Greeter.hello', { name: 'Pack' }, { contentType: 'application/msgpack' });
      expect(r).to.deep.equal({ msg: 'Hello Pack' });
    });

    it('answers 404 naming an unknown endpoint', async () => {
      const err = await rejection(c.client.call(svc, 'Greeter.nope', {}));
      expect(err).to.be.instanceOf(MicroError);
      expect(err.code).to.equal(Codes.NotFound);
      expect(err.detail).to.contain('Greeter.nope');
    });

    it('answers 500 "internal server error" without the stack for an unexpected throw', async () => {
      const err = await rejection(c.client.call(svc, 'Greeter.fail', {}));
      expect(err.code).to.equal(Codes.Internal);
      expect(err.detail).to.equal('internal server error');
      expect(JSON.stringify(err)).to.not.contain('secret stack detail');
      expect(logged.map((e) => (e as Error).message)).to.include('secret stack detail');
    });

    it('carries a MicroError thrown by the handler with its code', async () => {
      const err = await rejection(c.client.call(svc, 'Greeter.conflict', {}));
      expect(err.toJSON()).to.deep.include({ id: svc, code: 409, detail: 'already exists', status: 'Conflict' });
    });

    it('fails fast with 503 naming a service that has no node', async () => {
      const err = await rejection(c.client.call(`absent-${kind}`, 'X.y', {}, { timeout: 2_000 }));
      expect(err.code).to.equal(Codes.Unavailable);
      expect(err.detail).to.contain(`absent-${kind}`);
    });

    it('answers 408 when the handler outlives the call budget', async () => {
      const err = await rejection(c.client.call(svc, 'Greeter.slow', { ms: 500 }, { timeout: 100, retries: 0 }));
      expect(err.code).to.equal(Codes.Timeout);
    });

    it('gives the handler the deadline, id and case-insensitive metadata', async () => {
      await c.client.call(svc, 'Greeter.ctx', {}, { timeout: 3_000, metadata: { 'X-User': 'ann' } });
      expect(seenCtx!.service).to.equal(svc);
      expect(seenCtx!.endpoint).to.equal('Greeter.ctx');
      expect(seenCtx!.id).to.match(/.+/);
      expect(seenCtx!.metadata['x-user']).to.equal('ann');
      expect(seenCtx!.metadata['X-USER']).to.equal('ann');
      expect(seenCtx!.deadline - Date.now()).to.be.within(0, 3_000);
    });

    it('answers Debug.Health with status ok and its checks', async () => {
      const h = await c.client.call<{ status: string; checks: Record<string, string> }>(svc, 'Debug.Health', {});
      expect(h.status).to.equal('ok');
      expect(h.checks.registry).to.equal('ok');
      expect(Object.values(h.checks).every((v) => v === 'ok')).to.equal(true);
    });

    it('streams 10,000 items in order', async () => {
      const got: number[] = [];
      for await (const n of c.client.stream<number>(svc, 'Greeter.count', { n: 10_000 })) got.push(n);
      expect(got.length).to.equal(10_000);
      expect(got.every((n, i) => n === i)).to.equal(true);
    });

    it('stops the generator when the client leaves the stream early', async () => {
      generatorClosed = false;
      const got: number[] = [];
      for await (const n of c.client.stream<number>(svc, 'Greeter.forever', {})) { got.push(n); if (got.length === 5) break; }
      expect(got).to.deep.equal([0, 1, 2, 3, 4]);
      await waitFor(() => generatorClosed, 'the server generator to be closed');
    });

    it('delivers an error raised mid-stream as a MicroError', async () => {
      const got: number[] = [];
      const err = await rejection((async () => { for await (const n of c.client.stream<number>(svc, 'Greeter.broken', {})) got.push(n); })());
      expect(got).to.deep.equal([1]);
      expect(err.code).to.equal(Codes.Conflict);
    });
  });
}

describe('RPC propagation across hops', () => {
  let c: Components;
  const seen: Record<string, { left: number; user?: string }> = {};
  before(async () => {
    c = buildComponents({ transportAddress: natsUrl(), brokerAddress: natsUrl(), registryAddress: natsUrl() });
    const a = c.server({ name: 'hop-a' });
    const b = c.server({ name: 'hop-b' });
    const cc = c.server({ name: 'hop-c' });
    a.handle('A.run', async (_r: unknown, ctx: Context) => { seen.a = { left: ctx.deadline - Date.now(), user: ctx.metadata['x-user'] }; return c.client.call('hop-b', 'B.run', {}); });
    b.handle('B.run', async (_r: unknown, ctx: Context) => { seen.b = { left: ctx.deadline - Date.now(), user: ctx.metadata['x-user'] }; await sleep(50); return c.client.call('hop-c', 'C.run', {}); });
    cc.handle('C.run', (_r: unknown, ctx: Context) => { seen.c = { left: ctx.deadline - Date.now(), user: ctx.metadata['x-user'] }; return { done: true }; });
    for (const s of [a, b, cc]) await s.start();
  });
  after(async () => { await c.close(); });

  it('passes the remaining deadline and the metadata from a to b to c', async () => {
    expect(await c.client.call('hop-a', 'A.run', {}, { timeout: 2_000, retries: 0, metadata: { 'X-User': 'zed' } })).to.deep.equal({ done: true });
    expect(seen.a.left).to.be.at.most(2_000);
    expect(seen.c.left).to.be.lessThan(seen.a.left - 40);
    expect([seen.a.user, seen.b.user, seen.c.user]).to.deep.equal(['zed', 'zed', 'zed']);
  });
});

describe('RPC graceful stop', () => {
  it('answers all 500 requests in flight when the server stops', async () => {
    const c = buildComponents({ transportAddress: natsUrl(), brokerAddress: natsUrl(), registryAddress: natsUrl() });
    const s = c.server({ name: 'graceful' });
    let started = 0;
    s.handle('G.work', async (req: { i: number }) => { started++; await sleep(200); return { i: req.i }; });
    await s.start();
    const calls = Array.from({ length: 500 }, (_, i) => c.client.call<{ i: number }>('graceful', 'G.work', { i }, { retries: 0 }));
    await waitFor(() => started === 500, 'all 500 requests to start');
    await s.stop();
    const out = await Promise.all(calls);
    out.forEach((r, i) => expect(r.i).to.equal(i));
    await c.close();
  });
});

for (const [kind, make] of kinds) {
  describe(`server subscribers over ${kind}`, () => {
    it('gives a wildcard subscriber the concrete topic, the payload and the metadata', async () => {
      const c = make();
      const s = c.server({ name: `subs-${kind}` });
      const seen: { topic: string; payload: unknown; user?: string }[] = [];
      s.subscribe('orders.*', (payload: unknown, ctx: Context) => { seen.push({ topic: ctx.endpoint, payload, user: ctx.metadata['x-user'] }); });
      s.subscribe('orders.placed', (payload: unknown, ctx: Context) => { seen.push({ topic: `exact ${ctx.endpoint}`, payload }); });
      await s.start();
      await c.client.publish('orders.placed', { id: 3 }, { metadata: { 'X-User': 'kim' } });
      await waitFor(() => seen.length === 2, 'both subscribers');
      expect(seen).to.deep.include({ topic: 'orders.placed', payload: { id: 3 }, user: 'kim' });
      expect(seen).to.deep.include({ topic: 'exact orders.placed', payload: { id: 3 } });
      await c.close();
    });
  });
}

for (const [kind, make] of kinds) {
  describe(`RPC options and propagation over ${kind}`, () => {
    let c: Components;
    const name = `opts-${kind}-${process.pid}`;
    const events: { header: Record<string, string>; deadline: number; user?: string; id: string }[] = [];
    const streamDeadlines: number[] = [];
    const ids: string[] = [];
    before(async () => {
      c = make();
      const s = c.server({ name });
      s.handle('O.echo', (r: unknown, ctx: Context) => { ids.push(ctx.id); return r; });
      s.handle('O.slow', async (r: { ms: number }) => { await sleep(r.ms); return { done: r.ms }; });
      s.handle('O.big', () => ({ blob: 'x'.repeat(2 * 1024 * 1024) }));
      s.handle('O.fanout', async (_r: unknown, ctx: Context) => {
        await c.client.publish(`${name}.evt`, { from: 'handler' });
        const got: number[] = [];
        for await (const n of c.client.stream<number>(name, 'O.items', {})) got.push(n);
        return { got, deadline: ctx.deadline };
      });
      s.handle('O.items', async function* (_r: unknown, ctx: Context) { streamDeadlines.push(ctx.deadline); yield 1; yield 2; }, { stream: true });
      s.subscribe(`${name}.evt`, (_p: unknown, ctx: Context) => {
        events.push({ header: {}, deadline: ctx.deadline, user: ctx.metadata['x-user'], id: ctx.id });
      });
      await s.start();
    });
    after(async () => { await c.close(); });

    it('calls a node address directly with opts.address, bypassing the registry', async () => {
      const address = (await c.registry.getService(name))[0].nodes[0].address;
      expect(await c.client.call('not-registered-anywhere', 'O.echo', { a: 1 }, { address })).to.deep.equal({ a: 1 });
    });

    it('gives each attempt its own deadline with attemptTimeout, retrying inside the whole budget', async () => {
      const t0 = Date.now();
      const err = await rejection(c.client.call(name, 'O.slow', { ms: 1_000 }, { timeout: 2_000, attemptTimeout: 150, retries: 2 }));
      expect(err.code).to.equal(Codes.Timeout);
      expect(Date.now() - t0).to.be.lessThan(1_500);   // three attempts of 150 ms, not the 2 s budget
    });

    it('gives requests from different clients different ids', async () => {
      const other = new RpcClient({ transport: c.transport, codecs: c.codecs });
      ids.length = 0;
      await c.client.call(name, 'O.echo', {});
      await other.call(name, 'O.echo', {}, { address: (await c.registry.getService(name))[0].nodes[0].address });
      expect(ids).to.have.length(2);
      expect(ids[0]).to.not.equal(ids[1]);
      await other.close();
    });

    it('refuses a request it cannot encode with 400 naming it, and sends nothing', async () => {
      const err = await rejection(c.client.call(name, 'O.echo', { n: 10n }));
      expect(err.code).to.equal(Codes.BadRequest);
      expect(err.detail).to.match(new RegExp(`cannot encode the request to ${name}\\.O\\.echo as application/json`));
    });

    it('answers 413 when the response exceeds the largest message, and keeps serving', async () => {
      const err = await rejection(c.client.call(name, 'O.big', {}));
      expect(err.code).to.equal(Codes.PayloadTooLarge);
      expect(await c.client.call(name, 'O.echo', { still: 1 })).to.deep.equal({ still: 1 });
    });

    it('passes metadata and the remaining deadline to events and streams made while handling a request', async () => {
      events.length = 0;
      streamDeadlines.length = 0;
      const r = await c.client.call<{ got: number[]; deadline: number }>(name, 'O.fanout', {}, { timeout: 3_000, metadata: { 'X-User': 'zoe' } });
      expect(r.got).to.deep.equal([1, 2]);
      await waitFor(() => events.length === 1, 'the event');
      expect(events[0].user).to.equal('zoe');
      expect(events[0].deadline).to.be.at.most(r.deadline + 5);
      expect(Number.isFinite(events[0].deadline)).to.equal(true);
      expect(streamDeadlines[0]).to.be.at.most(r.deadline + 5);
    });
  });
}

for (const [kind, make] of kinds) {
  describe(`stream cancellation over ${kind}`, () => {
    it('aborts ctx.signal of a stream handler when the client leaves while it waits', async () => {
      const c = make();
      const s = c.server({ name: `cancel-${kind}` });
      let aborted = false;
      s.handle('C.wait', async function* (_r: unknown, ctx: Context) {
        yield 'first';
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => { aborted = true; resolve(); }));
      }, { stream: true });
      await s.start();
      for await (const first of c.client.stream<string>(`cancel-${kind}`, 'C.wait', {})) { expect(first).to.equal('first'); break; }
      await waitFor(() => aborted, 'the handler to see its signal abort');
      await c.close();
    });
  });
}

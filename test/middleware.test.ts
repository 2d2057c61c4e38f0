import 'reflect-metadata';
import { expect } from 'chai';
import { Container, inject } from 'inversify';
import { connect, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { bootstrap, conflict, Handler, MicroError, Service, Subscribe, unauthorized, Use } from '../index';
import type { App, Context, Invocation, Middleware, MiddlewareFn, Next } from '../index';
import { compose } from '../lib/middleware';
import { natsUrl } from './support/nats';
import { rejection, waitFor } from './support/wait';

const NAME = `mw-${process.pid}`;
const TOPIC = `mw.${process.pid}.evt`;
const log: string[] = [];
const events: { id: number; tenant?: string }[] = [];
const PREFIX = Symbol.for('test.mw.prefix');

/** Logs `name` around `next()`: the log shows the order middleware ran in. */
const tag = (name: string): MiddlewareFn => async (inv, next) => {
  log.push(`${name}>${inv.kind}`);
  try { return await next(); } finally { log.push(`<${name}`); }
};

/** A middleware class: its dependency comes from the container. */
class Tagger implements Middleware {
  constructor(@inject(PREFIX) private readonly prefix: string) {}
  async use(inv: Invocation, next: Next) {
    log.push(`${this.prefix}>${inv.kind}`);
    try { return await next(); } finally { log.push(`<${this.prefix}`); }
  }
}

/** Refuses requests without `x-pass`, answers `short` itself, maps plain errors to 409. */
const gate: MiddlewareFn = async (inv, next) => {
  if (inv.metadata['x-short']) return { from: 'middleware' };
  if (!inv.metadata['x-pass']) throw unauthorized(NAME, 'no pass');
  inv.context!.state.who = inv.metadata['x-pass'];
  inv.metadata['x-seen-by'] = 'gate';
  try {
    return await next();
  } catch (err) {
    if (err instanceof MicroError) throw err;
    throw conflict(NAME, `mapped: ${(err as Error).message}`);
  }
};

@Use(tag('class1'))
@Use(tag('class2'), Tagger)
@Service(NAME)
class Guarded {
  @Handler()
  async plain(req: { n: number }) { log.push('handler'); return { n: req.n * 2 }; }

  @Use(tag('method'), gate)
  @Handler()
  async secret(_req: unknown, ctx: Context) {
    log.push('handler');
    return { who: ctx.state.who, seenBy: ctx.metadata['x-seen-by'] };
  }

  @Use(gate)
  @Handler()
  async broken() { throw new Error('boom'); }

  @Use(gate)
  @Handler()
  async *count(req: { n: number }) { for (let i = 0; i < req.n; i++) yield i; }

  @Use(async (inv: Invocation, next: Next) => (inv.metadata['x-drop'] ? undefined : next()))
  @Subscribe(TOPIC, { queue: 'mw' })
  async onEvent(evt: { id: number }, ctx: Context) { events.push({ id: evt.id, tenant: ctx.metadata['x-tenant'] }); }
}

function withPrefix(): Container {
  const c = new Container();
  c.bind(PREFIX).toConstantValue('injected');
  return c;
}

describe('middleware', function () {
  this.timeout(20_000);
  let app: App;
  let client: App;
  let nc: NatsConnection;
  const seenByClient: Invocation[] = [];

  before(async () => {
    app = await bootstrap({ services: [Guarded], address: natsUrl(), argv: [], env: {}, middleware: [tag('app')],
      container: withPrefix() });
    client = await bootstrap({ address: natsUrl(), argv: [], env: {}, clientMiddleware: [
      async (inv, next) => {
        seenByClient.push(inv);
        if (inv.endpoint === 'Local.answer') return { local: true };
        inv.metadata['x-pass'] ??= 'client-mw';
        return next();
      },
    ] });
    nc = await connect({ servers: natsUrl() });
  });
  after(async () => { await nc?.close(); await client?.stop(); await app?.stop(); });
  beforeEach(() => { log.length = 0; seenByClient.length = 0; });

  it('runs app-wide, then class (in the order written, classes from the container), then method middleware', async () => {
    expect(await client.client.call(NAME, 'Guarded.secret', {})).to.deep.equal({ who: 'client-mw', seenBy: 'gate' });
    expect(log).to.deep.equal(['app>handler', 'class1>handler', 'class2>handler', 'injected>handler', 'method>handler', 'handler',
      '<method', '<injected', '<class2', '<class1', '<app']);
  });

  it('wraps handlers served on the NATS Service API the same way', async () => {
    const h = natsHeaders();
    h.set('X-Pass', 'adr32-caller');
    const r = await nc.request(`${NAME}.Guarded.secret`, new TextEncoder().encode('{}'), { timeout: 5_000, headers: h });
    expect(JSON.parse(new TextDecoder().decode(r.data))).to.deep.equal({ who: 'adr32-caller', seenBy: 'gate' });
    expect(log[0]).to.equal('app>handler');
    expect(log).to.include('method>handler');
    const refused = await nc.request(`${NAME}.Guarded.secret`, new TextEncoder().encode('{}'), { timeout: 5_000 });
    expect(refused.headers?.get('Nats-Service-Error-Code')).to.equal('401');
  });

  it('short-circuits: a guard refuses (401) or answers itself, and the handler does not run', async () => {
    const err = await rejection(client.client.call(NAME, 'Guarded.secret', {}, { metadata: { 'x-pass': '' } }));
    expect(err).to.be.instanceOf(MicroError);
    expect(err.code).to.equal(401);
    expect(await client.client.call(NAME, 'Guarded.secret', {}, { metadata: { 'x-short': '1' } })).to.deep.equal({ from: 'middleware' });
    expect(log).to.not.include('handler');
  });

  it('maps errors: a plain error thrown by the handler reaches the caller as the middleware\'s 409', async () => {
    const err = await rejection(client.client.call(NAME, 'Guarded.broken', {}));
    expect(err.code).to.equal(409);
    expect(err.detail).to.equal('mapped: boom');
  });

  it('leaves handlers without @Use to the app-wide and class middleware only', async () => {
    expect(await client.client.call(NAME, 'Guarded.plain', { n: 2 })).to.deep.equal({ n: 4 });
    expect(log).to.deep.equal(['app>handler', 'class1>handler', 'class2>handler', 'injected>handler', 'handler',
      '<injected', '<class2', '<class1', '<app']);
  });

  it('wraps streams: server middleware around the whole stream, refusal before any item; client next() settles at its end', async () => {
    const items: number[] = [];
    for await (const i of client.client.stream<number>(NAME, 'Guarded.count', { n: 3 })) items.push(i);
    expect(items).to.deep.equal([0, 1, 2]);
    expect(log.filter((l) => l.startsWith('<'))).to.have.length(4);
    expect(seenByClient.map((i) => i.kind)).to.deep.equal(['stream']);
    const refused = await rejection((async () => {
      for await (const _ of client.client.stream(NAME, 'Guarded.count', { n: 3 }, { metadata: { 'x-pass': '' } })) { /* none */ }
    })());
    expect(refused.code).to.equal(401);
    const empty: unknown[] = [];
    for await (const i of client.client.stream(NAME, 'Guarded.count', { n: 3 }, { metadata: { 'x-short': '1' } })) empty.push(i);
    expect(empty).to.deep.equal([]);
  });

  it('client middleware observes a stream as one invocation that ends when the stream does', async () => {
    const ends: string[] = [];
    const c = await bootstrap({ address: natsUrl(), argv: [], env: {}, clientMiddleware: [async (inv, next) => {
      inv.metadata['x-pass'] = 'p';
      try { await next(); ends.push('ok'); } catch (err) { ends.push(`error ${(err as MicroError).code}`); throw err; }
    }] });
    try {
      const got: number[] = [];
      for await (const i of c.client.stream<number>(NAME, 'Guarded.count', { n: 2 })) { expect(ends).to.deep.equal([]); got.push(i); }
      expect(got).to.deep.equal([0, 1]);
      await waitFor(() => ends.length === 1, 'the stream middleware to end');
      expect(ends).to.deep.equal(['ok']);
      for await (const _ of c.client.stream<number>(NAME, 'Guarded.count', { n: 5 })) break;
      await waitFor(() => ends.length === 2, 'the stream left early to end');
    } finally {
      await c.stop();
    }
  });

  it('wraps subscribers (metadata, queue, kind) and lets middleware drop an event; client middleware sees publishes', async () => {
    const seen: Invocation[] = [];
    const c = await bootstrap({ address: natsUrl(), argv: [], env: {}, clientMiddleware: [async (inv, next) => {
      seen.push(inv);
      inv.metadata['x-tenant'] = 'acme';
      return next();
    }] });
    try {
      events.length = 0;
      await c.client.publish(TOPIC, { id: 1 }, { metadata: { 'x-drop': '1' } });
      await c.client.publish(TOPIC, { id: 2 });
      await waitFor(() => events.length >= 1, 'the event');
      expect(events).to.deep.equal([{ id: 2, tenant: 'acme' }]);
      expect(seen.map((i) => [i.kind, i.endpoint])).to.deep.equal([['publish', TOPIC], ['publish', TOPIC]]);
      expect(log.filter((l) => l.endsWith('>subscriber'))).to.deep.equal(['app>subscriber', 'class1>subscriber', 'class2>subscriber',
        'injected>subscriber', 'app>subscriber', 'class1>subscriber', 'class2>subscriber', 'injected>subscriber']);
    } finally {
      await c.stop();
    }
  });

  it('client middleware sees calls and may answer them without the network', async () => {
    expect(await client.client.call('Local', 'Local.answer', {})).to.deep.equal({ local: true });
    expect(seenByClient.map((i) => [i.kind, i.service, i.endpoint])).to.deep.equal([['call', 'Local', 'Local.answer']]);
  });

  it('refuses @Use without middleware or with something else, naming the class and member', () => {
    expect(() => { class A { @Use() m() {} } return A; }).to.throw(/@Use on A\.m: give at least one/);
    expect(() => { @Use('x' as never) class B {} return B; }).to.throw(/@Use on B: middleware #1 is string/);
  });
});

describe('compose', () => {
  it('is nothing for no middleware, runs the first outermost, and turns a synchronous throw into a rejection', async () => {
    expect(compose([])).to.equal(undefined);
    const order: string[] = [];
    const chain = compose([
      (_inv, next) => { order.push('a'); return next(); },
      () => { order.push('b'); throw new Error('sync'); },
    ])!;
    const inv = { kind: 'call', service: 's', endpoint: 'e', metadata: {} } as const;
    const err = await rejection(chain(inv, async () => { order.push('terminal'); }));
    expect(err.message).to.equal('sync');
    expect(order).to.deep.equal(['a', 'b']);
  });

  it('lets a middleware call next() again (a retry) and see each outcome', async () => {
    let attempts = 0;
    const retry: MiddlewareFn = async (_inv, next) => { try { return await next(); } catch { return next(); } };
    const chain = compose([retry])!;
    const out = await chain({ kind: 'call', service: 's', endpoint: 'e', metadata: {} }, async () => {
      if (++attempts === 1) throw new Error('first fails');
      return 'second';
    });
    expect(out).to.equal('second');
    expect(attempts).to.equal(2);
  });
});

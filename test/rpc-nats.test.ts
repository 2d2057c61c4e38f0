import { expect } from 'chai';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { buildComponents, type Components } from '../lib/components';
import { Codes, NoRespondersError } from '../lib/errors';
import type { Context } from '../lib/context';
import type { CachedRegistry } from '../lib/registry/cache';
import { NatsTransport } from '../lib/transport/nats';
import { startNatsCluster, startNatsServer, type NatsCluster, type NatsServer } from '../lib/testing';
import { natsUrl } from './support/nats';
import { startChildNode, type ChildNode } from './support/child';
import { rejection, waitFor } from './support/wait';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function stack(servers: string, extra: Parameters<typeof buildComponents>[0] = {}): Components {
  return buildComponents({ transportAddress: servers, brokerAddress: servers, registryAddress: servers, ...extra });
}

/** `workers` callers each making `calls` sequential calls of Echo.call (2 retries); counts calls done and failed. */
function keepCalling(c: Components, name: string, workers: number, calls: number, timeout: number) {
  const load = { done: 0, failures: 0, finished: Promise.resolve() as Promise<unknown> };
  const worker = async () => {
    for (let k = 0; k < calls; k++) {
      try { await c.client.call(name, 'Echo.call', { value: k }, { timeout, retries: 2 }); } catch { load.failures++; }
      load.done++;
    }
  };
  load.finished = Promise.all(Array.from({ length: workers }, worker));
  return load;
}

describe('RPC load sharing across instances', () => {
  let c: Components;
  const name = `share-${process.pid}`;
  before(async () => {
    c = stack(natsUrl());
    for (let i = 0; i < 3; i++) {
      const s = c.server({ name, id: `${name}-${i}` });
      s.handle('S.who', () => ({ i }));
      await s.start();
    }
  });
  after(async () => { await c.close(); });

  for (const selector of ['random', 'roundRobin'] as const) {
    it(`spreads calls over 3 instances with the ${selector} selector`, async () => {
      const client = stack(natsUrl(), { client: { selector } });
      const counts = [0, 0, 0];
      for (let k = 0; k < 300; k++) counts[(await client.client.call<{ i: number }>(name, 'S.who', {})).i]++;
      await client.close();
      if (selector === 'roundRobin') expect(counts).to.deep.equal([100, 100, 100]);
      else counts.forEach((n) => expect(n).to.be.greaterThan(50));
    });
  }
});

describe('RPC retries when an instance dies', () => {
  let children: ChildNode[] = [];
  afterEach(() => { for (const ch of children) ch.kill(); children = []; });

  it('loses no call when one of two instances is SIGKILLed mid-load', async () => {
    const name = `victim-${process.pid}`;
    children = [await startChildNode(natsUrl(), name), await startChildNode(natsUrl(), name)];
    const c = stack(natsUrl(), { client: { selector: 'roundRobin' } });
    await waitFor(async () => (await c.registry.getService(name).catch(() => []))[0]?.nodes.length === 2, 'both instances registered');
    const load = keepCalling(c, name, 8, 150, 3_000);
    await waitFor(() => load.done > 200, 'calls under way');
    children[0].kill();
    await load.finished;
    expect(load.done).to.equal(1_200);
    expect(load.failures).to.equal(0);
    await c.close();
  });
});

describe('RPC on a 3-node NATS cluster', () => {
  let cluster: NatsCluster;
  let children: ChildNode[] = [];
  before(async () => { cluster = await startNatsCluster(3); });
  after(async () => { for (const ch of children) ch.kill(); await cluster.stop(); });

  it('keeps 16 calls in flight with no failure while the node under one instance is killed', async () => {
    const name = `cluster-${process.pid}`;
    children = [await startChildNode(cluster.urls[0], name), await startChildNode(cluster.urls[1], name)];
    const c = stack(cluster.urls[2], { client: { selector: 'roundRobin' } });
    await waitFor(async () => (await c.registry.getService(name).catch(() => []))[0]?.nodes.length === 2, 'both instances registered');
    const load = keepCalling(c, name, 16, 100, 4_000);
    await waitFor(() => load.done > 200, 'calls under way');
    await cluster.kill(0);
    await load.finished;
    expect(load.done).to.equal(1_600);
    expect(load.failures).to.equal(0);
    await c.close();
  });
});

describe('RPC wire format between micro-nats peers', () => {
  let c: Components;
  let nc: NatsConnection;
  let address: string;
  before(async () => {
    c = stack(natsUrl());
    const s = c.server({ name: 'wire' });
    s.handle('W.echo', (r: unknown) => r);
    await s.start();
    address = s.service().nodes[0].address;
    nc = await connect({ servers: natsUrl() });
  });
  after(async () => { await nc.close(); await c.close(); });

  it('sends one Micro-Call header (metadata aside) and gets a reply without a header block', async () => {
    const seen: Record<string, string>[] = [];
    const tap = nc.subscribe(address, { callback: (_e, m) => { seen.push(Object.fromEntries([...m.headers!.keys()].map((k) => [k, m.headers!.get(k)]))); } });
    await nc.flush();
    expect(await c.client.call('wire', 'W.echo', { a: 1 }, { metadata: { 'x-user': 'u' } })).to.deep.equal({ a: 1 });
    await waitFor(() => seen.length === 1, 'the tapped request');
    tap.unsubscribe();
    // A pooled socket's first frame also says Micro-Socket (the server keeps the socket); nothing else is framing.
    expect(Object.keys(seen[0]).sort()).to.deep.equal(['Micro-Call', 'Micro-Socket', 'x-user']);
    expect(seen[0]['Micro-Call']).to.match(/^\d+ \S+ W\.echo$/);
    const compact = await nc.request(address, enc('{"b":2}'), { timeout: 3_000, headers: natsHeaders({ 'Micro-Call': '1000000000 r1 W.echo' }) });
    expect(compact.headers).to.equal(undefined);
    expect(JSON.parse(dec(compact.data))).to.deep.equal({ b: 2 });
  });

  it('answers a classic request (older micro-nats clients) with its Micro-Id, and a failed compact one with Micro-Id and Micro-Error', async () => {
    const classic = await nc.request(address, enc('{"b":3}'), { timeout: 3_000, headers: natsHeaders({ 'Micro-Endpoint': 'W.echo', 'Micro-Id': 'r2' }) });
    expect(classic.headers?.get('Micro-Id')).to.equal('r2');
    expect(JSON.parse(dec(classic.data))).to.deep.equal({ b: 3 });
    const failed = await nc.request(address, enc('{}'), { timeout: 3_000, headers: natsHeaders({ 'Micro-Call': '1000000000 r3 W.nope' }) });
    expect(failed.headers?.get('Micro-Id')).to.equal('r3');
    expect(JSON.parse(failed.headers!.get('Micro-Error')).code).to.equal(Codes.NotFound);
  });
});

describe('event wire format', () => {
  let c: Components;
  let nc: NatsConnection;
  const topic = `wire.evt.${process.pid}`;
  const got: { payload: unknown; user?: string }[] = [];
  before(async () => {
    c = stack(natsUrl());
    const s = c.server({ name: 'evwire' });
    s.subscribe(topic, (payload: unknown, ctx: Context) => { got.push({ payload, user: ctx.metadata['x-user'] }); });
    await s.start();
    nc = await connect({ servers: natsUrl() });
  });
  after(async () => { await nc.close(); await c.close(); });

  it('publishes a JSON event outside a handler with no header block; metadata and other content types add headers', async () => {
    const seen: (Record<string, string> | undefined)[] = [];
    const tap = nc.subscribe(topic, { callback: (_e, m) => { seen.push(m.headers && Object.fromEntries([...m.headers.keys()].map((k) => [k, m.headers!.get(k)]))); } });
    await nc.flush();
    await c.client.publish(topic, { n: 1 });
    await c.client.publish(topic, { n: 2 }, { metadata: { 'x-user': 'kim' } });
    await c.client.publish(topic, { n: 3 }, { contentType: 'application/msgpack' });
    await waitFor(() => seen.length === 3 && got.length === 3, 'three events, tapped and delivered');
    tap.unsubscribe();
    expect(seen).to.deep.equal([undefined, { 'x-user': 'kim' }, { 'Content-Type': 'application/msgpack' }]);
    expect(got).to.deep.include.members([{ payload: { n: 1 }, user: undefined }, { payload: { n: 2 }, user: 'kim' }, { payload: { n: 3 }, user: undefined }]);
  });

  it('delivers a header-less raw NATS publish to @Subscribe as JSON', async () => {
    got.length = 0;
    nc.publish(topic, enc('{"raw":true}'));
    await waitFor(() => got.length === 1, 'the raw event');
    expect(got[0].payload).to.deep.equal({ raw: true });
  });
});

function natsHeaders(h: Record<string, string>) {
  const out = headers();
  for (const [k, v] of Object.entries(h)) out.set(k, v);
  return out;
}

describe('RPC server on bad input', () => {
  let c: Components;
  let t: NatsTransport;
  let address: string;
  before(async () => {
    c = stack(natsUrl());
    const s = c.server({ name: 'badinput' });
    s.handle('B.echo', (r: unknown) => r);
    await s.start();
    address = s.service().nodes[0].address;
    t = new NatsTransport({ servers: natsUrl() });
  });
  after(async () => { await t.close(); await c.close(); });

  async function raw(header: Record<string, string>, body: Uint8Array = enc('{}')) {
    const s = await t.dial(address);
    await s.send({ header: { 'Micro-Id': '1', ...header }, body });
    const r = await s.recv({ timeout: 3_000 });
    await s.close();
    return r.header['Micro-Error'] ? JSON.parse(r.header['Micro-Error']) : JSON.parse(dec(r.body));
  }

  const cases: [string, number, RegExp, Record<string, string>, Uint8Array<ArrayBuffer>?][] = [
    ['garbage bytes as the body', 400, /malformed application\/json body/, { 'Micro-Endpoint': 'B.echo' }, new Uint8Array([0xff, 0x00, 0x13, 0x37])],
    ['a missing Micro-Endpoint', 400, /missing Micro-Endpoint/, {}],
    ['a huge Timeout', 400, /exceeds the maximum/, { 'Micro-Endpoint': 'B.echo', Timeout: '9'.repeat(30) }],
    ['a negative Timeout', 400, /negative/, { 'Micro-Endpoint': 'B.echo', Timeout: '-5' }],
    ['a header flood', 400, /too many headers/, { 'Micro-Endpoint': 'B.echo', ...Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`X-Flood-${i}`, 'x'])) }],
    ['an unknown content type', 415, /unsupported content type "text\/x-nope"/, { 'Micro-Endpoint': 'B.echo', 'Content-Type': 'text/x-nope' }],
    ['an endpoint name of 10,000 characters', 404, /endpoint .* not found/, { 'Micro-Endpoint': 'E'.repeat(10_000) }],
    ['a compact head without an endpoint', 400, /Micro-Call header/, { 'Micro-Call': '1000000 7' }],
    ['a compact head with a malformed timeout', 400, /Timeout header/, { 'Micro-Call': 'soon 7 B.echo' }],
  ];
  for (const [what, code, detail, header, body] of cases) {
    it(`answers ${what} with ${code} and keeps serving`, async () => {
      const err = await raw(header, body);
      expect(err.code).to.equal(code);
      expect(err.detail).to.match(detail);
      expect(await c.client.call('badinput', 'B.echo', { still: 'ok' })).to.deep.equal({ still: 'ok' });
    });
  }
});

describe('RPC toward a go-micro node', () => {
  let nc: NatsConnection;
  let c: Components;
  before(async () => {
    nc = await connect({ servers: natsUrl() });
    // A go-micro v4 server as seen on the wire: envelope in, envelope out.
    nc.subscribe('_INBOX.gomicro-node', { callback: (_e, m) => {
      const env = JSON.parse(dec(m.data));
      const req = JSON.parse(Buffer.from(env.Body, 'base64').toString());
      const body = Buffer.from(JSON.stringify({ msg: `go says hi to ${req.name}` })).toString('base64');
      m.respond(enc(JSON.stringify({ Header: { 'Micro-Id': env.Header['Micro-Id'], 'Content-Type': 'application/json', Seen: env.Header['Micro-Method'] }, Body: body })));
    } });
    await nc.flush();
    c = stack(natsUrl());
    await c.registry.register({ name: 'go-greeter', version: 'latest', metadata: {}, endpoints: [],
      nodes: [{ id: 'go-greeter-1', address: '_INBOX.gomicro-node', metadata: { server: 'mucp', protocol: 'mucp' } }] });
  });
  after(async () => { await c.close(); await nc.close(); });

  it('speaks the go-micro envelope to nodes not marked micro-nats', async () => {
    expect(await c.client.call('go-greeter', 'Greeter.Hello', { name: 'John' })).to.deep.equal({ msg: 'go says hi to John' });
  });

  it('evicts a node whose address has no responders and fails fast with 503', async () => {
    await c.registry.register({ name: 'ghost', version: 'latest', metadata: {}, endpoints: [],
      nodes: [{ id: 'ghost-1', address: '_INBOX.nobody-home', metadata: { server: 'micro-nats' } }] });
    const err = await rejection(c.client.call('ghost', 'G.x', {}, { timeout: 3_000, retries: 0 }));
    expect(err).to.be.instanceOf(NoRespondersError);
    expect(err.code).to.equal(Codes.Unavailable);
    expect(err.detail).to.match(/ghost\.G\.x on ghost-1: no listener at _INBOX\.nobody-home \(no responders\)/);
    expect((c.registry as CachedRegistry).lookup('ghost')).to.equal(undefined);
  });
});

describe('RPC server whose NATS connection closes for good', () => {
  let server: NatsServer;
  after(async () => { await server?.stop(); });

  it('listens again and re-registers once NATS is back, so callers reach it at its new address', async () => {
    server = await startNatsServer();
    const svc = buildComponents({ address: server.url, nats: { maxReconnectAttempts: 2, reconnectTimeWait: 100 }, registerInterval: 1_000 });
    const s = svc.server({ name: 'phoenix' });
    s.handle('P.ping', () => ({ pong: true }));
    await s.start();
    const before = s.service().nodes[0].address;
    const caller = stack(server.url);
    expect(await caller.client.call('phoenix', 'P.ping', {})).to.deep.equal({ pong: true });
    await server.kill();
    await new Promise((r) => setTimeout(r, 1_000));   // the service's reconnect attempts run out meanwhile
    await server.restart();
    let answer: unknown;
    await waitFor(async () => {
      answer = await caller.client.call('phoenix', 'P.ping', {}, { timeout: 500 }).catch(() => undefined);
      return answer !== undefined;
    }, 'a call to succeed after NATS came back', 15_000);
    expect(answer).to.deep.equal({ pong: true });
    expect(s.service().nodes[0].address).to.not.equal(before);
    // The NATS Service API endpoint is subscribed again on the new connection too.
    const nc = await connect({ servers: server.url });
    expect(dec((await nc.request('phoenix.P.ping', enc(''), { timeout: 2_000 })).data)).to.equal('{"pong":true}');
    await nc.close();
    await caller.close();
    await svc.close();
  });
});

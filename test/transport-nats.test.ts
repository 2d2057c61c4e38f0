import { expect } from 'chai';
import { connect, createInbox, type NatsConnection } from '@nats-io/transport-node';
import type { Listener, Message, Socket } from '../lib/transport';
import { NatsTransport } from '../lib/transport/nats';
import { Codes } from '../lib/errors';
import { startNatsServer, type NatsServer } from '../lib/testing';
import { natsUrl } from './support/nats';
import { rejection, waitFor } from './support/wait';
import { getJson } from './support/connz';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

async function echo(s: Socket): Promise<void> {
  for (;;) {
    let m: Message;
    try { m = await s.recv({ timeout: 0 }); } catch { return; }
    await s.send({ header: { ...m.header, Echo: '1' }, body: m.body }).catch(() => undefined);
  }
}

/** A raw nats.js request to `subject` with a plain payload (no headers), as a go-micro client sends it. */
async function rawRequest(nc: NatsConnection, subject: string, payload: string): Promise<string> {
  const inbox = createInbox();
  const sub = nc.subscribe(inbox, { max: 1 });
  nc.publish(subject, enc(payload), { reply: inbox });
  for await (const m of sub) return dec(m.data);
  throw new Error('no reply');
}

describe('NatsTransport on NATS', () => {
  let t: NatsTransport;
  let l: Listener;
  let raw: NatsConnection;

  before(async () => {
    t = new NatsTransport({ servers: natsUrl(), timeout: 2_000 });
    l = await t.listen('');
    void l.accept(echo);
    raw = await connect({ servers: natsUrl() });
  });
  after(async () => {
    await raw.close();
    await l.close();
    await t.close();
  });

  it('listens on a unique _INBOX subject by default', async () => {
    expect(l.addr()).to.match(/^_INBOX\.[A-Za-z0-9]+$/);
    const l2 = await t.listen(':0');
    expect(l2.addr()).to.not.equal(l.addr());
    await l2.close();
  });

  it('answers a go-micro envelope request with an envelope reply', async () => {
    const body = Buffer.from('{"name":"John"}').toString('base64');
    const reply = JSON.parse(await rawRequest(raw, l.addr(), JSON.stringify({ Header: { 'Micro-Id': '1' }, Body: body })));
    expect(reply.Header).to.include({ 'Micro-Id': '1', Echo: '1' });
    expect(Buffer.from(reply.Body, 'base64').toString()).to.equal('{"name":"John"}');
  });

  it('speaks the envelope when dialling with envelope: true', async () => {
    const seen: Uint8Array[] = [];
    const sub = raw.subscribe('envelope.probe', { callback: (_e, m) => { seen.push(m.data); m.respond(m.data); } });
    await raw.flush();
    const s = await t.dial('envelope.probe', { envelope: true });
    await s.send({ header: { A: 'b' }, body: enc('payload') });
    const r = await s.recv();
    expect(JSON.parse(dec(seen[0]))).to.deep.equal({ Header: { A: 'b' }, Body: Buffer.from('payload').toString('base64') });
    expect(r.header).to.deep.equal({ A: 'b' });
    expect(dec(r.body)).to.equal('payload');
    sub.unsubscribe();
    await s.close();
  });

  it('answers a malformed envelope with a 400 Micro-Error and keeps serving', async () => {
    const reply = JSON.parse(await rawRequest(raw, l.addr(), '{"Header": not json'));
    const err = JSON.parse(reply.Header['Micro-Error']);
    expect(err.code).to.equal(Codes.BadRequest);
    expect(err.detail).to.match(/malformed go-micro envelope/);
    const s = await t.dial(l.addr());
    await s.send({ header: {}, body: enc('fine') });
    expect(dec((await s.recv()).body)).to.equal('fine');
    await s.close();
  });

  it('shares a fixed address between listeners: each request is handled exactly once', async () => {
    const address = `shared.${createInbox().split('.')[1]}`;
    const other = new NatsTransport({ servers: natsUrl(), timeout: 2_000 });
    const runs = [0, 0];
    const serve = (i: number) => async (s: Socket) => {
      for (;;) {
        let m: Message;
        try { m = await s.recv({ timeout: 0 }); } catch { return; }
        runs[i]++;
        await s.send({ header: { Listener: String(i) }, body: m.body }).catch(() => undefined);
      }
    };
    const a = await t.listen(address);
    const b = await other.listen(address);
    void a.accept(serve(0));
    void b.accept(serve(1));
    let sent = 0;
    const request = async () => {
      const s = await t.dial(address);
      const body = `req-${++sent}`;
      await s.send({ header: {}, body: enc(body) });
      const r = await s.recv();
      expect(dec(r.body)).to.equal(body);
      // A second listener running it too would answer a second time on the same socket.
      expect((await rejection(s.recv({ timeout: 100 }))).code).to.equal(Codes.Timeout);
      await s.close();
    };
    // Both subscriptions are live once each listener has answered one (a queue group spreads requests at random).
    await waitFor(async () => { await request(); return runs[0] > 0 && runs[1] > 0; }, 'both listeners to answer');
    await Promise.all(Array.from({ length: 100 }, request));
    expect(runs[0] + runs[1]).to.equal(sent);
    await a.close();
    await b.close();
    await other.close();
  });
});


describe('NatsTransport with its own nats-server', () => {
  let server: NatsServer;
  afterEach(async () => { await server?.stop(); });

  it('dials 100 sockets over one connection and one wildcard reply subscription', async () => {
    server = await startNatsServer({ monitor: true });
    const t = new NatsTransport({ servers: server.url, timeout: 2_000 });
    const l = await t.listen('');
    void l.accept(echo);
    const exchange = async (i: number) => {
      const s = await t.dial(l.addr());
      await s.send({ header: {}, body: enc(`s${i}`) });
      expect(dec((await s.recv()).body)).to.equal(`s${i}`);
      return s;
    };
    const sockets = [await exchange(0)];
    const one = await getJson(`${server.monitorUrl}/connz?subs=1`);
    sockets.push(...await Promise.all(Array.from({ length: 99 }, (_, i) => exchange(i + 1))));
    const hundred = await getJson(`${server.monitorUrl}/connz?subs=1`);
    // Nobody else uses this server: its only connection is the transport's (listener and sockets alike).
    expect(one.num_connections).to.equal(1);
    expect(hundred.num_connections).to.equal(1);
    const subs = hundred.connections[0].subscriptions_list as string[];
    expect(hundred.connections[0].num_subscriptions).to.equal(one.connections[0].num_subscriptions);
    expect(subs).to.have.members(one.connections[0].subscriptions_list);
    // The listener's subject and one wildcard under which every socket's reply subject lies.
    const wildcards = subs.filter((x) => x.endsWith('.*'));
    expect(wildcards).to.have.length(1);
    const prefix = wildcards[0].slice(0, -1);
    for (const s of sockets) expect(s.local().startsWith(prefix)).to.equal(true);
    expect(new Set(sockets.map((s) => s.local())).size).to.equal(100);
    await Promise.all(sockets.map((s) => s.close()));
    await l.close();
    await t.close();
  });

  it('rejects a message over max_payload with 413 naming the limit, and keeps serving', async () => {
    server = await startNatsServer({ config: 'max_payload: 4096' });
    const t = new NatsTransport({ servers: server.url });
    const l = await t.listen('');
    void l.accept(echo);
    const s = await t.dial(l.addr());
    const err = await rejection(s.send({ header: {}, body: new Uint8Array(8192) }));
    expect(err.code).to.equal(Codes.PayloadTooLarge);
    expect(err.detail).to.match(/max_payload of 4096 bytes/);
    await s.send({ header: {}, body: enc('small') });
    expect(dec((await s.recv()).body)).to.equal('small');
    await l.close();
    await t.close();
  });

  it('works again after the nats-server is killed and restarted', async () => {
    server = await startNatsServer();
    const t = new NatsTransport({ servers: server.url, timeout: 500 });
    const l = await t.listen('');
    void l.accept(echo);
    const s = await t.dial(l.addr());
    await s.send({ header: {}, body: enc('before') });
    expect(dec((await s.recv()).body)).to.equal('before');
    await server.kill();
    await server.restart();
    let answer = '';
    await waitFor(async () => {
      const c = await t.dial(l.addr());
      try {
        await c.send({ header: {}, body: enc('after') });
        answer = dec((await c.recv({ timeout: 200 })).body);
      } catch { /* still reconnecting */ }
      await c.close();
      return answer === 'after';
    }, 'an echo after the restart', 15_000);
    expect(answer).to.equal('after');
    await l.close();
    await t.close();
  });

  it('fails with 503 naming the servers when NATS cannot be reached', async () => {
    server = await startNatsServer();
    await server.stop();
    const t = new NatsTransport({ servers: server.url, nats: { maxReconnectAttempts: 0, reconnect: false } });
    const err = await rejection(t.listen(''));
    expect(err.code).to.equal(Codes.Unavailable);
    expect(err.detail).to.contain(server.url);
  });
});

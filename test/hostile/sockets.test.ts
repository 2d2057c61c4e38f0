/**
 * Frames flooded onto a client socket's reply subject, and a client whose nodes keep being replaced:
 * socket queues and the client's socket pool stay bounded.
 */
import { expect } from 'chai';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SocketPool } from '../../lib/client/pool';
import { buildComponents, type Components } from '../../lib/components';
import type { NatsListener } from '../../lib/transport/nats-listener';
import type { Listener, ListenOptions } from '../../lib/transport';
import { Codes, MicroError, REFUSED_ID } from '../../lib/errors';
import type { Message, Socket } from '../../lib/transport';
import { MemoryTransport } from '../../lib/transport/memory';
import { NatsTransport } from '../../lib/transport/nats';
import { natsUrl } from '../support/nats';
import { rejection, sleep, waitFor } from '../support/wait';

const enc = (s: string) => new TextEncoder().encode(s);

async function echo(s: Socket): Promise<void> {
  for (;;) {
    let m: Message;
    try { m = await s.recv({ timeout: 0 }); } catch { return; }
    await s.send(m).catch(() => undefined);
  }
}

describe('Hostile: frames flooded onto a socket', function () {
  this.timeout(30_000);
  let t: NatsTransport;
  let nc: NatsConnection;

  before(async () => {
    t = new NatsTransport({ servers: natsUrl(), maxQueue: 100 });
    nc = await connect({ servers: natsUrl() });
  });
  after(async () => {
    await nc?.close();
    await t?.close();
  });

  it('drops what exceeds the queue bound and fails the socket 503; a new socket works', async () => {
    const l = await t.listen('');
    void l.accept(echo);
    const c = await t.dial(l.addr());
    await c.send({ header: { A: '1' }, body: enc('x') });
    await c.recv();
    // An idle pooled socket: nobody reads it while 20 000 frames arrive on its reply subject.
    for (let i = 0; i < 20_000; i++) nc.publish(c.local(), enc('junk'));
    await nc.flush();
    await sleep(100);
    const err = await rejection(c.recv({ timeout: 1_000 }));
    expect(err.code).to.equal(Codes.Unavailable);
    expect((await rejection(c.send({ header: {}, body: enc('y') }))).code).to.equal(Codes.Unavailable);
    const fresh = await t.dial(l.addr());
    await fresh.send({ header: { A: '2' }, body: enc('z') });
    expect(new TextDecoder().decode((await fresh.recv()).body)).to.equal('z');
    await fresh.close();
    await l.close();
  });
});

describe('Hostile: a client whose nodes keep being replaced', () => {
  it('closes its pooled sockets to a node the registry stops listing (the node sees them go)', async function () {
    this.timeout(20_000);
    const stack = (transport?: NatsTransport): Components => buildComponents({ transport, transportAddress: natsUrl(), brokerAddress: natsUrl(),
      registryAddress: natsUrl(), adr32: { enabled: false } });
    // Node A's listener, to count the server-side sockets the caller's pool keeps there.
    const ta = new NatsTransport({ servers: natsUrl() });
    let listener: NatsListener | undefined;
    const listen = ta.listen.bind(ta);
    ta.listen = async (addr: string, opts?: ListenOptions): Promise<Listener> => (listener = (await listen(addr, opts)) as NatsListener);
    const a = stack(ta);
    const b = stack();
    const caller = stack();
    const name = `replaced-${process.pid}`;
    try {
      const sa = a.server({ name });
      const sb = b.server({ name });
      for (const s of [sa, sb]) { s.handle('Echo.call', (req: unknown) => req); await s.start(); }
      await Promise.all(Array.from({ length: 40 }, (_, i) => caller.client.call(name, 'Echo.call', { i })));
      expect(listener!.size()).to.be.above(0);
      await a.registry.deregister(sa.service());  // A is no longer listed (it keeps running)
      await waitFor(async () => { await caller.client.call(name, 'Echo.call', {}); return listener!.size() === 0; }, 'pooled sockets to A closed', 10_000);
    } finally {
      await caller.close();
      await b.close();
      await a.close();
      await ta.close();
    }
  });

  it('drops pooled addresses the registry no longer lists, in bounded sweeps', async () => {
    const t = new MemoryTransport();
    const live = new Set<string>();
    const pool = new SocketPool(t, { listed: (_svc, a) => live.has(a), sweepInterval: 1 });
    const listeners = [];
    // 100 replacements: each node is listed, called (a socket pooled), then replaced by the next.
    for (let i = 0; i < 100; i++) {
      const l = await t.listen(`node.${i}`);
      void l.accept(echo);
      listeners.push(l);
      live.clear();
      live.add(l.addr());
      pool.give(l.addr(), false, await pool.dial(l.addr(), false), 'svc');
      await sleep(2);
    }
    for (let i = 0; i < 5; i++) { await sleep(2); pool.give('node.99', false, await pool.dial('node.99', false), 'svc'); }
    expect(pool.size()).to.equal(1);
    await pool.close();
    for (const l of listeners) await l.close();
  });

  it('keeps at most maxAddresses addresses', async () => {
    const t = new MemoryTransport();
    const pool = new SocketPool(t, { maxAddresses: 10 });
    for (let i = 0; i < 50; i++) {
      const l = await t.listen(`cap.${i}`);
      pool.give(l.addr(), false, await pool.dial(l.addr(), false), 'svc');
    }
    expect(pool.size()).to.equal(10);
    await pool.close();
  });
});

describe('Hostile: streams past the kept-socket cap', function () {
  this.timeout(30_000);

  it('refuses a stream with 503 micro.server.refused once maxSockets sockets are kept, and serves again when they close', async () => {
    const transport = new NatsTransport({ servers: natsUrl(), maxSockets: 2 });
    const c = buildComponents({ transport, registry: 'memory', broker: 'memory', adr32: { enabled: false } });
    let open!: () => void;
    const gate = new Promise<void>((r) => { open = r; });
    const s = c.server({ name: `capped-streams-${process.pid}` });
    s.handle('Feed.items', async function* () { yield 1; await gate; yield 2; }, { stream: true });
    await s.start();
    try {
      // Two streams held open past their first item: the listener keeps a socket for each.
      const held = [0, 1].map(() => c.client.stream<number>(s.name, 'Feed.items', {})[Symbol.asyncIterator]());
      for (const it of held) expect((await it.next()).value).to.equal(1);
      const err = await rejection(c.client.stream<number>(s.name, 'Feed.items', {})[Symbol.asyncIterator]().next());
      expect(err).to.be.instanceOf(MicroError);
      expect((err as MicroError).code).to.equal(Codes.Unavailable);
      expect((err as MicroError).id).to.equal(REFUSED_ID);
      open();
      for (const it of held) {
        expect((await it.next()).value).to.equal(2);
        expect((await it.next()).done).to.equal(true);
      }
      // Their sockets are gone: a new stream is served.
      await waitFor(async () => {
        const items: number[] = [];
        try { for await (const v of c.client.stream<number>(s.name, 'Feed.items', {})) items.push(v); } catch { return false; }
        return items.length === 2;
      }, 'a stream served again', 5_000);
    } finally {
      open();
      await c.close();
      await transport.close();
    }
  });
});

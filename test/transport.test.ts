import { expect } from 'chai';
import { connect, createInbox, headers } from '@nats-io/transport-node';
import type { Listener, Message, Socket, Transport } from '../lib/transport';
import { NatsTransport } from '../lib/transport/nats';
import { MemoryTransport } from '../lib/transport/memory';
import { Codes } from '../lib/errors';
import { natsUrl } from './support/nats';
import { rejection, sleep, waitFor } from './support/wait';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const msg = (s: string, header: Record<string, string> = {}): Message => ({ header, body: enc(s) });

/** Serves each socket: echoes every message back with an `Echo: 1` header until the socket ends. */
async function echo(s: Socket): Promise<void> {
  for (;;) {
    let m: Message;
    try { m = await s.recv({ timeout: 0 }); } catch { return; }
    await s.send({ header: { ...m.header, Echo: '1' }, body: m.body }).catch(() => undefined);
  }
}

const impls: [string, () => Transport][] = [
  ['nats', () => new NatsTransport({ servers: natsUrl(), timeout: 2_000 })],
  ['memory', () => new MemoryTransport({ timeout: 2_000 })],
];

for (const [name, make] of impls) {
  describe(`Transport contract: ${name}`, () => {
    let t: Transport;
    let l: Listener;
    const closers: (() => Promise<void>)[] = [];

    beforeEach(async () => {
      t = make();
      l = await t.listen('');
      void l.accept(echo);
    });
    afterEach(async () => {
      for (const c of closers.splice(0)) await c();
      await l.close();
      await t.close();
    });

    it('echoes a message with its headers through a socket', async () => {
      const s = await t.dial(l.addr());
      await s.send(msg('hello', { 'Micro-Id': '7' }));
      const r = await s.recv();
      expect(dec(r.body)).to.equal('hello');
      expect(r.header).to.include({ 'Micro-Id': '7', Echo: '1' });
      await s.close();
    });

    it('keeps several messages each way in order on one socket', async () => {
      const s = await t.dial(l.addr());
      for (let i = 0; i < 50; i++) await s.send(msg(`m${i}`));
      const got: string[] = [];
      for (let i = 0; i < 50; i++) got.push(dec((await s.recv()).body));
      expect(got).to.deep.equal(Array.from({ length: 50 }, (_, i) => `m${i}`));
      await s.close();
    });

    it('keeps 1,000 sockets in flight at once isolated from each other', async () => {
      const socks = await Promise.all(Array.from({ length: 1000 }, () => t.dial(l.addr())));
      await Promise.all(socks.map((s, i) => s.send(msg(`sock-${i}`))));
      const replies = await Promise.all(socks.map((s) => s.recv()));
      replies.forEach((r, i) => expect(dec(r.body)).to.equal(`sock-${i}`));
      await Promise.all(socks.map((s) => s.close()));
    });

    it('tells the server when the client closes its socket', async () => {
      const l2 = await t.listen('');
      closers.push(() => l2.close());
      let server: Socket | undefined;
      void l2.accept((s) => { server = s; });
      const c = await t.dial(l2.addr());
      await c.send(msg('hi'));
      await waitFor(() => server !== undefined, 'the server to accept');
      expect(dec((await server!.recv()).body)).to.equal('hi');
      await c.close();
      const err = await rejection(server!.recv({ timeout: 5_000 }));
      expect(err.code).to.equal(Codes.Unavailable);
      expect(err.detail).to.match(/closed/);
    });

    it('tells the client when the server closes its socket', async () => {
      const l2 = await t.listen('');
      closers.push(() => l2.close());
      void l2.accept(async (s) => { await s.recv(); await s.close(); });
      const c = await t.dial(l2.addr());
      await c.send(msg('bye'));
      const err = await rejection(c.recv({ timeout: 5_000 }));
      expect(err.code).to.equal(Codes.Unavailable);
      await rejection(c.send(msg('again')));
    });

    it('reaps idle server sockets after the idle timeout', async () => {
      const l2 = await t.listen('', { idleTimeout: 100 });
      closers.push(() => l2.close());
      let server: Socket | undefined;
      void l2.accept((s) => { server = s; });
      const c = await t.dial(l2.addr());
      await c.send(msg('x'));
      await waitFor(() => server !== undefined, 'the server to accept');
      await server!.recv();
      const err = await rejection(server!.recv({ timeout: 5_000 }));
      expect(err.code).to.equal(Codes.Unavailable);
      await c.close();
    });

    it('rejects recv with 408 when nothing arrives in time', async () => {
      const l2 = await t.listen('');
      closers.push(() => l2.close());
      void l2.accept(() => undefined);
      const c = await t.dial(l2.addr());
      await c.send(msg('nobody answers'));
      const err = await rejection(c.recv({ timeout: 50 }));
      expect(err.code).to.equal(Codes.Timeout);
      expect(err.detail).to.match(/timed out after 50 ms/);
      await c.close();
    });

    it('fails fast with 503 when dialling an address nobody listens on', async () => {
      const c = await t.dial('nobody.listens.here');
      await c.send(msg('anyone?'));
      const err = await rejection(c.recv({ timeout: 10_000 }));
      expect(err.code).to.equal(Codes.Unavailable);
      expect(err.detail).to.match(/no listener at nobody\.listens\.here/);
    });

    it('ends accept when the listener closes', async () => {
      const l2 = await t.listen('');
      let ended = false;
      const p = l2.accept(() => undefined).then(() => { ended = true; });
      await l2.close();
      await p;
      expect(ended).to.equal(true);
    });

    for (const bad of ['has space', 'wild.*', 'tail.>', 'a..b']) {
      it(`rejects the address "${bad}" with 400 and keeps serving`, async () => {
        expect((await rejection(t.dial(bad))).code).to.equal(Codes.BadRequest);
        expect((await rejection(t.listen(bad))).code).to.equal(Codes.BadRequest);
        const s = await t.dial(l.addr());
        await s.send(msg('still here'));
        expect(dec((await s.recv()).body)).to.equal('still here');
        await s.close();
      });
    }
  });
}

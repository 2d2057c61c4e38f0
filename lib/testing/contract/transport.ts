/**
 * The Transport contract suite: what every Transport must do, as mocha tests. Call it in a test file, once
 * per implementation: `transportContract('mine', () => new MyTransport())`. It calls mocha's `describe`/`it`
 * when called (not when imported) and asserts with chai, so both must be available to the test run.
 */
import { expect } from 'chai';
import { Codes } from '../../errors';
import type { Listener, Message, Socket, Transport } from '../../transport';
import { rejection, sleep, waitFor } from './wait';

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

/** Registers the contract tests for the transports `make` builds (each test builds its own and closes it). */
export function transportContract(name: string, make: () => Transport): void {
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
      // Answered, nothing is owed on the socket: idle (an unanswered request would keep it).
      await server!.send(await server!.recv());
      await c.recv();
      const err = await rejection(server!.recv({ timeout: 5_000 }));
      expect(err.code).to.equal(Codes.Unavailable);
      await c.close();
    });

    it('keeps a socket whose request is still being handled past the idle timeout', async () => {
      const l2 = await t.listen('', { idleTimeout: 100 });
      closers.push(() => l2.close());
      let server: Socket | undefined;
      void l2.accept(async (s) => {
        server = s;
        const m = await s.recv();
        await sleep(400); // four idle timeouts: the reaper runs several times meanwhile
        await s.send(m);
      });
      const c = await t.dial(l2.addr());
      await c.send(msg('slow'));
      expect(dec((await c.recv({ timeout: 5_000 })).body)).to.equal('slow');
      // Answered, it is idle again: reaped as usual.
      const err = await rejection(server!.recv({ timeout: 5_000 }));
      expect(err.code).to.equal(Codes.Unavailable);
      await c.close();
    });

    it('counts a stream\'s extra replies as nothing owed: a later slow request still keeps its socket', async () => {
      const l2 = await t.listen('', { idleTimeout: 100 });
      closers.push(() => l2.close());
      void l2.accept(async (s) => {
        const first = await s.recv();
        for (let i = 0; i < 3; i++) await s.send(first);
        const second = await s.recv({ timeout: 5_000 });
        await sleep(400);
        await s.send(second);
      });
      const c = await t.dial(l2.addr());
      await c.send(msg('stream'));
      for (let i = 0; i < 3; i++) expect(dec((await c.recv()).body)).to.equal('stream');
      await c.send(msg('slow'));
      expect(dec((await c.recv({ timeout: 5_000 })).body)).to.equal('slow');
      await c.close();
    });

    it('rejects a message over the default 1 MiB max_payload with 413 naming the limit, and keeps serving', async () => {
      const s = await t.dial(l.addr());
      const err = await rejection(s.send({ header: {}, body: new Uint8Array(2 * 1024 * 1024) }));
      expect(err.code).to.equal(Codes.PayloadTooLarge);
      expect(err.detail).to.match(/max_?payload of 1048576 bytes/i);
      await s.send(msg('small'));
      expect(dec((await s.recv()).body)).to.equal('small');
      await s.close();
      const s2 = await t.dial(l.addr());
      await s2.send(msg('new socket'));
      expect(dec((await s2.recv()).body)).to.equal('new socket');
      await s2.close();
    });

    for (const [what, header] of [
      ['a name with a space', { 'Bad Name': '1' }],
      ['a name with a colon', { 'Bad:Name': '1' }],
      ['a name with a control character', { 'Bad\u0007Name': '1' }],
      ['a value with CR LF', { Good: 'a\r\nInjected: 1' }],
      ['a value with LF', { Good: 'a\nb' }],
    ] as [string, Record<string, string>][]) {
      it(`rejects a header with ${what} with 400, and the socket keeps working`, async () => {
        const s = await t.dial(l.addr());
        const err = await rejection(s.send(msg('x', header)));
        expect(err.code).to.equal(Codes.BadRequest);
        expect(err.detail).to.match(/header/);
        await s.send(msg('fine', { Good: 'value' }));
        const r = await s.recv();
        expect(dec(r.body)).to.equal('fine');
        expect(r.header).to.include({ Good: 'value', Echo: '1' });
        await s.close();
      });
    }

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

import { expect } from 'chai';
import type { Message, Socket, Transport } from '../lib/transport';
import { NatsTransport } from '../lib/transport/nats';
import { MemoryTransport } from '../lib/transport/memory';
import { Codes } from '../lib/errors';
import { natsUrl } from './support/nats';
import { rejection } from './support/wait';
import { transportContract } from '../lib/testing/contract';

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

for (const [name, make] of impls) transportContract(name, make);

describe('MemoryTransport maxPayload', () => {
  it('rejects a message over its maxPayload (body and headers) with 413 naming it', async () => {
    const t = new MemoryTransport({ maxPayload: 4096 });
    const l = await t.listen('');
    void l.accept(echo);
    const s = await t.dial(l.addr());
    const err = await rejection(s.send({ header: {}, body: new Uint8Array(4097) }));
    expect(err.code).to.equal(Codes.PayloadTooLarge);
    expect(err.detail).to.match(/maxPayload of 4096 bytes/);
    // Headers count toward the limit, as on NATS.
    expect((await rejection(s.send({ header: { Big: 'x'.repeat(100) }, body: new Uint8Array(4000) }))).code)
      .to.equal(Codes.PayloadTooLarge);
    await s.send({ header: {}, body: new Uint8Array(4096) });
    // The echo adds a header: a body at the limit would not fit back.
    await s.send({ header: {}, body: new Uint8Array(4000) });
    expect((await s.recv()).body.length).to.equal(4000);
    await s.close();
    await l.close();
  });

  for (const bad of [0, -1, 1.5, Number.NaN, '1024' as unknown as number]) {
    it(`refuses maxPayload ${String(bad)} naming the option`, () => {
      expect(() => new MemoryTransport({ maxPayload: bad })).to.throw(/maxPayload/);
    });
  }
});

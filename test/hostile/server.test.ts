/**
 * A service under floods of requests from a raw NATS client: one-shot requests leave no state, sockets a
 * client asks to keep are bounded and reaped at their requests' deadlines, the in-flight limit refuses
 * at once, and nothing a caller sent is echoed back whole.
 */
import { expect } from 'chai';
import { connect, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { buildComponents, type Components } from '../../lib/components';
import { Codes, MicroError, REFUSED_ID } from '../../lib/errors';
import { Header, writeTimeout } from '../../lib/protocol/mucp';
import { natsUrl } from '../support/nats';
import { waitFor } from '../support/wait';
import { flood, startTarget, type Target } from './support';

const enc = (s: string) => new TextEncoder().encode(s);
const MiB = 1024 * 1024;

function hdrs(entries: Record<string, string>) {
  const h = natsHeaders();
  for (const [k, v] of Object.entries(entries)) h.set(k, v);
  return h;
}

describe('Hostile: request floods on a node address', function () {
  this.timeout(60_000);
  let target: Target;
  let nc: NatsConnection;

  before(async () => {
    target = await startTarget(natsUrl(), 96, 300, 500);
    nc = await connect({ servers: natsUrl() });
  });
  after(async () => {
    target?.kill();
    await nc?.close();
  });

  it('keeps no socket and no heap for 30,000 one-shot requests once answered', async () => {
    const echo = hdrs({ [Header.Endpoint]: 'Echo.call', [Header.ContentType]: 'application/json' });
    await flood(nc, target.address, 2_000, echo, enc('{"v":1}'));  // warm-up: code paths compiled, buffers grown
    const before = await target.stats();
    const answered = await flood(nc, target.address, 30_000, echo, enc('{"v":1}'));
    const after = await target.stats();
    expect(answered).to.equal(30_000);
    expect(after.sockets).to.equal(0);
    // A socket kept per reply subject held ~700 B each: 30 000 of them ~20 MiB.
    expect(after.heap - before.heap).to.be.below(6 * MiB);
  });

  it('bounds the sockets clients ask to keep, and reaps those whose request outlived its deadline', async () => {
    // Marked as a pooled micro-nats socket, to an endpoint that never answers, with a 200 ms deadline.
    const hang = hdrs({ [Header.Endpoint]: 'Slow.hang', [Header.Socket]: '1', [Header.Timeout]: writeTimeout(200) });
    await flood(nc, target.address, 1_000, hang, enc('{}'), { answered: false });
    const held = await target.stats();
    expect(held.sockets).to.be.at.most(500);  // the listener's maxSockets
    expect(held.sockets).to.be.above(0);
    // Idle timeout 300 ms: reaped once silent that long and past the deadline, although never answered.
    await waitFor(async () => (await target.stats()).sockets === 0, 'hung sockets reaped', 10_000);
  });
});

describe('Hostile: in-flight limit and echoed input', function () {
  this.timeout(30_000);
  let c: Components;
  let nc: NatsConnection;
  let address: string;
  let ran = 0;
  let release!: () => void;
  let gate = new Promise<void>((r) => { release = r; });

  before(async () => {
    c = buildComponents({ transportAddress: natsUrl(), registry: 'memory', broker: 'memory', adr32: { enabled: false } });
    const s = c.server({ name: `limited-${process.pid}`, maxInflight: 4 });
    s.handle('Slow.wait', async () => { ran++; await gate; return { ok: true }; });
    s.handle('Echo.call', (req: unknown) => req);
    await s.start();
    address = s.service().nodes[0].address;
    nc = await connect({ servers: natsUrl() });
  });
  after(async () => {
    release();
    await nc?.close();
    await c?.close();
  });

  const call = async (endpoint: string, extra: Record<string, string> = {}) => {
    const m = await nc.request(address, enc('{}'), { timeout: 5_000, headers: hdrs({ [Header.Endpoint]: endpoint, ...extra }) });
    const err = m.headers?.get(Header.Error);
    return err ? MicroError.parse(err) : JSON.parse(new TextDecoder().decode(m.data));
  };

  it('refuses a request past the limit at once with 503 micro.server.refused, without running its handler', async () => {
    const held = Array.from({ length: 4 }, () => call('Slow.wait'));
    await waitFor(() => ran === 4, 'four requests running');
    const refused = await call('Slow.wait');
    expect(refused).to.be.instanceOf(MicroError);
    expect(refused.code).to.equal(Codes.Unavailable);
    expect(refused.id).to.equal(REFUSED_ID);
    expect(ran).to.equal(4);
    release();
    for (const r of await Promise.all(held)) expect(r).to.deep.equal({ ok: true });
    gate = Promise.resolve();
    expect(await call('Slow.wait')).to.deep.equal({ ok: true });
    expect(ran).to.equal(5);
  });

  it('answers a Timeout header of 512 KiB of digits with a 400 that quotes a bounded excerpt', async () => {
    const err = await call('Echo.call', { [Header.Timeout]: '9'.repeat(512 * 1024) });
    expect(err).to.be.instanceOf(MicroError);
    expect(err.code).to.equal(Codes.BadRequest);
    expect(JSON.stringify(err).length).to.be.below(400);
  });
});

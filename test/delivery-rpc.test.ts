import { expect } from 'chai';
import { buildComponents, type Components } from '../lib/components';
import { Codes, ConnectionLostError } from '../lib/errors';
import { MemoryRegistry } from '../lib/registry/memory';
import { silentLogger } from '../lib/logger';
import type { Service } from '../lib/registry';
import { startNatsCluster, startNatsServer, type NatsCluster, type NatsServer } from '../lib/testing';
import { startChildNode, type ChildNode } from './support/child';
import { natsUrl } from './support/nats';
import { rejection, sleep, waitFor } from './support/wait';

const unique = (what: string) => `${what}-${process.pid}-${Math.floor(Math.random() * 1e6)}`;

/** Calls and how long each took; `slow` counts those over `slowMs`. */
async function timedCalls(c: Components, name: string, n: number, timeout: number, slowMs: number) {
  let slow = 0;
  let failed = 0;
  for (let i = 0; i < n; i++) {
    const t0 = Date.now();
    try { await c.client.call(name, 'Echo.call', { value: i }, { timeout }); } catch { failed++; }
    if (Date.now() - t0 > slowMs) slow++;
  }
  return { slow, failed };
}

describe('retries never duplicate work the caller did not allow', function () {
  this.timeout(20_000);
  let c: Components;
  const name = unique('once');
  const runs: Record<string, number> = {};
  const count = (k: string) => { runs[k] = (runs[k] ?? 0) + 1; return runs[k]; };

  before(async () => {
    c = buildComponents({ address: natsUrl() });
    // Replies to callers that gave up fail to send: expected here, so not printed.
    const s = c.server({ name, logger: silentLogger });
    s.handle('W.ping', () => 'pong');
    s.handle('W.create', async () => { count('create'); await sleep(900); return 'created'; });
    s.handle('W.tooSlow', async () => { count('tooSlow'); await sleep(900); });
    // Slow only on its first run: a re-send after a timeout answers at once.
    const flaky = (k: string) => async () => { if (count(k) === 1) await sleep(1_500); return 'got'; };
    s.handle('W.get', flaky('get'), { idempotent: true });
    s.handle('W.getPerCall', flaky('getPerCall'));
    s.handle('W.getNot', flaky('getNot'), { idempotent: true });
    await s.start();
    await c.client.call(name, 'W.ping'); // the registry lookup is behind us
  });
  after(async () => { await c.close(); });

  it('a slow handler that is not idempotent runs once: the attempt gets the whole budget (default 1 retry)', async () => {
    expect(await c.client.call(name, 'W.create', {}, { timeout: 1_500 })).to.equal('created');
    expect(runs.create).to.equal(1);
  });

  it('a call that times out is not re-sent, and says how much of its budget it spent', async () => {
    const err = await rejection(c.client.call(name, 'W.tooSlow', {}, { timeout: 300 }));
    expect(err.code).to.equal(Codes.Timeout);
    expect(err.detail).to.match(/timed out after \d+ ms of its 300 ms budget \(1 attempt\(s\)/);
    await sleep(900);
    expect(runs.tooSlow).to.equal(1);
  });

  it('an endpoint declared idempotent is re-sent after a timeout (callers learn it from the registry)', async () => {
    const ep = (await c.registry.getService(name))[0].endpoints.find((e) => e.name === 'W.get');
    expect(ep?.metadata.idempotent).to.equal('true');
    expect(await c.client.call(name, 'W.get', {}, { timeout: 1_400 })).to.equal('got');
    expect(runs.get).to.equal(2);
  });

  it('idempotent per call: true re-sends an undeclared endpoint; false overrides the declaration', async () => {
    expect(await c.client.call(name, 'W.getPerCall', {}, { timeout: 1_400, idempotent: true })).to.equal('got');
    expect(runs.getPerCall).to.equal(2);
    expect((await rejection(c.client.call(name, 'W.getNot', {}, { timeout: 700, idempotent: false }))).code).to.equal(Codes.Timeout);
    await sleep(1_000);
    expect(runs.getNot).to.equal(1);
  });
});

describe('the registry lookup counts inside the deadline', () => {
  /** A registry whose lookups take 500 ms. */
  class SlowRegistry extends MemoryRegistry {
    override async getService(name: string): Promise<Service[]> { await sleep(500); return super.getService(name); }
  }

  it('a 300 ms call whose lookup takes 500 ms fails 408 at its deadline, naming the lookup', async () => {
    const c = buildComponents({ transport: 'memory', broker: 'memory', registry: new SlowRegistry() });
    const s = c.server({ name: 'slowlookup' });
    s.handle('S.x', () => 'x');
    await s.start();
    const t0 = Date.now();
    const err = await rejection(c.client.call('slowlookup', 'S.x', {}, { timeout: 300 }));
    const took = Date.now() - t0;
    expect(err.code).to.equal(Codes.Timeout);
    expect(err.detail).to.match(/registry lookup of slowlookup not answered within \d+ ms/);
    expect(took).to.be.below(480);
    await c.close();
  });
});

describe('connection loss', function () {
  this.timeout(20_000);
  let server: NatsServer;
  before(async () => { server = await startNatsServer(); });
  after(async () => { await server.stop(); });

  it('fails calls in flight at once (not at their timeout); idempotent ones and calls made during the outage go through once NATS is back', async () => {
    const name = unique('lost');
    const svc = buildComponents({ address: server.url });
    const s = svc.server({ name });
    s.handle('L.work', async () => { await sleep(500); return 'done'; });
    s.handle('L.read', async () => { await sleep(500); return 'read'; }, { idempotent: true });
    await s.start();
    const c = buildComponents({ address: server.url });
    await c.client.call(name, 'L.read', {}, { timeout: 5_000 });
    const t0 = Date.now();
    const settle = (p: Promise<unknown>) => p.then((v) => ({ v, ms: Date.now() - t0 }), (e) => ({ e, ms: Date.now() - t0 }));
    // The service reconnects on its own schedule: a re-send may find it not back yet (no responders, or not
    // found in the registry), so the calls that should ride out the outage allow a few re-sends.
    const work = [1, 2, 3].map(() => settle(c.client.call(name, 'L.work', {}, { timeout: 8_000 })));
    const read = [1, 2, 3].map(() => settle(c.client.call(name, 'L.read', {}, { timeout: 8_000, retries: 3 })));
    await sleep(150);
    await server.kill();
    await sleep(300);
    const during = settle(c.client.call(name, 'L.work', {}, { timeout: 8_000, retries: 3 }));
    await sleep(700);
    await server.restart();
    for (const r of await Promise.all(work) as { e?: unknown; ms: number }[]) {
      expect(r.e).to.be.instanceOf(ConnectionLostError);
      expect((r.e as ConnectionLostError).code).to.equal(Codes.Unavailable);
      expect(r.ms, 'failed when the connection dropped').to.be.below(1_000);
    }
    for (const r of await Promise.all(read) as { v?: unknown; e?: { detail?: string } }[]) expect(r.v, r.e?.detail).to.equal('read');
    expect(((await during) as { v?: unknown }).v).to.equal('done');
    await c.close();
    await svc.close();
  });
});

describe('a frozen node', function () {
  this.timeout(30_000);
  let children: ChildNode[] = [];
  afterEach(() => { for (const ch of children) { ch.proc.kill('SIGCONT'); ch.kill(); } children = []; });

  it('costs at most 3 slow calls: the selector ejects it (one of two nodes SIGSTOPped)', async () => {
    const name = unique('frozen');
    children = [await startChildNode(natsUrl(), name), await startChildNode(natsUrl(), name)];
    const c = buildComponents({ address: natsUrl(), client: { selector: 'roundRobin' } });
    await waitFor(async () => (await c.registry.getService(name).catch(() => []))[0]?.nodes.length === 2, 'both instances registered');
    expect((await timedCalls(c, name, 10, 1_000, 400)).slow).to.equal(0);
    children[0].proc.kill('SIGSTOP');
    const frozen = await timedCalls(c, name, 40, 1_000, 400);
    expect(frozen.failed, 'Echo is idempotent: re-sent to the live node').to.equal(0);
    expect(frozen.slow).to.be.at.least(1).and.at.most(3);
    await c.close();
  });
});

describe('a frozen NATS server in a cluster', function () {
  this.timeout(40_000);
  let cluster: NatsCluster;
  let child: ChildNode | undefined;
  before(async () => { cluster = await startNatsCluster(3); });
  after(async () => { child?.kill(); cluster.servers[0].thaw(); await cluster.stop(); });

  it('calls succeed again within 15 s when the service\'s NATS node is frozen (SIGSTOP)', async () => {
    const name = unique('moved');
    child = await startChildNode(cluster.urls[0], name);
    const c = buildComponents({ address: cluster.urls[2] });
    await waitFor(async () => (await c.registry.getService(name).catch(() => []))[0]?.nodes.length === 1, 'instance registered');
    await c.client.call(name, 'Echo.call', {}, { timeout: 2_000 });
    cluster.servers[0].freeze();
    const t0 = Date.now();
    let inRow = 0;
    let recovered = 0;
    while (Date.now() - t0 < 25_000 && inRow < 5) {
      try {
        await c.client.call(name, 'Echo.call', {}, { timeout: 1_000 });
        if (inRow++ === 0) recovered = Date.now() - t0;
      } catch { inRow = 0; await sleep(100); }
    }
    if (process.env.DEBUG_DELIVERY) console.log('recovered after', recovered, 'ms');
    expect(inRow, '5 successful calls in a row').to.equal(5);
    expect(recovered).to.be.below(15_000);   // ~8.5 s measured (pings 2 s × 2, then a reconnect); the margin is for a loaded machine
    await c.close();
  });
});

import { expect } from 'chai';
import { buildComponents, type Components } from '../lib/components';
import { Codes } from '../lib/errors';
import { startNatsServer, type NatsServer } from '../lib/testing';
import { rejection, sleep, waitFor } from './support/wait';

/** Publishes one numbered event; records it as resolved or rejected (with the code). */
async function publishOne(c: Components, topic: string, n: number, timeout: number, tally: Tally): Promise<void> {
  try {
    await c.client.publish(topic, { n }, { timeout });
    tally.resolved.add(n);
  } catch (err) {
    tally.rejected.push((err as { code?: number }).code ?? 0);
  }
}

interface Tally { resolved: Set<number>; rejected: number[] }

describe('publish while NATS is down', function () {
  this.timeout(30_000);
  let server: NatsServer;
  let c: Components;
  const topic = `outage.${process.pid}`;
  const delivered = new Set<number>();

  before(async () => {
    server = await startNatsServer();
    c = buildComponents({ address: server.url });
    await c.broker.connect();
    // The subscriber shares the publisher's connection: nats.js subscribes again before anything is published
    // after a reconnect, so an event lost here is the publisher's fault, not a subscription not yet back.
    await c.broker.subscribe(topic, (e) => { delivered.add((c.codecs.get('application/json').decode(e.message().body) as { n: number }).n); });
  });
  after(async () => { await c?.close(); await server?.stop(); });

  it('rejects 503 during an outage, and every publish that resolved outside the crash instant is delivered', async () => {
    const tally: Tally = { resolved: new Set(), rejected: [] };
    let n = 0;
    for (; n < 200; n++) await publishOne(c, topic, n, 100, tally);
    await waitFor(() => delivered.size === 200, 'the events published before the crash delivered');
    await server.kill();
    // The crash instant: until the client reads the closed socket (milliseconds), a publish is handed to a
    // connection that is already dead. These probes measure that window; they are not held to delivery.
    const probes: Tally = { resolved: new Set(), rejected: [] };
    const firstProbe = n;
    while (probes.rejected.length === 0) { await publishOne(c, topic, n++, 20, probes); await sleep(5); }
    const during = n;
    for (let k = 0; k < 50; k++) await publishOne(c, topic, n++, 20, tally);
    expect(tally.rejected.length).to.equal(50, 'every publish during the outage rejects');
    expect(new Set(tally.rejected)).to.deep.equal(new Set([Codes.Unavailable]));
    // Publishes that may wait: they go once the server is back.
    const waiting = Array.from({ length: 100 }, () => publishOne(c, topic, n++, 10_000, tally));
    await sleep(300);
    await server.restart();
    await Promise.all(waiting);
    for (let k = 0; k < 200; k++) await publishOne(c, topic, n++, 100, tally);
    await waitFor(() => [...tally.resolved].every((x) => delivered.has(x)), 'resolved events delivered', 5_000).catch(() => undefined);
    const lost = [...tally.resolved].filter((x) => !delivered.has(x));
    expect(lost, 'resolved but never delivered').to.deep.equal([]);
    expect(tally.resolved.size).to.equal(500, 'before, waiting through, and after the outage');
    expect(during - firstProbe, 'publishes accepted between the crash and the client noticing').to.be.below(20);
  });

  it('a publish that waits longer than its timeout fails 503 saying the event was not sent', async () => {
    await server.kill();
    await waitFor(() => c.client.publish(topic, { n: -2 }, { timeout: 10 }).then(() => false, (e) => e.code === Codes.Unavailable), 'the outage noticed');
    const t0 = Date.now();
    const err = await rejection(c.client.publish(topic, { n: -1 }, { timeout: 300 }));
    expect(Date.now() - t0).to.be.at.least(290);
    expect(err.code).to.equal(Codes.Unavailable);
    expect(err.detail).to.match(/not sent/);
    await server.restart();
  });
});

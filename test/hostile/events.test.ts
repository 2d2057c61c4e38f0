/**
 * A flood of events onto a subscription whose handlers are slow: core NATS and memory run at most
 * `maxHandlers` at once, keep at most `maxPending` waiting and drop the rest, counted and reported at most
 * once a second; JetStream pulls no more than its consumer's unacked limit.
 */
import { expect } from 'chai';
import type { Broker, Event } from '../../lib/broker';
import { EventsDroppedError } from '../../lib/broker/dispatch';
import { JetStreamBroker } from '../../lib/broker/jetstream';
import { MemoryBroker } from '../../lib/broker/memory';
import { NatsBroker } from '../../lib/broker/nats';
import { Codes } from '../../lib/errors';
import { natsUrl } from '../support/nats';
import { sleep, waitFor } from '../support/wait';

const body = new TextEncoder().encode('{"v":1}');

interface Flood { started: number; dropped: number; reports: number; release(): void }

/** Subscribes a handler that waits until released; counts its calls and the drops reported. */
async function slowSubscriber(broker: Broker, topic: string): Promise<Flood> {
  let open!: () => void;
  const gate = new Promise<void>((r) => { open = r; });
  const f: Flood = { started: 0, dropped: 0, reports: 0, release: () => open() };
  broker.init({ errorHandler: (e: Event) => {
    const err = e.error();
    if (err instanceof EventsDroppedError) { f.reports++; f.dropped += err.dropped; expect(err.code).to.equal(Codes.Unavailable); }
  } });
  await broker.subscribe(topic, async () => { f.started++; await gate; });
  return f;
}

for (const [name, make] of [
  ['nats', () => new NatsBroker({ servers: natsUrl(), maxHandlers: 8, maxPending: 32 })],
  ['memory', () => new MemoryBroker({ maxHandlers: 8, maxPending: 32 })],
] as const) {
  describe(`Hostile: slow-event flood on the ${name} broker`, function () {
    this.timeout(20_000);
    let broker: Broker;
    beforeEach(async () => { broker = make(); await broker.connect(); });
    afterEach(() => broker.disconnect({ drain: false }));

    it('runs at most maxHandlers, queues maxPending, drops and reports the rest (at most once a second)', async () => {
      const f = await slowSubscriber(broker, 'flood.slow');
      for (let i = 0; i < 5_000; i++) await broker.publish('flood.slow', { header: {}, body });
      await waitFor(() => f.dropped === 5_000 - 8 - 32, 'drops reported', 10_000);
      expect(f.started).to.equal(8);
      expect(f.reports).to.be.at.most(2); // one at once, the rest within the next second
      f.release();
      await waitFor(() => f.started === 40, 'queued events handled', 5_000);
      // Handlers are free again: the next events run at once.
      await broker.publish('flood.slow', { header: {}, body });
      await waitFor(() => f.started === 41, 'a later event handled', 5_000);
      await sleep(1_100);
      expect(f.dropped).to.equal(5_000 - 40);
    });

    it('bounds the waiting events by bytes too: large events are dropped once maxPendingBytes is held', async () => {
      broker.init({ maxPendingBytes: 256 * 1024 });
      const f = await slowSubscriber(broker, 'flood.large');
      const large = new Uint8Array(64 * 1024).fill(120);   // 64 KiB each: 4 fit in 256 KiB, not 32
      for (let i = 0; i < 100; i++) await broker.publish('flood.large', { header: {}, body: large });
      await waitFor(() => f.dropped >= 100 - 8 - 4, 'drops reported', 10_000);
      expect(f.started).to.equal(8);
      f.release();
      await waitFor(() => f.started + f.dropped === 100, 'every event handled or reported dropped', 5_000);
      expect(f.started).to.be.within(8 + 3, 8 + 4);   // header blocks count too: 3 or 4 of 64 KiB fit
    });

    it('drains the queued events at disconnect', async () => {
      const f = await slowSubscriber(broker, 'flood.drain');
      for (let i = 0; i < 20; i++) await broker.publish('flood.drain', { header: {}, body });
      await waitFor(() => f.started === 8, 'handlers busy', 5_000);
      setTimeout(f.release, 50);
      await broker.disconnect({ drain: true, timeout: 5_000 });
      expect(f.started).to.equal(20);
      expect(f.dropped).to.equal(0);
    });
  });
}

describe('Hostile: slow-event flood on the jetstream broker', function () {
  this.timeout(30_000);
  it('pulls no more events than its consumer may leave unacked', async () => {
    const broker = new JetStreamBroker({ servers: natsUrl(), jetstream: { stream: { name: 'FLOOD', storage: 'memory' } } });
    await broker.connect();
    try {
      const f = await slowSubscriber(broker, 'jsflood.slow');
      for (let i = 0; i < 3_000; i++) await broker.publish('jsflood.slow', { header: {}, body });
      await waitFor(() => f.started >= 256, 'first pulls handled', 10_000);
      await sleep(1_500);
      // nats-server's default max_ack_pending (1 000): nothing more is pulled while handlers hold events.
      expect(f.started).to.be.at.most(1_000);
      expect(f.dropped).to.equal(0);
      f.release();
    } finally {
      await broker.disconnect({ drain: false });
    }
  });
});

import { expect } from 'chai';
import { startNatsServer, type NatsServer } from 'micro-nats/testing';
import { main, type Outcome } from './main';

describe('sample: durable', function () {
  this.timeout(20_000);
  let nats: NatsServer;
  let out: Outcome;
  let text: string;
  before(async () => {
    nats = await startNatsServer({ jetstream: true });
    const lines: string[] = [];
    out = await main(nats.url, (l) => lines.push(l));
    text = lines.join('\n');
  });
  after(async () => { await nats.stop(); });

  it('ships the order whose first consumer crashed mid-handler, once, on the redelivery', () => {
    expect(out.crashed).to.equal(true);
    expect(out.warehouse.shipped).to.deep.equal([{ id: 1, attempt: 2, redelivered: true }]);
    expect(text).to.contain('shipping-2 shipped order 1 on attempt 2 (redelivered: true).');
  });
});

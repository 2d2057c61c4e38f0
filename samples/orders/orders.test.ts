import { expect } from 'chai';
import { startNatsServer, type NatsServer } from 'micro-nats/testing';
import { main, type Outcome } from './main';

describe('sample: orders', function () {
  this.timeout(15_000);
  let nats: NatsServer;
  let out: Outcome;
  let text: string;
  before(async () => {
    nats = await startNatsServer();
    const lines: string[] = [];
    out = await main({ address: nats.url, argv: [], env: {} }, (l) => lines.push(l));
    text = lines.join('\n');
  });
  after(async () => { await nats.stop(); });

  it('places an order through inventory and notifies once from orders.created', () => {
    expect(out.replies[0]).to.deep.equal({ id: 1, sku: 'apple', qty: 3, left: 7 });
    expect(out.outbox.sent[0]).to.equal('order 1 (3 x apple) is on its way');
    expect(text).to.contain(`orders.place({ sku: 'apple', qty: 3 }) -> {"id":1,"sku":"apple","qty":3,"left":7}`);
  });

  it('answers an invalid order with 400 and the field errors, from orders', () => {
    const [bad] = out.errors;
    expect(bad.code).to.equal(400);
    expect(bad.id).to.equal('orders');
    expect(bad.errors!.map((e) => e.property)).to.deep.equal(['sku', 'qty']);
    expect(text).to.contain('qty: qty must not be less than 1');
  });

  it("passes inventory's 409 through orders to the caller, and reserves nothing", () => {
    const conflict = out.errors[1];
    expect(conflict.code).to.equal(409);
    expect(conflict.id).to.equal('inventory');
    expect(conflict.detail).to.equal('only 7 apple left, 50 wanted');
    expect(out.stock.left('apple')).to.equal(7);
  });

  it("ends a call past the caller's deadline with 408, and inventory abandons the work", () => {
    const late = out.errors[2];
    expect(late.code).to.equal(408);
    expect(out.instances.reduce((n, i) => n + i.abandoned, 0)).to.be.greaterThan(0);
    expect(out.stock.left('piano')).to.equal(1);
    expect(out.errors).to.have.length(3);
  });

  it('retries the 503s of the instance without a database on the other one: no order fails', () => {
    expect(out.instances[1].refused).to.be.greaterThan(0);
    expect(out.replies.slice(1).map((r) => (r as { id: number }).id)).to.deep.equal([2, 3, 4, 5]);
    expect(out.stock.left('pear')).to.equal(1);
    expect(out.outbox.sent).to.have.length(5);
    expect(text).to.match(/4 orders of 1 pear: 4 placed; inventory-2 refused \d+ attempts/);
  });
});

import { expect } from 'chai';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { startNatsServer, type NatsServer } from 'micro-nats/testing';
import { main } from './main';

describe('sample: tracing', function () {
  this.timeout(15_000);
  let nats: NatsServer;
  before(async () => { nats = await startNatsServer(); });
  after(async () => {
    await nats.stop();
    for (const api of [trace, context, propagation, metrics]) api.disable();
  });

  it('prints two traces: the order through orders, stock and the event to mailer, and the failed one', async () => {
    const lines: string[] = [];
    const spans = await main({ address: nats.url, argv: [], env: {} }, (l) => lines.push(l));
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).to.equal(2);
    const shape = lines.map((l) => l.replace(/trace [0-9a-f]{32}/, 'trace').replace(/\s+\[.*$/, ''));
    expect(shape).to.deep.equal([
      'trace',
      '  CLIENT   orders.Orders/place',
      '    SERVER   orders.Orders/place',
      '      CLIENT   stock.Stock/reserve',
      '        SERVER   stock.Stock/reserve',
      '          PRODUCER publish stock.reserved',
      '            CONSUMER process stock.reserved',
      'trace',
      '  CLIENT   orders.Orders/place',
      '    SERVER   orders.Orders/place',
      '      CLIENT   stock.Stock/reserve',
      '        SERVER   stock.Stock/reserve',
    ]);
    expect(lines[11]).to.contain('[rpc.status_code=404 error.type=404]');
    expect(lines[11]).to.not.contain('ERROR');
    expect(lines[8]).to.contain('ERROR "no unicorns left"');
  });
});

/**
 * The JetStream broker under the same middleware and tracing as the NATS broker: subscriber and publish
 * middleware run around durable events, and a durable event's trace context makes its process span a
 * child of the publish span.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { SpanKind, type SpanContext } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { bootstrap, Service, Subscribe, type App, type Context, type Invocation } from '../index';
import { natsUrl } from './support/nats';
import { registerSdk, unregisterSdk, type TestSdk } from './support/otel';
import { sleep, waitFor } from './support/wait';

const TOPIC = `jsmw.${process.pid}.orders`;
const got: Array<{ id: number; tenant?: string; traceparent?: string; attempt?: number }> = [];

@Service(`jsmw-${process.pid}`)
class Ledger {
  @Subscribe(TOPIC, { durable: true, queue: 'ledger', deliverPolicy: 'new', ackWait: 300 })
  async book(o: { id: number }, ctx: Context) {
    got.push({ id: o.id, tenant: ctx.metadata['x-tenant'], traceparent: ctx.metadata.traceparent, attempt: ctx.delivery?.attempt });
  }
}

const jetstream = { stream: { name: `JSMW${process.pid}`, storage: 'memory' as const } };
const base = () => ({ address: natsUrl(), broker: 'jetstream' as const, argv: [], env: {}, logLevel: 'silent' as const, jetstream });
const traceparent = (c: SpanContext) => `00-${c.traceId}-${c.spanId}-01`;

describe('JetStream broker with middleware and OpenTelemetry', function () {
  this.timeout(20_000);
  let sdk: TestSdk;
  let app: App;
  let publisher: App;
  const seen: Invocation[] = [];

  before(async () => {
    sdk = registerSdk();
    app = await bootstrap({ ...base(), services: [Ledger], middleware: [async (inv, next) => {
      seen.push(inv);
      return inv.metadata['x-drop'] ? undefined : next();
    }] });
    publisher = await bootstrap({ ...base(), clientMiddleware: [async (inv, next) => {
      seen.push(inv);
      inv.metadata['x-tenant'] = 'acme';
      return next();
    }] });
  });
  after(async () => { await publisher?.stop(); await app?.stop(); unregisterSdk(); });

  it('runs publish and subscriber middleware around durable events; middleware may drop one (acked, not redelivered)', async () => {
    await publisher.client.publish(TOPIC, { id: 1 }, { metadata: { 'x-drop': '1' } });
    await publisher.client.publish(TOPIC, { id: 2 });
    await waitFor(() => got.length === 1 && seen.filter((i) => i.kind === 'subscriber').length === 2, 'both events through middleware');
    expect(got.map(({ id, tenant, attempt }) => ({ id, tenant, attempt }))).to.deep.equal([{ id: 2, tenant: 'acme', attempt: 1 }]);
    const kinds = (k: string) => seen.filter((i) => i.kind === k).map((i) => i.endpoint);
    expect([kinds('publish'), kinds('subscriber')]).to.deep.equal([[TOPIC, TOPIC], [TOPIC, TOPIC]]);
    expect(seen.find((i) => i.kind === 'subscriber')?.queue).to.equal('ledger');
    await sleep(700); // over twice the ack wait: neither event comes again
    expect(seen.filter((i) => i.kind === 'subscriber')).to.have.length(2);
  });

  it("carries the publish span's trace context: the process span is its child, in one trace", async () => {
    got.length = 0;
    await publisher.client.publish(TOPIC, { id: 3 });
    await waitFor(() => got.length === 1, 'the traced event');
    const one = (kind: SpanKind, name: string): ReadableSpan[] => sdk.spans().filter((s) => s.kind === kind && s.name === name);
    await waitFor(() => one(SpanKind.CONSUMER, `process ${TOPIC}`).length === 3, 'three process spans');
    const publish = one(SpanKind.PRODUCER, `publish ${TOPIC}`).at(-1)!;
    const process = one(SpanKind.CONSUMER, `process ${TOPIC}`).at(-1)!;
    expect(got[0].traceparent).to.equal(traceparent(publish.spanContext()));
    expect(process.spanContext().traceId).to.equal(publish.spanContext().traceId);
    expect(process.parentSpanContext?.spanId).to.equal(publish.spanContext().spanId);
    expect(process.attributes).to.deep.include({ 'messaging.destination.name': TOPIC, 'messaging.consumer.group.name': 'ledger' });
  });
});

import 'reflect-metadata';
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { connect, headers as natsHeaders } from '@nats-io/transport-node';
import { inject } from 'inversify';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { bootstrap, Handler, internal, notFound, Service, Subscribe, TYPES } from '../index';
import type { App, Client, Context } from '../index';
import { natsUrl } from './support/nats';
import { rejection, sleep, waitFor } from './support/wait';
import { registerSdk, unregisterSdk, type TestSdk } from './support/otel';

const P = `t${process.pid}`;
const TOPIC = `${P}.done`;
const seen: { traceparent?: string; events: number } = { events: 0 };

@Service(`${P}-c`)
class C {
  constructor(@inject(TYPES.Client) private readonly client: Client) {}
  @Handler() async hop(req: { n: number }, ctx: Context) {
    seen.traceparent = ctx.metadata.traceparent;
    await this.client.publish(TOPIC, { n: req.n });
    return { n: req.n + 1 };
  }
  @Handler() async missing() { throw notFound(`${P}-c`, 'no such thing'); }
  @Handler() async crash() { throw internal(`${P}-c`, 'it broke'); }
  @Handler() async *count(req: { n: number }) { for (let i = 0; i < req.n; i++) yield i; }
}

@Service(`${P}-b`)
class B {
  constructor(@inject(TYPES.Client) private readonly client: Client) {}
  @Handler() async hop(req: { n: number }) { return this.client.call(`${P}-c`, 'C.hop', { n: req.n + 1 }); }
}

@Service(`${P}-a`)
class A {
  constructor(@inject(TYPES.Client) private readonly client: Client) {}
  @Handler() async hop(req: { n: number }) { return this.client.call(`${P}-b`, 'B.hop', { n: req.n + 1 }); }
  @Subscribe(TOPIC, { queue: 'audit' }) async onDone() { seen.events++; }
  @Subscribe(`${P}.wild.*`) async onWild() { /* seen by its span */ }
}

const opts = () => ({ address: natsUrl(), argv: [], env: {} });
const one = (spans: ReadableSpan[], name: string, kind: SpanKind) => {
  const found = spans.filter((s) => s.name === name && s.kind === kind);
  expect(found, `${SpanKind[kind]} span ${name}`).to.have.length(1);
  return found[0];
};
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

describe('OpenTelemetry', function () {
  this.timeout(20_000);

  describe('with an SDK registered before bootstrap', () => {
    let sdk: TestSdk;
    let app: App;
    let caller: App;
    before(async () => {
      sdk = registerSdk();
      app = await bootstrap({ ...opts(), services: [A, B, C] });
      caller = await bootstrap(opts());
    });
    after(async () => { await caller?.stop(); await app?.stop(); unregisterSdk(); });

    it('makes one trace of a call a → b → c and the event c publishes, with kinds, links and attributes', async () => {
      expect(await caller.client.call(`${P}-a`, 'A.hop', { n: 1 })).to.deep.equal({ n: 4 });
      await waitFor(() => sdk.spans().some((s) => s.kind === SpanKind.CONSUMER), 'the consumer span');
      const spans = sdk.spans();
      const call = (svc: string, cls: string) => one(spans, `${P}-${svc}.${cls}/hop`, SpanKind.CLIENT);
      const handle = (svc: string, cls: string) => one(spans, `${P}-${svc}.${cls}/hop`, SpanKind.SERVER);
      const publish = one(spans, `publish ${TOPIC}`, SpanKind.PRODUCER);
      const process = one(spans, `process ${TOPIC}`, SpanKind.CONSUMER);
      const chain = [call('a', 'A'), handle('a', 'A'), call('b', 'B'), handle('b', 'B'), call('c', 'C'), handle('c', 'C'), publish, process];
      expect(new Set(chain.map((s) => s.spanContext().traceId)).size).to.equal(1);
      expect(parentOf(chain[0])).to.equal(undefined);
      for (let i = 1; i < 7; i++) expect(parentOf(chain[i]), chain[i].name).to.equal(chain[i - 1].spanContext().spanId);
      expect(parentOf(process)).to.equal(publish.spanContext().spanId);
      // What the handler saw is the W3C header of its caller's client span.
      expect(seen.traceparent).to.equal(`00-${chain[4].spanContext().traceId}-${chain[4].spanContext().spanId}-01`);
      expect(chain[1].attributes).to.deep.include({ 'rpc.system.name': 'micro-nats', 'rpc.method': `${P}-a.A/hop`, 'rpc.status_code': 'OK' });
      expect(chain[0].attributes).to.deep.include({ 'rpc.system.name': 'micro-nats', 'rpc.method': `${P}-a.A/hop`, 'rpc.status_code': 'OK' });
      expect(publish.attributes).to.deep.include({ 'messaging.system': 'nats', 'messaging.operation.name': 'publish',
        'messaging.operation.type': 'send', 'messaging.destination.name': TOPIC });
      expect(process.attributes).to.deep.include({ 'messaging.system': 'nats', 'messaging.operation.name': 'process',
        'messaging.operation.type': 'process', 'messaging.destination.name': TOPIC, 'messaging.consumer.group.name': 'audit' });
      for (const s of chain) expect(s.status.code, s.name).to.equal(SpanStatusCode.UNSET);
    });

    it('records errors with their code: a 500 is an error on both sides, a 404 only on the client', async () => {
      for (const ep of ['C.crash', 'C.missing']) await rejection(caller.client.call(`${P}-c`, ep, {}, { retries: 0 }));
      const spans = sdk.spans();
      const crashClient = one(spans, `${P}-c.C/crash`, SpanKind.CLIENT);
      const crashServer = one(spans, `${P}-c.C/crash`, SpanKind.SERVER);
      for (const s of [crashClient, crashServer]) {
        expect(s.status).to.deep.equal({ code: SpanStatusCode.ERROR, message: 'it broke' });
        expect(s.attributes).to.deep.include({ 'error.type': '500', 'rpc.status_code': '500' });
        expect(s.events.map((e) => e.name)).to.deep.equal(['exception']);
      }
      const missingClient = one(spans, `${P}-c.C/missing`, SpanKind.CLIENT);
      const missingServer = one(spans, `${P}-c.C/missing`, SpanKind.SERVER);
      expect(missingClient.status.code).to.equal(SpanStatusCode.ERROR);
      expect(missingServer.status.code).to.equal(SpanStatusCode.UNSET);
      expect(missingServer.attributes).to.deep.include({ 'error.type': '404', 'rpc.status_code': '404' });
    });

    it('traces a stream as one client span over its life, parent of the handler\'s span', async () => {
      const items: number[] = [];
      let lastItemAt = 0;
      for await (const i of caller.client.stream<number>(`${P}-c`, 'C.count', { n: 3 })) {
        items.push(i);
        if (items.length === 1) await sleep(30);   // the stream lives well past its opening
        lastItemAt = Date.now();
      }
      expect(items).to.deep.equal([0, 1, 2]);
      await waitFor(() => sdk.spans().some((s) => s.name === `${P}-c.C/count` && s.kind === SpanKind.CLIENT), 'the stream span');
      const client = one(sdk.spans(), `${P}-c.C/count`, SpanKind.CLIENT);
      const server = one(sdk.spans(), `${P}-c.C/count`, SpanKind.SERVER);
      expect(parentOf(server)).to.equal(client.spanContext().spanId);
      // The client span covers the stream's life: it starts before the handler's span and ends only after the
      // last item arrived (not when the stream was opened). Both clocks are this process's, in ms here.
      const ms = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;
      expect(ms(client.startTime)).to.be.at.most(ms(server.startTime));
      expect(ms(client.endTime)).to.be.at.least(lastItemAt - 1);
    });

    it('continues a trace arriving on the NATS Service API (a plain NATS request with traceparent)', async () => {
      const nc = await connect({ servers: natsUrl() });
      try {
        const h = natsHeaders();
        const parent = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
        h.set('traceparent', `00-${parent.traceId}-${parent.spanId}-01`);
        await nc.request(`${P}-c.C.crash`, new TextEncoder().encode('{}'), { timeout: 5_000, headers: h });
      } finally {
        await nc.close();
      }
      const server = sdk.spans().filter((s) => s.name === `${P}-c.C/crash` && s.kind === SpanKind.SERVER)
        .find((s) => s.spanContext().traceId === '4bf92f3577b34da6a3ce929d0e0e4736');
      expect(server, 'the server span of the ADR-32 request').to.not.equal(undefined);
      expect(parentOf(server!)).to.equal('00f067aa0ba902b7');
      expect(server!.attributes).to.deep.include({ 'error.type': '500' });
    });

    it('names a wildcard subscriber\'s spans by its pattern, the event\'s topic as destination', async () => {
      await caller.client.publish(`${P}.wild.x`, {});
      await waitFor(() => sdk.spans().some((s) => s.name === `process ${P}.wild.*`), 'the wildcard consumer span');
      const consumer = one(sdk.spans(), `process ${P}.wild.*`, SpanKind.CONSUMER);
      const producer = one(sdk.spans(), `publish ${P}.wild.x`, SpanKind.PRODUCER);
      expect(parentOf(consumer)).to.equal(producer.spanContext().spanId);
      expect(consumer.attributes).to.deep.include({ 'messaging.destination.template': `${P}.wild.*`, 'messaging.destination.name': `${P}.wild.x` });
    });

    it('records call and handler durations by code, and requests in flight, through the metrics API', async () => {
      const all = (await sdk.metrics()).scopeMetrics.flatMap((s) => s.metrics);
      const metric = (name: string) => all.find((m) => m.descriptor.name === name)!;
      const server = metric('rpc.server.call.duration');
      expect(server.descriptor.unit).to.equal('s');
      const count = (name: string, method: string, code: string) => metric(name).dataPoints
        .filter((p) => p.attributes['rpc.method'] === method && p.attributes['rpc.status_code'] === code)
        .reduce((n, p) => n + (p.value as { count: number }).count, 0);
      expect(count('rpc.server.call.duration', `${P}-c.C/hop`, 'OK')).to.equal(1);
      expect(count('rpc.server.call.duration', `${P}-c.C/crash`, '500')).to.equal(2);   // one over mucp, one over the NATS Service API
      expect(count('rpc.client.call.duration', `${P}-c.C/missing`, '404')).to.equal(1);
      expect(metric('messaging.client.operation.duration').dataPoints.length).to.be.greaterThan(0);
      expect(metric('messaging.process.duration').dataPoints.length).to.be.greaterThan(0);
      const sent = metric('messaging.client.sent.messages').dataPoints.find((p) => p.attributes['messaging.destination.name'] === TOPIC);
      expect(sent?.value).to.equal(1);
      const consumed = metric('messaging.client.consumed.messages').dataPoints
        .find((p) => p.attributes['messaging.destination.template'] === `${P}.wild.*`);
      expect(consumed?.value).to.equal(1);
      const active = metric('rpc.server.active_requests').dataPoints;
      expect(active.length).to.be.greaterThan(0);
      for (const p of active) expect(p.value).to.equal(0);
    });
  });

  describe('with no SDK registered', () => {
    it('records nothing and sends no trace headers, with tracing on or automatic', async () => {
      unregisterSdk();
      for (const tracing of ['auto', true] as const) {
        const app = await bootstrap({ ...opts(), services: [C], tracing });
        try {
          seen.traceparent = 'unset';
          expect(await app.client.call(`${P}-c`, 'C.hop', { n: 1 })).to.deep.equal({ n: 2 });
          expect(seen.traceparent).to.equal(undefined);
        } finally {
          await app.stop();
        }
      }
    });

    it('with tracing: true, picks up an SDK registered after bootstrap', async () => {
      unregisterSdk();
      const app = await bootstrap({ ...opts(), services: [C], tracing: true });
      try {
        const sdk = registerSdk(false);
        await app.client.call(`${P}-c`, 'C.hop', { n: 1 });
        expect(seen.traceparent).to.match(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
        one(sdk.spans(), `${P}-c.C/hop`, SpanKind.SERVER);
      } finally {
        await app.stop();
        unregisterSdk();
      }
    });
  });
});

describe('OpenTelemetry API not installed, or not used', () => {
  it('serves and calls as usual and loads no OpenTelemetry module, whatever tracing says', function () {
    this.timeout(20_000);
    for (const tracing of ['auto', 'true']) {
      const out = execFileSync(process.execPath, [join(__dirname, 'fixtures', 'no-otel.js'), tracing, 'absent'], { encoding: 'utf8', timeout: 15_000 });
      expect(JSON.parse(out)).to.deep.equal({ result: { hi: 1 }, loaded: [] });
    }
  });

  it('installed but with no SDK registered, is not even loaded by tracing: \'auto\'', function () {
    this.timeout(20_000);
    const out = execFileSync(process.execPath, [join(__dirname, 'fixtures', 'no-otel.js'), 'auto', 'installed'], { encoding: 'utf8', timeout: 15_000 });
    expect(JSON.parse(out)).to.deep.equal({ result: { hi: 1 }, loaded: [] });
    // The control: tracing: true loads it.
    const on = execFileSync(process.execPath, [join(__dirname, 'fixtures', 'no-otel.js'), 'true', 'installed'], { encoding: 'utf8', timeout: 15_000 });
    expect(JSON.parse(on).loaded.some((k: string) => k.includes('@opentelemetry/api'))).to.equal(true);
  });
});

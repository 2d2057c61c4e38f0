/**
 * Tracing by registering an OpenTelemetry SDK and nothing else: `shop` calls `orders`, which calls
 * `stock`, which publishes `stock.reserved`, which `mailer` processes; one of the calls fails. The SDK here
 * keeps finished spans in memory and the sample prints them as a tree (an application would register
 * `NodeSDK` with an OTLP exporter instead; micro-nats does the same either way).
 *
 * Run: node dist/samples/tracing/main.js [--registry_address … --transport_address … --broker_address …]
 */
import 'reflect-metadata';
import { inject } from 'inversify';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { bootstrap, Handler, notFound, Service, Subscribe, TYPES, type BootstrapOptions, type Client } from 'micro-nats';

@Service('stock')
class Stock {
  constructor(@inject(TYPES.Client) private readonly client: Client) {}
  @Handler() async reserve(req: { sku: string }) {
    if (req.sku === 'unicorn') throw notFound('stock', 'no unicorns left');
    await this.client.publish('stock.reserved', { sku: req.sku });
    return { reserved: req.sku };
  }
}

@Service('orders')
class Orders {
  constructor(@inject(TYPES.Client) private readonly client: Client) {}
  @Handler() async place(req: { sku: string }) { return this.client.call('stock', 'Stock.reserve', req); }
}

@Service('mailer')
class Mailer {
  @Subscribe('stock.reserved', { queue: 'mailer' }) async onReserved() { /* mails the customer */ }
}

/** What an SDK's setup registers (NodeSDK does this too): context manager, W3C propagator, tracer provider. */
function registerSdk(): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter();
  const cm = new AsyncLocalStorageContextManager();
  cm.enable();
  context.setGlobalContextManager(cm);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  return exporter;
}

const KIND = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const SHOWN = ['rpc.status_code', 'error.type', 'messaging.destination.name', 'messaging.consumer.group.name'];

/** Spans as an indented tree, parents first, one line each: kind, name, a few attributes, status. */
export function renderTrace(spans: ReadableSpan[]): string[] {
  const children = new Map<string | undefined, ReadableSpan[]>();
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  for (const s of [...spans].sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1])) {
    const parent = s.parentSpanContext?.spanId;
    const key = parent && ids.has(parent) ? parent : undefined;
    children.set(key, [...children.get(key) ?? [], s]);
  }
  const lines: string[] = [];
  const walk = (s: ReadableSpan, depth: number) => {
    const attrs = SHOWN.filter((k) => s.attributes[k] !== undefined).map((k) => `${k}=${s.attributes[k]}`).join(' ');
    const status = s.status.code === 2 ? ` ERROR "${s.status.message}"` : '';
    lines.push(`${'  '.repeat(depth)}${KIND[s.kind].padEnd(8)} ${s.name}  [${attrs}]${status}`);
    for (const c of children.get(s.spanContext().spanId) ?? []) walk(c, depth + 1);
  };
  for (const root of children.get(undefined) ?? []) {
    lines.push(`trace ${root.spanContext().traceId}`);
    walk(root, 1);
  }
  return lines;
}

export type NatsConfig = Pick<BootstrapOptions, 'address' | 'argv' | 'env'>;

/** Runs the services, places an order and a failing one, prints each trace; returns the finished spans. */
export async function main(nats: NatsConfig = {}, print: (line: string) => void = console.log): Promise<ReadableSpan[]> {
  const exporter = registerSdk();
  const services = await bootstrap({ ...nats, services: [Stock, Orders, Mailer] });
  const shop = await bootstrap({ ...nats });   // the front end: a pure client
  try {
    await shop.client.call('orders', 'Orders.place', { sku: 'teapot' });
    await shop.client.call('orders', 'Orders.place', { sku: 'unicorn' }, { retries: 0 }).catch(() => undefined);
    for (let i = 0; i < 200 && !exporter.getFinishedSpans().some((s) => s.name.startsWith('process')); i++) await new Promise((r) => setTimeout(r, 10));
  } finally {
    await shop.stop();
    await services.stop();
  }
  const spans = exporter.getFinishedSpans();
  for (const line of renderTrace(spans)) print(line);
  return spans;
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(`tracing sample failed: ${err.message}`);
    process.exit(1);
  });
}

/**
 * OpenTelemetry as middleware: a span and a duration per handler, subscriber, call, stream and publish,
 * named and attributed per OpenTelemetry's semantic conventions for RPC and messaging (NATS); W3C trace
 * context (`traceparent`, `tracestate`) travels in the request and event headers. Only `@opentelemetry/api` is used: the SDK the
 * application registers decides what is recorded and where it goes.
 */
import { MicroError } from '../errors';
import type { Invocation, MiddlewareFn } from '../middleware';
import type { OtelApi } from './api';

/** `rpc.system.name` of micro-nats spans and metrics. */
export const RPC_SYSTEM = 'micro-nats';

/** Histogram buckets in seconds, as the conventions advise for durations. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

type Attrs = Record<string, string>;

/**
 * The fully-qualified method `service.Type/method` from service `greeter` and endpoint `Greeter.hello`
 * (`greeter.Greeter/hello`); an endpoint without a dot gives `service/endpoint`.
 */
export function rpcMethod(service: string, endpoint: string): string {
  const dot = endpoint.indexOf('.');
  return dot < 0 ? `${service}/${endpoint}` : `${service}.${endpoint.slice(0, dot)}/${endpoint.slice(dot + 1)}`;
}

/**
 * Whether a failure marks a server span as an error: server faults (5xx) and timeouts (408) do; the
 * caller's mistakes (400, 401, 403, 404, 409, 413, 415) do not. On the client every failure does.
 */
export const serverFault = (code: number) => code >= 500 || code === 408;

type Meter = ReturnType<OtelApi['metrics']['getMeter']>;

/** The metric instruments, one set per app. */
function instruments(meter: Meter) {
  const histogram = (name: string, description: string) => meter.createHistogram(name, { unit: 's', description, advice: { explicitBucketBoundaries: BUCKETS } });
  const calls = histogram('rpc.client.call.duration', 'Duration of RPC calls, retries included');
  return {
    durations: {
      handler: histogram('rpc.server.call.duration', 'Duration of handled RPC requests'),
      call: calls,
      stream: calls,
      publish: histogram('messaging.client.operation.duration', 'Duration of publishes'),
      subscriber: histogram('messaging.process.duration', 'Duration of event processing'),
    },
    messages: {
      publish: meter.createCounter('messaging.client.sent.messages', { unit: '{message}', description: 'Messages published' }),
      subscriber: meter.createCounter('messaging.client.consumed.messages', { unit: '{message}', description: 'Messages delivered to subscribers' }),
    },
    active: meter.createUpDownCounter('rpc.server.active_requests', { unit: '{request}', description: 'RPC requests being handled' }),
  };
}

type Span = ReturnType<ReturnType<OtelApi['trace']['getTracer']>['startSpan']>;

/** Marks `span` and the metric attributes with the failure's code; an error status unless it is the caller's mistake on a server. */
function recordFailure(api: OtelApi, span: Span, d: Described, err: unknown, server: boolean): void {
  const code = err instanceof MicroError ? err.code : 500;
  const text = String(code);
  span.setAttribute('error.type', text);
  d.metric['error.type'] = text;
  if (d.rpc) { span.setAttribute('rpc.status_code', text); d.metric['rpc.status_code'] = text; }
  if (!server || !d.rpc || serverFault(code)) {
    span.recordException(err as Error);
    span.setStatus({ code: api.SpanStatusCode.ERROR, message: err instanceof MicroError ? err.detail : (err as Error)?.message });
  }
}

/** The server-side and client-side tracing middleware, sharing one tracer and meter. */
export function otelMiddleware(api: OtelApi): { server: MiddlewareFn; client: MiddlewareFn } {
  const { trace, context, propagation, SpanKind, ROOT_CONTEXT } = api;
  const tracer = trace.getTracer('micro-nats');
  const { durations, messages, active } = instruments(api.metrics.getMeter('micro-nats'));

  const run = async (inv: Invocation, next: () => Promise<unknown>, server: boolean): Promise<unknown> => {
    const d = describe(inv);
    // Server side: the caller's context from the headers (a direct parent, also for single events); client side: the current one.
    const parent = server ? propagation.extract(ROOT_CONTEXT, inv.metadata) : context.active();
    const span = tracer.startSpan(d.name, { kind: SpanKind[d.kind], attributes: d.attrs }, parent);
    const ctx = trace.setSpan(parent, span);
    if (!server) propagation.inject(ctx, inv.metadata);
    const handler = inv.kind === 'handler';
    if (handler) active.add(1, d.metric);
    const t0 = performance.now();
    try {
      const out = await context.with(ctx, next);
      if (d.rpc) { span.setAttribute('rpc.status_code', 'OK'); d.metric['rpc.status_code'] = 'OK'; }
      return out;
    } catch (err) {
      recordFailure(api, span, d, err, server);
      throw err;
    } finally {
      span.end();
      if (handler) active.add(-1, { 'rpc.system.name': RPC_SYSTEM, 'rpc.method': d.metric['rpc.method'] });
      durations[inv.kind].record((performance.now() - t0) / 1000, d.metric);
      if (inv.kind === 'publish' || inv.kind === 'subscriber') messages[inv.kind].add(1, d.metric);
    }
  };
  return { server: (inv, next) => run(inv, next, true), client: (inv, next) => run(inv, next, false) };
}

interface Described { name: string; kind: 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER'; rpc: boolean; attrs: Attrs; metric: Attrs }

/** The span's name, kind and attributes, and the (low-cardinality) metric attributes. */
function describe(inv: Invocation): Described {
  if (inv.kind === 'publish' || inv.kind === 'subscriber') {
    const publish = inv.kind === 'publish';
    const op = publish ? 'publish' : 'process';
    // A wildcard subscription names spans and metrics by its pattern: event subjects could be unbounded.
    const template = inv.pattern !== undefined && inv.pattern !== inv.endpoint ? inv.pattern : undefined;
    const metric: Attrs = { 'messaging.system': 'nats', 'messaging.operation.name': op, 'messaging.operation.type': publish ? 'send' : 'process' };
    if (template) metric['messaging.destination.template'] = template; else metric['messaging.destination.name'] = inv.endpoint;
    if (inv.queue) metric['messaging.consumer.group.name'] = inv.queue;
    const attrs: Attrs = { ...metric, 'messaging.destination.name': inv.endpoint };
    if (inv.context?.id) attrs['messaging.message.id'] = inv.context.id;
    return { name: `${op} ${template ?? inv.endpoint}`, kind: publish ? 'PRODUCER' : 'CONSUMER', rpc: false, attrs, metric };
  }
  const method = rpcMethod(inv.service, inv.endpoint);
  const metric: Attrs = { 'rpc.system.name': RPC_SYSTEM, 'rpc.method': method };
  const attrs: Attrs = { ...metric };
  if (inv.kind === 'stream') attrs['micro.stream'] = 'true';
  return { name: method, kind: inv.kind === 'handler' ? 'SERVER' : 'CLIENT', rpc: true, attrs, metric };
}

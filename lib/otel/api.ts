/**
 * Loads `@opentelemetry/api` (an optional peer dependency) only when tracing may be wanted, so an app
 * without it imports nothing and pays nothing.
 */
import type * as Api from '@opentelemetry/api';

export type OtelApi = typeof Api;

/** `bootstrap({ tracing })`: `'auto'` traces when an OpenTelemetry SDK is registered at bootstrap; `true` always (when the API is installed); `false` never. */
export type TracingOption = boolean | 'auto';

/** The installed `@opentelemetry/api`, or undefined when it is not installed. */
export function loadOtelApi(): OtelApi | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@opentelemetry/api') as OtelApi;
  } catch {
    return undefined;
  }
}

/** True when an SDK registered a tracer provider or a meter provider (the API alone is all no-ops). */
export function sdkRegistered(api: OtelApi): boolean {
  const provider = api.trace.getTracerProvider();
  const tracing = provider instanceof api.ProxyTracerProvider ? provider.getDelegateTracer('micro-nats') !== undefined : true;
  const noopMeter = api.createNoopMeter().constructor;
  return tracing || api.metrics.getMeter('micro-nats').constructor !== noopMeter;
}

/**
 * Where every copy of `@opentelemetry/api` 1.x keeps what was registered (its `GLOBAL_OPENTELEMETRY_API_KEY`):
 * without an entry there no SDK is registered, and the API need not even be loaded.
 */
const GLOBAL_KEY = Symbol.for('opentelemetry.js.api.1');

function anythingRegistered(): boolean {
  const g = (globalThis as Record<symbol, Record<string, unknown> | undefined>)[GLOBAL_KEY];
  return g !== undefined && (g.trace !== undefined || g.metrics !== undefined);
}

/** The API to trace with under `option`, or undefined: then no tracing middleware is installed at all. */
export function tracingApi(option: TracingOption = 'auto'): OtelApi | undefined {
  if (option === false || (option === 'auto' && !anythingRegistered())) return undefined;
  const api = loadOtelApi();
  if (!api || (option === 'auto' && !sdkRegistered(api))) return undefined;
  return api;
}

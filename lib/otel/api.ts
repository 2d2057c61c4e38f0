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

/** The API to trace with under `option`, or undefined: then no tracing middleware is installed at all. */
export function tracingApi(option: TracingOption = 'auto'): OtelApi | undefined {
  if (option === false) return undefined;
  const api = loadOtelApi();
  if (!api || (option === 'auto' && !sdkRegistered(api))) return undefined;
  return api;
}

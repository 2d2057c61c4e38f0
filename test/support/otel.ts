/**
 * An OpenTelemetry SDK for tests: in-memory spans, on-demand metrics, async-hooks context, W3C propagation.
 * `registerSdk()` sets the globals (as an application's SDK setup would); `unregisterSdk()` clears them so
 * that later tests run with no SDK.
 */
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** Collects metrics when asked (no timers). */
class TestReader extends MetricReader {
  protected override onForceFlush(): Promise<void> { return Promise.resolve(); }
  protected override onShutdown(): Promise<void> { return Promise.resolve(); }
}

export interface TestSdk {
  spans(): ReadableSpan[];
  metrics(): Promise<ResourceMetrics>;
}

/** `reset` first clears what is registered; without it, tracers handed out before (by the API's proxy) start recording. */
export function registerSdk(reset = true): TestSdk {
  if (reset) unregisterSdk();
  const exporter = new InMemorySpanExporter();
  const cm = new AsyncLocalStorageContextManager();
  cm.enable();
  context.setGlobalContextManager(cm);
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const reader = new TestReader();
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  return {
    spans: () => exporter.getFinishedSpans(),
    metrics: async () => (await reader.collect()).resourceMetrics,
  };
}

export function unregisterSdk(): void {
  trace.disable();
  context.disable();
  propagation.disable();
  metrics.disable();
}

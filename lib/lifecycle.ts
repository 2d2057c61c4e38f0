/**
 * Lifecycle hooks of service classes. A service may define `onStart()` (awaited after NATS is connected,
 * before its server listens and registers: open a pool here, nothing is served yet) and `onStop()`
 * (awaited after its server deregistered and finished in-flight work, before the connections close).
 */
import type { Logger } from './logger';
import type { WiredService } from './service-wiring';

/** Methods a service class may define; both optional, both may be async. */
export interface OnStart { onStart(): void | Promise<void> }
/** See {@link OnStart}. */
export interface OnStop { onStop(): void | Promise<void> }

/** Awaits `onStart()` of one service. Throws naming the class when it fails. */
export async function runOnStart(s: WiredService): Promise<void> {
  if (typeof s.instance.onStart !== 'function') return;
  try {
    await s.instance.onStart();
  } catch (err) {
    throw new Error(`bootstrap: ${s.cls.name}.onStart() failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}

/** Awaits `onStop()` of each service, last started first; a failure is logged and the others still run. */
export async function runOnStop(services: readonly WiredService[], log: Logger): Promise<void> {
  for (const s of [...services].reverse()) {
    if (typeof s.instance.onStop !== 'function') continue;
    try {
      await s.instance.onStop();
    } catch (err) {
      log.error({ service: s.server.name, err }, `${s.cls.name}.onStop() failed`);
    }
  }
}

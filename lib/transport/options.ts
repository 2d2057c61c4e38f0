import type { TransportOptions } from './index';

/** Validates transport options eagerly, naming the option. */
export function checkTransportOptions(o: Partial<TransportOptions>): void {
  for (const key of ['timeout', 'idleTimeout'] as const) {
    const v = o[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) {
      throw new Error(`transport option ${key}: expected a number of milliseconds >= 0, got ${String(v)}`);
    }
  }
}

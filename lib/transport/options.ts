import { checkMillis, checkNumber } from '../config/check';
import type { TransportOptions } from './index';

/** Validates transport options eagerly, naming the option. */
export function checkTransportOptions(o: Partial<TransportOptions>): void {
  for (const key of ['timeout', 'idleTimeout'] as const) checkMillis(`transport option ${key}`, o[key], 0, 'micro.transport');
  for (const key of ['maxSockets', 'maxQueue'] as const) checkNumber(`transport option ${key}`, o[key], 1, 'micro.transport');
}

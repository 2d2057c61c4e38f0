import { recordHealthCheck } from '../lib/metadata';
import { ownerOf, requireMethod, where } from './util';

/**
 * Makes a method one of its service's health checks, reported by `Debug.Health` and `app.health()` under
 * `name` (default: the method name). The check is healthy unless it throws, rejects, returns `false` or takes
 * longer than 2 s. Throws at definition time on anything but a method, or on a name given twice.
 */
export function HealthCheck(name?: string): MethodDecorator {
  return (target: object, key: string | symbol, descriptor?: PropertyDescriptor) => {
    requireMethod('@HealthCheck', target, key, descriptor);
    if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
      throw new Error(`@HealthCheck on ${where(target, key)}: name must be a non-empty string, got ${JSON.stringify(name)}`);
    }
    recordHealthCheck(ownerOf(target), key as string, name ?? (key as string));
  };
}

import { recordClient, SERVICE_NAME_PATTERN } from '../lib/metadata';
import { where } from './util';

/**
 * Injects a client for another service into a property: `@InjectClient(Greeter)` gives a typed proxy
 * of Greeter's handlers, `@InjectClient('greeter')` one resolved by name through the registry.
 * A class without `@Service` fails at definition time (or, for a class injecting itself, at bootstrap).
 */
export function InjectClient(target: Function | string): PropertyDecorator {
  return (proto: object, key: string | symbol, descriptor?: PropertyDescriptor) => {
    const at = `@InjectClient on ${where(proto, key)}`;
    if (typeof proto === 'function') throw new Error(`${at}: ${String(key)} is static; only instance properties can be injected`);
    if (descriptor) throw new Error(`${at}: ${String(key)} is a method or accessor; @InjectClient only applies to properties`);
    if (typeof target === 'string') {
      if (!SERVICE_NAME_PATTERN.test(target)) {
        throw new Error(`${at}: ${JSON.stringify(target)} is not a valid service name (${SERVICE_NAME_PATTERN.source})`);
      }
    } else if (typeof target !== 'function') {
      // Usually a circular import: the class is still undefined when this module's decorators run.
      throw new Error(`${at}: expected a @Service class or a service name, got ${String(target)}; `
        + 'if the class comes from a module that imports this one, inject it by name instead');
    }
    recordClient((proto as { constructor: Function }).constructor, key, target);
  };
}

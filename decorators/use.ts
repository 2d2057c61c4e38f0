import type { MiddlewareRef } from '../lib/middleware';
import { recordUse } from '../lib/metadata';
import { ownerOf, requireMethod, where } from './util';

/**
 * Runs middleware around a service's handlers and subscribers: on a class, around every one of them; on a
 * method, around that one (inside the class's). Takes middleware functions `(inv, next) => …` and classes
 * with a `use(inv, next)` method, resolved from the app's container so they can inject. The first listed
 * (and the decorator written first) is the outermost; app-wide `bootstrap({ middleware })` wraps them all.
 * Throws at definition time for anything but functions and classes, or for no middleware at all.
 */
export function Use(...middleware: MiddlewareRef[]): ClassDecorator & MethodDecorator {
  return ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    const at = key === undefined ? `@Use on ${ownerOf(target).name}` : `@Use on ${where(target, key)}`;
    if (middleware.length === 0) throw new Error(`${at}: give at least one middleware function or class`);
    middleware.forEach((m, i) => {
      if (typeof m !== 'function') throw new Error(`${at}: middleware #${i + 1} is ${m === null ? 'null' : typeof m}, not a function or class`);
    });
    if (key === undefined) return recordUse(target as Function, undefined, middleware);
    requireMethod('@Use', target, key, descriptor);
    recordUse(ownerOf(target), key as string, middleware);
  }) as ClassDecorator & MethodDecorator;
}

import { recordHandler } from '../lib/metadata';
import { checkStringRecord, isToken, requireMethod, subjectProblem, where } from './util';

/** The object form of `@Handler`. */
export interface HandlerDecoratorOptions {
  /** The endpoint name; defaults to `ClassName.method`, as go-micro names `Type.Method`. */
  name?: string;
  /** Advertised with the endpoint in the registry. */
  metadata?: Record<string, string>;
  /**
   * The request DTO class. Needed when the compiler records no parameter types (no `emitDecoratorMetadata`,
   * tsx, esbuild) or the declared type cannot carry it (an interface, a union); `Object` takes the body
   * unvalidated. Default: the first parameter's declared type.
   */
  request?: Function;
  /** The response DTO class; TypeScript reports only `Promise` for async methods, so name it here to advertise a schema. */
  response?: Function;
  /** The NATS Service API (ADR-32) subject of this endpoint, used as is. Default `<group>.<endpoint name>`. */
  subject?: string;
  /** The ADR-32 queue group of this endpoint; `''` for none. Default: the service's (`q`). */
  queueGroup?: string;
  /**
   * Running it twice has the effect of running it once: callers may re-send a request that timed out
   * (advertised as endpoint metadata `idempotent: "true"`). Default false: a timed-out call is not re-sent.
   */
  idempotent?: boolean;
}

/**
 * Exposes a method as an RPC endpoint: `@Handler()`, `@Handler('Greeter.Hello')` or
 * `@Handler({ name, metadata })`. The method receives `(request, ctx)`; an `async function*`
 * method streams what it yields. Throws at definition time when applied to anything but a method.
 */
export function Handler(nameOrOptions?: string | HandlerDecoratorOptions): MethodDecorator {
  // The descriptor is optional at run time: JavaScript callers can put the decorator on a property.
  return (target: object, key: string | symbol, descriptor?: PropertyDescriptor) => {
    const fn = requireMethod('@Handler', target, key, descriptor);
    const at = `@Handler on ${where(target, key)}`;
    const opts = typeof nameOrOptions === 'string' ? { name: nameOrOptions } : nameOrOptions ?? {};
    if (typeof opts !== 'object') throw new Error(`${at}: expected an endpoint name or { name?, metadata? }, got ${JSON.stringify(nameOrOptions)}`);
    if (opts.name !== undefined) {
      // Endpoint names become subject tokens when served on `<service>.<Endpoint>`, so no wildcards.
      const problem = typeof opts.name === 'string' ? subjectProblem(opts.name, false) : 'it is not a string';
      if (problem) throw new Error(`${at}: endpoint name ${JSON.stringify(opts.name)} is invalid: ${problem}`);
    } else if (subjectProblem(key as string, false) || (key as string).includes('.')) {
      throw new Error(`${at}: the method name cannot form an endpoint name; give one with @Handler('<Class.Method>')`);
    }
    for (const k of ['request', 'response'] as const) {
      if (opts[k] !== undefined && typeof opts[k] !== 'function') throw new Error(`${at}: ${k} must be a class, got ${String(opts[k])}`);
    }
    if (opts.subject !== undefined) {
      const problem = typeof opts.subject === 'string' ? subjectProblem(opts.subject, false) : 'it is not a string';
      if (problem) throw new Error(`${at}: subject ${JSON.stringify(opts.subject)} is invalid: ${problem}`);
    }
    if (opts.queueGroup !== undefined && !(opts.queueGroup === '' || isToken(opts.queueGroup))) {
      throw new Error(`${at}: queueGroup must be a string without spaces ('' for none), got ${JSON.stringify(opts.queueGroup)}`);
    }
    if (opts.idempotent !== undefined && typeof opts.idempotent !== 'boolean') {
      throw new Error(`${at}: idempotent must be a boolean, got ${JSON.stringify(opts.idempotent)}`);
    }
    const metadata = checkStringRecord(at, 'metadata', opts.metadata);
    recordHandler((target as { constructor: Function }).constructor, key as string, fn, { ...opts, metadata });
  };
}

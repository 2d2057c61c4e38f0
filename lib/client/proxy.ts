/**
 * Typed clients: `client.proxy(Greeter)` gives an object whose methods mirror Greeter's `@Handler`
 * methods; `client.proxy<Greeter>('greeter')` resolves method names to endpoints through the registry.
 */
import { getServiceMeta } from '../metadata';
import { notFound } from '../errors';
import { RegistryNotFoundError, type Registry } from '../registry';
import { NoneAvailableError } from '../selector';
import type { CallOptions, Client, ServiceClient } from './index';

export type { ClientMethod, ServiceClient } from './index';


interface Target { endpoint: string; stream: boolean }
type Resolve = (method: string) => Target | Promise<Target>;

function build<T>(client: Client, service: string, resolve: Resolve): ServiceClient<T> {
  const methods = new Map<string, (req: unknown, opts?: CallOptions) => unknown>();
  return new Proxy({} as ServiceClient<T>, {
    get(_t, prop) {
      if (typeof prop !== 'string' || prop === 'then' || prop === 'toJSON') return undefined;
      let fn = methods.get(prop);
      if (!fn) {
        fn = (req: unknown, opts?: CallOptions) => {
          const t = resolve(prop);
          if (!(t instanceof Promise)) return t.stream ? client.stream(service, t.endpoint, req, opts) : client.call(service, t.endpoint, req, opts);
          return dual(t.then((r) => (r.stream ? client.stream(service, r.endpoint, req, opts) : client.call(service, r.endpoint, req, opts))));
        };
        methods.set(prop, fn);
      }
      return fn;
    },
  });
}

/** Until the registry says whether a method streams, its result is both awaitable and iterable. */
function dual(p: Promise<unknown>): Promise<unknown> & AsyncIterable<unknown> {
  return Object.assign(p, {
    async *[Symbol.asyncIterator]() { yield* (await p) as AsyncIterable<unknown>; },
  });
}

/** A typed client of a `@Service` class; throws naming the class when it is not one. */
export function proxyOfClass<T>(client: Client, cls: new (...args: any[]) => T): ServiceClient<T> {
  const meta = getServiceMeta(cls);
  if (!meta) throw new Error(`client.proxy(${cls.name}): class ${cls.name} is not a service: decorate it with @Service`);
  const byMethod = new Map(meta.handlers.map((h) => [h.method, { endpoint: h.endpoint, stream: h.stream }]));
  return build<T>(client, meta.name, (method) => {
    const t = byMethod.get(method);
    if (!t) throw new Error(`client.proxy(${cls.name}): ${method} is not a @Handler of ${cls.name}`);
    return t;
  });
}

/** A client of service `name`, resolving `hello` to the advertised endpoint `X.hello` (cached per method). */
export function proxyOfName<T>(client: Client, registry: Registry, name: string): ServiceClient<T> {
  const known = new Map<string, Target>();
  return build<T>(client, name, (method) => known.get(method) ?? lookup(method));

  async function lookup(method: string): Promise<Target> {
    // The same answer as client.call for a service with no node: 503 naming it, which callers retry.
    const services = await registry.getService(name).catch((err) => {
      throw err instanceof RegistryNotFoundError ? new NoneAvailableError(name, 'not-found', 'no node found in the registry') : err;
    });
    for (const s of services) {
      const e = s.endpoints.find((x) => x.name === method || x.name.endsWith(`.${method}`));
      if (e) {
        const t = { endpoint: e.name, stream: e.metadata?.stream === 'true' };
        known.set(method, t);
        return t;
      }
    }
    throw notFound('micro.client', `service ${name} advertises no endpoint for method ${method}`);
  }
}

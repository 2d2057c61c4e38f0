/** Turns one `@Service` class into a running server: instance from the container, endpoints, subscribers, clients. */
import type { Container } from 'inversify';
import type { Components } from './components';
import type { Config } from './config';
import { consumerName, type DurableSubscribeOptions } from './broker/jetstream-options';
import { resolveClientTarget, type ServiceMeta, type SubscriberMeta } from './metadata';
import { describeType } from './schema';
import { dtoDecoder, toPlain } from './dto';
import type { RpcServer } from './server/rpc';
import type { MiddlewareFn } from './middleware';
import { resolveMiddleware } from './middleware/resolve';
import type { Logger } from './logger';

type Ctor = new (...args: any[]) => object;

/**
 * The broker options of a durable `@Subscribe`: `durable: true` without a queue names the consumer after the
 * service and topic (instances of one service then share it; with a queue the queue's consumer is shared).
 * Throws on a broker that cannot keep events, naming the member.
 */
function durableOptions(c: Components, cls: Function, s: SubscriberMeta, service: string): DurableSubscribeOptions | undefined {
  if (!s.delivery) return undefined;
  if (c.broker.toString() !== 'jetstream') {
    throw new Error(`@Subscribe on ${cls.name}.${s.method}: durable delivery options need broker 'jetstream', not '${c.broker.toString()}'`);
  }
  const { durable, ...rest } = s.delivery;
  return { ...rest, ...(durable && !s.queue ? { durable: consumerName(service, s.topic) } : {}) };
}

/** A wired service: its instance (lifecycle hooks are called on it) and its server, not started yet. */
export interface WiredService { readonly cls: Function; readonly instance: Record<string | symbol, any>; readonly server: RpcServer }

/**
 * Binds and resolves `cls`, injects its clients, and registers its handlers and subscribers on a new server,
 * each behind `app` middleware, then the class's `@Use`, then the method's; and its `@HealthCheck`s.
 */
export function wireService(c: Components, container: Container, cls: Function, meta: ServiceMeta,
                            config: Config<any, any, any>, only: boolean, logger: Logger, app: readonly MiddlewareFn[] = []): WiredService {
  const id = cls as Ctor;
  if (!container.isBound(id)) container.bind(id).toSelf().inSingletonScope();
  const instance = container.get(id) as Record<string | symbol, any>;
  for (const inj of meta.clients) {
    const target = resolveClientTarget(inj);
    instance[inj.property] = typeof inj.target === 'string' ? c.client.proxy(target.name) : c.client.proxy(inj.target as Ctor);
  }
  const srv = config.server;
  const name = only && srv.name ? srv.name : meta.name;
  const server = c.server({
    name,
    version: only && srv.version ? srv.version : meta.version,
    metadata: { ...meta.metadata, ...srv.metadata },
    id: `${name}-${srv.id}`,
    address: only && srv.address ? srv.address : undefined,
    description: meta.description,
    maxInflight: srv.maxInflight,
    natsService: meta.natsService,
    logger,
  });
  const outer = [...app, ...resolveMiddleware(container, meta.use, `@Use on ${cls.name}`)];
  const chain = (method: string, use: ServiceMeta['use']) => [...outer, ...resolveMiddleware(container, use, `@Use on ${cls.name}.${method}`)];
  for (const h of meta.handlers) {
    server.handle(h.endpoint, instance[h.method].bind(instance), {
      metadata: { ...h.metadata },
      stream: h.stream,
      idempotent: h.idempotent,
      request: h.requestType ? describeType(h.requestType, { direction: 'request' }) : undefined,
      response: h.returnType ? describeType(h.returnType, { direction: 'response' }) : undefined,
      decode: h.requestType ? dtoDecoder(name, h.endpoint, h.requestType as Ctor) : undefined,
      encode: toPlain,
      natsService: h.subject !== undefined || h.queueGroup !== undefined ? { subject: h.subject, queue: h.queueGroup } : undefined,
      middleware: chain(h.method, h.use),
    });
  }
  for (const s of meta.subscribers) {
    server.subscribe(s.topic, instance[s.method].bind(instance), {
      queue: s.queue,
      delivery: durableOptions(c, cls, s, name),
      decode: s.requestType ? dtoDecoder(name, s.topic, s.requestType as Ctor) : undefined,
      middleware: chain(s.method, s.use),
    });
  }
  for (const h of meta.healthChecks) server.addHealthCheck(h.name, () => instance[h.method]());
  return { cls, instance, server };
}

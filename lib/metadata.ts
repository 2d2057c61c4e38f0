/**
 * What the decorators record about a service class, and the only place micro-nats touches `Reflect`.
 *
 * TypeScript runs member decorators before the class decorator, so `@Handler`, `@Subscribe` and
 * `@InjectClient` add to a per-class record that `@Service` later completes into a frozen
 * {@link ServiceMeta}. Each class owns its record (stored on the class under a private symbol); a
 * subclass copies its parent's record on its first write so that decorating it never changes
 * what the parent serves. Registry schemas built from DTO classes are in `schema.ts`.
 */
import 'reflect-metadata';
import type { MiddlewareRef } from './middleware';

/** Service names become NATS subject tokens, so they are restricted to this. */
export const SERVICE_NAME_PATTERN = /^[A-Za-z0-9_-]+$/;

/** What `@Service` records: the service's identity. */
export interface ServiceInfo { name: string; version?: string; metadata?: Record<string, string>; description?: string; natsService?: NatsServiceInfo }

/** How a service's endpoints are served on the NATS Service API (ADR-32). */
export interface NatsServiceInfo {
  /** Subject prefix of the endpoints' default subjects. Default: the service name. */
  readonly group?: string;
  /** Queue group of the endpoints; `''` subscribes without one (every instance gets every request). Default `q`. */
  readonly queue?: string;
}

/** What `@Handler` records besides the method itself. `request`/`response` override the design types. */
export interface HandlerInfo {
  name?: string; metadata?: Record<string, string>; request?: Function; response?: Function;
  /** The ADR-32 endpoint subject, used as is. Default `<group>.<endpoint>`. */
  subject?: string;
  /** The ADR-32 queue group; `''` for none. Default: the service's. */
  queueGroup?: string;
  /** Safe to re-send after a timeout. Default false. */
  idempotent?: boolean;
}

/** What `@Subscribe` records besides the method itself. `request` overrides the design type. */
export interface SubscriberInfo { topic: string; queue?: string; delivery?: DeliveryOptions; request?: Function }

/** `@Subscribe` options of a durable (JetStream) subscription: see `DurableSubscribeOptions` of the JetStream broker. */
export interface DeliveryOptions {
  /** A durable consumer: named from the service and topic (or shared by the queue), it survives restarts. */
  durable?: boolean;
  ackWait?: number;
  maxDeliver?: number;
  deliverPolicy?: 'new' | 'all' | 'last' | 'last_per_subject' | 'by_start_time' | 'by_start_sequence';
  startTime?: Date;
  startSequence?: number;
}

/** A completed service class: its identity and every endpoint, subscription and injected client. */
export interface ServiceMeta {
  /** The registered service name, matching {@link SERVICE_NAME_PATTERN}. */
  readonly name: string;
  /** `'latest'` unless given. */
  readonly version: string;
  /** Registry metadata of the service. Default `{}`. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Free text for tooling, not registered; absent unless given. */
  readonly description?: string;
  /** NATS Service API settings; absent unless given. */
  readonly natsService?: NatsServiceInfo;
  /** Every `@Handler`, inherited ones included; endpoint names are unique. */
  readonly handlers: readonly HandlerMeta[];
  /** Every `@Subscribe`, inherited ones included. */
  readonly subscribers: readonly SubscriberMeta[];
  /** Every `@InjectClient` property, inherited ones included. */
  readonly clients: readonly ClientInjection[];
  /** The class's `@Use` middleware (around each handler and subscriber), first outermost. Default none. */
  readonly use: readonly MiddlewareRef[];
  /** Every `@HealthCheck()` method, inherited ones included. */
  readonly healthChecks: readonly HealthCheckMeta[];
}

/** One `@HealthCheck()` method. */
export interface HealthCheckMeta {
  /** The method's property key on the prototype. */
  readonly method: string;
  /** The check's name in health reports: the method name unless given. */
  readonly name: string;
}

/** One `@Handler` method. */
export interface HandlerMeta {
  /** The method's property key on the prototype. */
  readonly method: string;
  /** `${ClassName}.${method}` unless named; an inherited handler takes the serving class's name. */
  readonly endpoint: string;
  /** Endpoint-level registry metadata. Default `{}`. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The first parameter's design type when it is a user class (a DTO), else absent. */
  readonly requestType?: Function;
  /** The design return type when it is a user class; absent for `Promise`, primitives and interfaces. */
  readonly returnType?: Function;
  /** True when the method is an `async function*`: the endpoint streams its yielded values. */
  readonly stream: boolean;
  /** The ADR-32 endpoint subject; absent: derived from the group and endpoint name. */
  readonly subject?: string;
  /** The ADR-32 queue group (`''`: none); absent: the service's. */
  readonly queueGroup?: string;
  /** The method's `@Use` middleware, inside the class's, first outermost. Default none. */
  readonly use: readonly MiddlewareRef[];
  /**
   * True when the method takes a parameter, no `request` class was named and the compiler emitted no
   * design types (no `emitDecoratorMetadata`, or a type-stripping runner): bootstrap refuses it.
   */
  readonly untyped?: boolean;
  /** Declared safe to re-send after a timeout (`@Handler({ idempotent: true })`); absent: not. */
  readonly idempotent?: boolean;
}

/** One `@Subscribe` method (a method may subscribe to several topics). */
export interface SubscriberMeta {
  /** The method's property key on the prototype. */
  readonly method: string;
  /** The broker topic; may hold wildcards. */
  readonly topic: string;
  /** Queue group sharing the topic's events among instances; absent: every instance gets every event. */
  readonly queue?: string;
  /** Durable delivery options (JetStream broker only); absent for plain subscriptions. */
  readonly delivery?: Readonly<DeliveryOptions>;
  /** The first parameter's design type (or the `request` named) when it is a user class, else absent. */
  readonly requestType?: Function;
  /** The method's `@Use` middleware, inside the class's, first outermost. Default none. */
  readonly use: readonly MiddlewareRef[];
  /** As {@link HandlerMeta.untyped}: a parameter whose type nobody recorded; bootstrap refuses it. */
  readonly untyped?: boolean;
}

/** One `@InjectClient` property. */
export interface ClientInjection {
  /** The property the client proxy is assigned to on the service instance. */
  readonly property: string | symbol;
  /** A `@Service` class or a service name. */
  readonly target: Function | string;
  /** The class that declared the property (a base class when inherited). */
  readonly owner: Function;
}

/** What {@link resolveClientTarget} returns: the service to call, and its metadata when given as a class. */
export interface ClientTarget { name: string; service?: ServiceMeta }

interface PendingHandler extends Omit<HandlerMeta, 'endpoint' | 'use'> { readonly name?: string; readonly declaredOn: Function }
interface PendingSubscriber extends Omit<SubscriberMeta, 'use'> { readonly declaredOn: Function }
interface ClassRecord {
  service?: ServiceInfo;
  handlers: PendingHandler[];
  subscribers: PendingSubscriber[];
  clients: ClientInjection[];
  use: MiddlewareRef[];
  methodUse: Map<string, MiddlewareRef[]>;
  healthChecks: HealthCheckMeta[];
  built?: ServiceMeta;
}

const RECORD = Symbol('micro-nats.metadata');

/** Built-in constructors that design metadata reports for primitives, `any`, interfaces and the like. */
const BUILTINS: readonly Function[] = Object.freeze([
  Object, Function, String, Number, Boolean, Symbol, BigInt, Array, Promise, Date, RegExp, Error,
  Map, Set, WeakMap, WeakSet, ArrayBuffer, SharedArrayBuffer, DataView,
]);
const TYPED_ARRAY: Function = Object.getPrototypeOf(Uint8Array);

/** True for a class the user wrote (a DTO), false for built-ins, typed arrays and non-constructors. */
export function isUserClass(t: unknown): t is Function {
  if (typeof t !== 'function' || t.prototype === undefined) return false;
  if (BUILTINS.includes(t) || t === TYPED_ARRAY) return false;
  return !(t.prototype instanceof TYPED_ARRAY || t.prototype instanceof Promise);
}

function ownRecord(cls: Function): ClassRecord {
  const own = Reflect.getOwnMetadata(RECORD, cls) as ClassRecord | undefined;
  if (own) return own;
  const inherited = Reflect.getMetadata(RECORD, cls) as ClassRecord | undefined;
  const rec: ClassRecord = {
    handlers: [...(inherited?.handlers ?? [])],
    subscribers: [...(inherited?.subscribers ?? [])],
    clients: [...(inherited?.clients ?? [])],
    use: [...(inherited?.use ?? [])],
    methodUse: new Map(inherited?.methodUse ?? []),
    healthChecks: [...(inherited?.healthChecks ?? [])],
  };
  Reflect.defineMetadata(RECORD, rec, cls);
  return rec;
}

/** An explicitly named type: a user class is a DTO; `Object` and other built-ins mean "no DTO". */
function userClass(t: Function): Function | undefined {
  return isUserClass(t) ? t : undefined;
}

function designType(owner: Function, key: string, kind: 'design:paramtypes' | 'design:returntype'): Function | undefined {
  const t = Reflect.getMetadata(kind, owner.prototype, key) as Function | Function[] | undefined;
  const first = Array.isArray(t) ? t[0] : t;
  return isUserClass(first) ? first : undefined;
}

/** True when `fn` declares a parameter but TypeScript emitted no parameter types for it. */
function untyped(owner: Function, key: string, fn: Function, explicit: Function | undefined): true | undefined {
  if (explicit !== undefined || fn.length === 0) return undefined;
  return Reflect.getMetadata('design:paramtypes', owner.prototype, key) === undefined ? true : undefined;
}

/**
 * Throws, naming the class, the method and both fixes, when a handler or subscriber of `cls` takes a
 * parameter whose type was not recorded: its DTO would silently go unvalidated.
 */
export function requireParameterTypes(cls: Function, meta: ServiceMeta): void {
  const bad = [...meta.handlers.map((h) => ({ ...h, deco: '@Handler({ request: <Dto> })' })),
    ...meta.subscribers.map((s) => ({ ...s, deco: `@Subscribe('${s.topic}', { request: <Dto> })` }))].find((m) => m.untyped);
  if (!bad) return;
  throw new Error(`bootstrap: ${cls.name}.${bad.method} takes a parameter, but no type was recorded for it (TypeScript ran without `
    + `"emitDecoratorMetadata", or a runner such as tsx or esbuild stripped the types), so its DTO would not be validated. `
    + `Name the class with ${bad.deco} (request: Object takes the body unvalidated), or enable "emitDecoratorMetadata": true `
    + 'and "experimentalDecorators": true in tsconfig.json');
}

/** The `design:type` TypeScript emitted for `property` of `cls`, or undefined when none was emitted. */
export function designTypeOf(cls: Function, property: string): Function | undefined {
  return Reflect.getMetadata('design:type', cls.prototype, property) as Function | undefined;
}

/** Drops keys whose value is undefined, so recorded objects compare and print cleanly. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function build(cls: Function, svc: ServiceInfo, rec: ClassRecord): ServiceMeta {
  const byEndpoint = new Map<string, string>();
  const handlers = rec.handlers.map(({ name, declaredOn: _d, metadata, ...h }) => {
    const endpoint = name ?? `${cls.name}.${h.method}`;
    const other = byEndpoint.get(endpoint);
    if (other !== undefined) {
      throw new Error(`@Service on ${cls.name}: endpoint "${endpoint}" is served by both ${cls.name}.${other} and `
        + `${cls.name}.${h.method}; give one of them another name with @Handler('<name>')`);
    }
    byEndpoint.set(endpoint, h.method);
    return Object.freeze({ ...h, endpoint, metadata: Object.freeze({ ...metadata }), use: Object.freeze([...rec.methodUse.get(h.method) ?? []]) });
  });
  const subscribers = rec.subscribers.map(({ declaredOn: _d, ...s }) => Object.freeze({ ...s, use: Object.freeze([...rec.methodUse.get(s.method) ?? []]) }));
  return Object.freeze(compact({
    name: svc.name,
    version: svc.version ?? 'latest',
    metadata: Object.freeze({ ...svc.metadata }),
    description: svc.description,
    natsService: svc.natsService ? Object.freeze({ ...svc.natsService }) : undefined,
    handlers: Object.freeze(handlers),
    subscribers: Object.freeze(subscribers),
    clients: Object.freeze([...rec.clients]),
    use: Object.freeze([...rec.use]),
    healthChecks: Object.freeze([...rec.healthChecks]),
  }));
}

/** Member decorators applied after `@Service` (through `decorate()`) must still be checked and seen. */
function rebuild(cls: Function, rec: ClassRecord): void {
  if (rec.service) rec.built = build(cls, rec.service, rec);
}

/** Completes a class as a service. Throws on a second `@Service` or on duplicate endpoint names. */
export function recordService(cls: Function, info: ServiceInfo): ServiceMeta {
  const rec = ownRecord(cls);
  if (rec.service) throw new Error(`@Service on ${cls.name}: applied twice (already "${rec.service.name}"); use one @Service per class`);
  const service = compact({ ...info, metadata: { ...info.metadata } });
  const built = build(cls, service, rec);
  rec.service = service;
  rec.built = built;
  return built;
}

/** Records `method` of `owner` (the class) as an RPC handler; a subclass's record replaces its parent's. */
export function recordHandler(owner: Function, method: string, fn: Function, info: HandlerInfo = {}): void {
  const rec = ownRecord(owner);
  const at = rec.handlers.findIndex((h) => h.method === method);
  if (at >= 0 && rec.handlers[at].declaredOn === owner) {
    throw new Error(`@Handler on ${owner.name}.${method}: applied twice; use one @Handler per method`);
  }
  const entry: PendingHandler = Object.freeze(compact({
    method,
    name: info.name,
    metadata: Object.freeze({ ...info.metadata }),
    requestType: info.request !== undefined ? userClass(info.request) : designType(owner, method, 'design:paramtypes'),
    returnType: info.response !== undefined ? userClass(info.response) : designType(owner, method, 'design:returntype'),
    untyped: untyped(owner, method, fn, info.request),
    stream: Object.prototype.toString.call(fn) === '[object AsyncGeneratorFunction]',
    subject: info.subject,
    queueGroup: info.queueGroup,
    idempotent: info.idempotent === true ? true : undefined,
    declaredOn: owner,
  }));
  if (at >= 0) rec.handlers[at] = entry; else rec.handlers.push(entry);
  rebuild(owner, rec);
}

/** Records `method` of `owner` as a broker subscriber. The same topic and queue twice on one method is an error. */
export function recordSubscriber(owner: Function, method: string, fn: Function, info: SubscriberInfo): void {
  const rec = ownRecord(owner);
  const at = rec.subscribers.findIndex((s) => s.method === method && s.topic === info.topic && s.queue === info.queue);
  if (at >= 0 && rec.subscribers[at].declaredOn === owner) {
    throw new Error(`@Subscribe on ${owner.name}.${method}: topic "${info.topic}" subscribed twice`);
  }
  const entry: PendingSubscriber = Object.freeze(compact({
    method, topic: info.topic, queue: info.queue, delivery: info.delivery, declaredOn: owner, untyped: untyped(owner, method, fn, info.request),
    requestType: info.request !== undefined ? userClass(info.request) : designType(owner, method, 'design:paramtypes'),
  }));
  if (at >= 0) rec.subscribers[at] = entry; else rec.subscribers.push(entry);
  rebuild(owner, rec);
}

function clientError(owner: Function, property: string | symbol, target: Function): Error {
  return new Error(`@InjectClient(${target.name}) on ${owner.name}.${String(property)}: ${target.name} is not decorated `
    + `with @Service; add @Service('<name>') to ${target.name}, or inject by service name with @InjectClient('<name>')`);
}

/**
 * Records an injected client. A class target without `@Service` fails here, except the class being
 * decorated itself, whose `@Service` has not run yet: {@link resolveClientTarget} checks that one.
 */
export function recordClient(owner: Function, property: string | symbol, target: Function | string): void {
  if (typeof target === 'function' && target !== owner && !hasServiceMeta(target)) throw clientError(owner, property, target);
  const rec = ownRecord(owner);
  const at = rec.clients.findIndex((c) => c.property === property);
  if (at >= 0 && rec.clients[at].owner === owner) {
    throw new Error(`@InjectClient on ${owner.name}.${String(property)}: applied twice; use one @InjectClient per property`);
  }
  const entry: ClientInjection = Object.freeze({ property, target, owner });
  if (at >= 0) rec.clients[at] = entry; else rec.clients.push(entry);
  rebuild(owner, rec);
}

/**
 * Records `@Use` middleware on a class (`method` undefined) or one of its methods. Decorators apply bottom-up,
 * so each application goes in front: the decorator written first is the outermost.
 */
export function recordUse(owner: Function, method: string | undefined, refs: readonly MiddlewareRef[]): void {
  const rec = ownRecord(owner);
  if (method === undefined) rec.use = [...refs, ...rec.use];
  else rec.methodUse.set(method, [...refs, ...rec.methodUse.get(method) ?? []]);
  rebuild(owner, rec);
}

/** Records a `@HealthCheck()` method. Throws when two checks take one name. */
export function recordHealthCheck(owner: Function, method: string, name: string): void {
  const rec = ownRecord(owner);
  const other = rec.healthChecks.find((c) => c.name === name && c.method !== method);
  if (other) throw new Error(`@HealthCheck on ${owner.name}.${method}: the name "${name}" is already taken by ${owner.name}.${other.method}`);
  rec.healthChecks = [...rec.healthChecks.filter((c) => c.method !== method), Object.freeze({ method, name })];
  rebuild(owner, rec);
}

/** The class's own service metadata, or undefined when the class itself has no `@Service`. */
export function getServiceMeta(cls: Function): ServiceMeta | undefined {
  return (Reflect.getOwnMetadata(RECORD, cls) as ClassRecord | undefined)?.built;
}

/** True when the class itself (not just a base class) carries `@Service`. */
export function hasServiceMeta(cls: Function): boolean {
  return getServiceMeta(cls) !== undefined;
}

/** Like {@link getServiceMeta} but throws, naming the class, when it is not a service. */
export function requireServiceMeta(cls: Function): ServiceMeta {
  const meta = typeof cls === 'function' ? getServiceMeta(cls) : undefined;
  if (!meta) {
    const what = typeof cls === 'function' ? `class ${cls.name || '(anonymous)'}` : String(cls);
    throw new Error(`${what} is not a service: decorate it with @Service('<name>')`);
  }
  return meta;
}

/** The service an injected client calls. Throws, naming the class and property, for a class without `@Service`. */
export function resolveClientTarget(injection: ClientInjection): ClientTarget {
  const { target, owner, property } = injection;
  if (typeof target === 'string') return { name: target };
  const service = getServiceMeta(target);
  if (!service) throw clientError(owner, property, target);
  return { name: service.name, service };
}

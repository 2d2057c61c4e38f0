import { checkDurableOptions } from '../lib/broker/jetstream-options';
import { MicroError } from '../lib/errors';
import { recordSubscriber, type DeliveryOptions } from '../lib/metadata';
import { isToken, requireMethod, subjectProblem, where } from './util';

/** Options of `@Subscribe`; all but `queue` need `broker: 'jetstream'` (bootstrap refuses them otherwise). */
export interface SubscribeDecoratorOptions extends DeliveryOptions {
  /** A NATS queue group: each event goes to one member of the group instead of every subscriber. */
  queue?: string;
  /**
   * The event's DTO class, validated as a handler's request is. Needed when the compiler records no
   * parameter types (no `emitDecoratorMetadata`, tsx, esbuild); `Object` takes the event unvalidated.
   * Default: the first parameter's declared type.
   */
  request?: Function;
}

const DELIVERY_KEYS = ['durable', 'ackWait', 'maxDeliver', 'deliverPolicy', 'startTime', 'startSequence'] as const;

/** The durable options given, checked (throws naming the decorator), or undefined when none is. */
function deliveryOf(at: string, o: SubscribeDecoratorOptions): DeliveryOptions | undefined {
  const given = DELIVERY_KEYS.filter((k) => o[k] !== undefined);
  if (given.length === 0) return undefined;
  if (o.durable !== undefined && typeof o.durable !== 'boolean') throw new Error(`${at}: durable must be a boolean`);
  try {
    checkDurableOptions({ ...o, durable: undefined });
  } catch (err) {
    throw new Error(`${at}: ${err instanceof MicroError ? err.detail : String(err)}`);
  }
  return Object.freeze(Object.fromEntries(given.map((k) => [k, o[k]])) as DeliveryOptions);
}

/**
 * Subscribes a method to a broker topic (a NATS subject; `*` and `>` wildcards allowed). The method
 * receives `(event, ctx)`; a class-typed first parameter is transformed and validated. Several
 * `@Subscribe` on one method subscribe it to several topics.
 */
export function Subscribe(topic: string, options: SubscribeDecoratorOptions = {}): MethodDecorator {
  // The descriptor is optional at run time: JavaScript callers can put the decorator on a property.
  return (target: object, key: string | symbol, descriptor?: PropertyDescriptor) => {
    const fn = requireMethod('@Subscribe', target, key, descriptor);
    const at = `@Subscribe on ${where(target, key)}`;
    const problem = typeof topic === 'string' ? subjectProblem(topic, true) : 'it is not a string';
    if (problem) throw new Error(`${at}: topic ${JSON.stringify(topic)} is invalid: ${problem}`);
    if (options === null || typeof options !== 'object') throw new Error(`${at}: options must be { queue?, durable?, ackWait?, maxDeliver?, deliverPolicy?, startTime?, startSequence? }, got ${JSON.stringify(options)}`);
    if (options.queue !== undefined && !isToken(options.queue)) {
      throw new Error(`${at}: queue ${JSON.stringify(options.queue)} must be a non-empty string without spaces`);
    }
    if (options.request !== undefined && typeof options.request !== 'function') {
      throw new Error(`${at}: request must be a class, got ${String(options.request)}`);
    }
    const delivery = deliveryOf(at, options);
    recordSubscriber((target as { constructor: Function }).constructor, key as string, fn,
      { topic, queue: options.queue, delivery, request: options.request });
  };
}

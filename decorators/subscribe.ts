import { recordSubscriber } from '../lib/metadata';
import { isToken, requireMethod, subjectProblem, where } from './util';

/** Options of `@Subscribe`. */
export interface SubscribeDecoratorOptions {
  /** A NATS queue group: each event goes to one member of the group instead of every subscriber. */
  queue?: string;
}

/**
 * Subscribes a method to a broker topic (a NATS subject; `*` and `>` wildcards allowed). The method
 * receives `(event, ctx)`; a class-typed first parameter is transformed and validated. Several
 * `@Subscribe` on one method subscribe it to several topics.
 */
export function Subscribe(topic: string, options: SubscribeDecoratorOptions = {}): MethodDecorator {
  // The descriptor is optional at run time: JavaScript callers can put the decorator on a property.
  return (target: object, key: string | symbol, descriptor?: PropertyDescriptor) => {
    requireMethod('@Subscribe', target, key, descriptor);
    const at = `@Subscribe on ${where(target, key)}`;
    const problem = typeof topic === 'string' ? subjectProblem(topic, true) : 'it is not a string';
    if (problem) throw new Error(`${at}: topic ${JSON.stringify(topic)} is invalid: ${problem}`);
    if (options === null || typeof options !== 'object') throw new Error(`${at}: options must be { queue? }, got ${JSON.stringify(options)}`);
    if (options.queue !== undefined && !isToken(options.queue)) {
      throw new Error(`${at}: queue ${JSON.stringify(options.queue)} must be a non-empty string without spaces`);
    }
    recordSubscriber((target as { constructor: Function }).constructor, key as string, { topic, queue: options.queue });
  };
}

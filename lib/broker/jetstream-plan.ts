/**
 * The consumer behind one JetStream subscription: its settings, and creating or binding it on the server.
 */
import { AckPolicy, DeliverPolicy as JsDeliverPolicy, type ConsumerConfig, type JetStreamManager } from '@nats-io/jetstream';
import { conflict } from '../errors';
import { nanos, type DurableSubscribeOptions } from './jetstream-options';
import { isNotFound } from './jetstream-stream';

/** The settings a subscription runs with, defaults filled in. */
export interface ConsumerPlan {
  stream: string;
  topic: string;
  /** Durable name (a queue's shared consumer, or a named durable); undefined: ephemeral. */
  durable?: string;
  ackWait: number;
  maxDeliver: number;
  nakDelay: number;
  /** Dead letters go to `<deadLetterPrefix>.<topic>`. */
  deadLetterPrefix: string;
  opts: DurableSubscribeOptions;
}

function consumerConfig(p: ConsumerPlan): Partial<ConsumerConfig> {
  const o = p.opts;
  const policy = o.deliverPolicy ?? (o.startTime ? 'by_start_time' : o.startSequence ? 'by_start_sequence' : 'new');
  return {
    ack_policy: AckPolicy.Explicit, filter_subject: p.topic, ack_wait: nanos(p.ackWait), max_deliver: p.maxDeliver,
    deliver_policy: policy as JsDeliverPolicy,
    ...(o.startTime ? { opt_start_time: o.startTime.toISOString() } : {}),
    ...(o.startSequence ? { opt_start_seq: o.startSequence } : {}),
    ...(p.durable ? { durable_name: p.durable } : { inactive_threshold: nanos(30_000) }),
  };
}

/** Creates the consumer, or binds a durable that exists: 409 when it filters another subject. */
export async function openConsumer(jsm: JetStreamManager, p: ConsumerPlan): Promise<string> {
  const cfg = consumerConfig(p);
  if (p.durable) {
    const info = await jsm.consumers.info(p.stream, p.durable).catch((err) => {
      if (isNotFound(err, 'consumer')) return undefined;
      throw err;
    });
    if (info) {
      if (info.config.filter_subject !== p.topic) {
        throw conflict('micro.broker', `consumer ${p.durable} of stream ${p.stream} exists for "${info.config.filter_subject}", not "${p.topic}"`);
      }
      if (info.config.ack_wait !== cfg.ack_wait || info.config.max_deliver !== cfg.max_deliver) {
        await jsm.consumers.update(p.stream, p.durable, { ack_wait: cfg.ack_wait, max_deliver: cfg.max_deliver });
      }
      return p.durable;
    }
  }
  return (await jsm.consumers.add(p.stream, cfg)).name;
}

/**
 * Options of the JetStream broker and of its subscriptions: their types, and their resolution (defaults
 * from lib/config/defaults.ts, checks from lib/config/check.ts, failures are ConfigError 400).
 */
import { checkInteger, checkOneOf } from '../config/check';
import * as D from '../config/defaults';
import { ConfigError } from '../errors';
import { BROKER_ID } from './options';
import type { SubscribeOptions } from './index';

/** Where a consumer starts when it is first created (a durable that exists keeps its position). */
export type DeliverPolicy = 'new' | 'all' | 'last' | 'last_per_subject' | 'by_start_time' | 'by_start_sequence';

/** The stream events are stored in. */
export interface StreamSettings {
  /** Stream name. Default `MICRO_EVENTS`. */
  name?: string;
  /**
   * Subjects the stream captures. Given: the stream is bound to exactly these, and publishing or subscribing
   * outside them rejects 400. Absent: the stream captures the topics the app publishes and subscribes to,
   * each added (once) when first used.
   */
  subjects?: string[];
  /** `'limits'` (default), `'interest'` or `'workqueue'`. */
  retention?: 'limits' | 'interest' | 'workqueue';
  /** Oldest event kept, in ms; 0 = no limit. Default 0. */
  maxAge?: number;
  /** Bytes kept; -1 = no limit. Default -1. */
  maxBytes?: number;
  /** Copies in a JetStream cluster (1, 3 or 5). Default 1. */
  replicas?: number;
  /** `'file'` (default) or `'memory'`. */
  storage?: 'file' | 'memory';
}

/** The JetStream part of the broker options. */
export interface JetStreamSettings {
  /** The stream; created when missing, else bound, never changed (a conflicting setting rejects connect() 409). */
  stream?: StreamSettings;
  /** Dead letters go to `<deadLetterPrefix>.<topic>`. Default `dlq`. */
  deadLetterPrefix?: string;
  /** Defaults of every subscription (each may override them). */
  ackWait?: number;
  maxDeliver?: number;
  /** First redelivery delay after a handler failure, in ms; doubles per attempt, at most 60 000. Default 1 000. */
  nakDelay?: number;
}

/** Subscription options a persistent broker understands (core NATS and memory take only `queue`). */
export interface DurableSubscribeOptions extends SubscribeOptions {
  /** Durable consumer name: survives restarts and resumes where it stopped. Default: ephemeral (or the queue's). */
  durable?: string;
  /** Redelivery after this many ms without an ack. Default 30 000. */
  ackWait?: number;
  /** Deliveries before the event goes to the dead-letter subject. Default 5. */
  maxDeliver?: number;
  /** Where a new consumer starts. Default `'new'` (only events published from now on). */
  deliverPolicy?: DeliverPolicy;
  /** With `deliverPolicy: 'by_start_time'` (implied when given): replay from this time. */
  startTime?: Date;
  /** With `deliverPolicy: 'by_start_sequence'` (implied when given): replay from this stream sequence. */
  startSequence?: number;
}

/** The stream settings with defaults filled in (subjects stay absent when not given). */
export type ResolvedStream = Required<Omit<StreamSettings, 'subjects'>> & { subjects?: string[] };
export interface ResolvedJetStream { stream: ResolvedStream; deadLetterPrefix: string; ackWait: number; maxDeliver: number; nakDelay: number }

const NAME = /^[A-Za-z0-9_-]+$/;
const PREFIX = 'jetstream option';

function fail(what: string, v: unknown, expected: string): never {
  throw new ConfigError(`${PREFIX} ${what}`, `${PREFIX} ${what}: expected ${expected}, got ${JSON.stringify(v)}`, BROKER_ID);
}

function int(what: string, v: unknown, min: number): void {
  checkInteger(`${PREFIX} ${what}`, v, min, BROKER_ID);
}

function oneOf(what: string, v: unknown, values: readonly string[]): void {
  checkOneOf(`${PREFIX} ${what}`, v, values, BROKER_ID);
}

/** Validates and fills in the JetStream settings; throws 400 naming the option. */
export function resolveJetStream(o: JetStreamSettings = {}): ResolvedJetStream {
  const s = o.stream ?? {};
  if (s.name !== undefined && (typeof s.name !== 'string' || !NAME.test(s.name))) fail('stream.name', s.name, 'letters, digits, _ or -');
  if (s.subjects !== undefined && (!Array.isArray(s.subjects) || s.subjects.length === 0)) fail('stream.subjects', s.subjects, 'a non-empty list');
  oneOf('stream.retention', s.retention, ['limits', 'interest', 'workqueue']);
  oneOf('stream.storage', s.storage, ['file', 'memory']);
  int('stream.maxAge', s.maxAge, 0);
  int('stream.maxBytes', s.maxBytes, -1);
  int('stream.replicas', s.replicas, 1);
  int('ackWait', o.ackWait, 1);
  int('maxDeliver', o.maxDeliver, 1);
  int('nakDelay', o.nakDelay, 0);
  if (o.deadLetterPrefix !== undefined && (typeof o.deadLetterPrefix !== 'string' || !/^[^\s*>]+$/.test(o.deadLetterPrefix))) {
    fail('deadLetterPrefix', o.deadLetterPrefix, 'a subject without wildcards');
  }
  return {
    stream: {
      name: s.name ?? D.DEFAULT_JS_STREAM, retention: s.retention ?? D.DEFAULT_JS_RETENTION, maxAge: s.maxAge ?? D.DEFAULT_JS_MAX_AGE,
      maxBytes: s.maxBytes ?? D.DEFAULT_JS_MAX_BYTES, replicas: s.replicas ?? D.DEFAULT_JS_REPLICAS, storage: s.storage ?? D.DEFAULT_JS_STORAGE,
      ...(s.subjects ? { subjects: [...s.subjects] } : {}),
    },
    deadLetterPrefix: o.deadLetterPrefix ?? D.DEFAULT_JS_DEAD_LETTER_PREFIX,
    ackWait: o.ackWait ?? D.DEFAULT_JS_ACK_WAIT, maxDeliver: o.maxDeliver ?? D.DEFAULT_JS_MAX_DELIVER, nakDelay: o.nakDelay ?? D.DEFAULT_JS_NAK_DELAY,
  };
}

/** Validates a subscription's durable options (400 naming the option). */
export function checkDurableOptions(o: DurableSubscribeOptions): void {
  if (o.durable !== undefined && (typeof o.durable !== 'string' || !NAME.test(o.durable))) fail('durable', o.durable, 'letters, digits, _ or -');
  int('ackWait', o.ackWait, 1);
  int('maxDeliver', o.maxDeliver, 1);
  int('startSequence', o.startSequence, 1);
  oneOf('deliverPolicy', o.deliverPolicy, ['new', 'all', 'last', 'last_per_subject', 'by_start_time', 'by_start_sequence']);
  if (o.startTime !== undefined && (!(o.startTime instanceof Date) || Number.isNaN(o.startTime.getTime()))) fail('startTime', o.startTime, 'a Date');
}

/** A consumer name derived from a topic: `.` becomes `_`, wildcards become words (names allow neither). */
export function consumerName(prefix: string, topic: string): string {
  return `${prefix}_${topic.replace(/\*/g, 'STAR').replace(/>/g, 'ALL').replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** The redelivery delay after the `attempt`-th failed delivery: `base` doubling, capped. */
export function nakDelay(base: number, attempt: number): number {
  return Math.min(base * 2 ** Math.min(attempt - 1, 16), D.DEFAULT_JS_MAX_NAK_DELAY);
}

/** Milliseconds as the nanoseconds JetStream's API counts in. */
export function nanos(ms: number): number {
  return ms * 1_000_000;
}

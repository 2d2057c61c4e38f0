import type { Broker } from '../broker';
import type { Codecs } from '../codec';
import { currentContext } from '../context';
import { unavailable } from '../errors';
import { encodeEnvelope, eventContentType, eventHeader, Header, writeTimeout } from '../protocol/mucp';
import { randomUUID } from 'node:crypto';
import type { GoMicroTopics } from './gomicro-topics';
import { DEFAULT_PUBLISH_TIMEOUT } from '../config/defaults';
import type { Message } from '../transport';
import type { PublishOptions } from './index';
import { encodeOrRefuse } from './encode';
import type { Chain } from '../middleware';

const NO_OPTIONS: PublishOptions = Object.freeze({});

/**
 * `client.publish`: events through the broker; a JSON event published outside a handler and without metadata
 * has no header block at all (see {@link eventHeader}); inside a handler its metadata and remaining `Timeout`
 * go along. Not async: once the broker is connected a publish allocates no promise of its own.
 */
export class EventPublisher {
  private ready?: Promise<void>;
  private connected = false;
  /** Client middleware around each publish; absent: none (set by the client). */
  chain?: Chain;

  /** `goMicro`: the topics go-micro subscribers listen on; their events are sent in go-micro's envelope. */
  constructor(private readonly broker: Broker | undefined, private readonly codecs: Codecs, private readonly goMicro?: GoMicroTopics) {}

  publish(topic: string, payload: unknown, opts: PublishOptions = NO_OPTIONS): Promise<void> {
    const broker = this.broker;
    if (!broker) return Promise.reject(unavailable('micro.client', `cannot publish to ${topic}: the client has no broker`));
    let m: Message;
    const ctx = currentContext();
    try {
      const codec = this.codecs.get(opts.contentType);
      const metadata = ctx || opts.metadata ? { ...ctx?.rawMetadata, ...opts.metadata } : undefined;
      // Middleware may add headers: it gets a record of its own, never the shared frozen empty one.
      const header = eventHeader(this.chain ? metadata ?? {} : metadata, codec.contentType, ctx ? ctx.deadline - Date.now() : Infinity);
      m = { header, body: encodeOrRefuse(codec, payload, `the event on ${topic}`) };
    } catch (err) {
      return Promise.reject(err);
    }
    // Inside a handler, waiting for a connection that is down ends with the request's deadline.
    const o = ctx && Number.isFinite(ctx.deadline)
      ? { ...opts, timeout: Math.max(0, Math.min(opts.timeout ?? DEFAULT_PUBLISH_TIMEOUT, ctx.deadline - Date.now())) } : opts;
    if (this.chain) {
      const inv = { kind: 'publish' as const, service: '', endpoint: topic, metadata: m.header, context: ctx, request: payload };
      return this.chain(inv, () => this.send(broker, topic, m, o)) as Promise<void>;
    }
    return this.send(broker, topic, m, o);
  }

  private send(broker: Broker, topic: string, m: Message, opts: PublishOptions): Promise<void> {
    if (this.connected) return broker.publish(topic, this.goMicro?.has(topic) ? goMicroEvent(topic, m) : m, opts);
    // The first publish also waits for the go-micro topics to be known (once), so no event goes out in the wrong form.
    this.ready ??= Promise.all([broker.connect(), this.goMicro?.start()]).then(() => { this.connected = true; }, (err) => { this.ready = undefined; throw err; });
    const deadline = currentContext()?.deadline ?? Infinity;
    return this.ready.then(() => {
      // The wait used some of the remaining budget: the Timeout header says what is left now.
      if (m.header[Header.Timeout] !== undefined) m.header[Header.Timeout] = writeTimeout(deadline - Date.now());
      return broker.publish(topic, this.goMicro?.has(topic) ? goMicroEvent(topic, m) : m, opts);
    });
  }
}

/**
 * An event as go-micro's broker sends it (`broker/nats/nats.go` Publish): the JSON of `broker.Message`
 * `{"Header":{…},"Body":"<base64>"}` as the payload, no NATS headers. go-micro's subscriber routes by
 * `Micro-Topic` and decodes by `Content-Type` (our own events leave both out); the id goes in both spellings
 * go-micro generations read.
 */
function goMicroEvent(topic: string, m: Message): Message {
  const id = randomUUID();
  const header = { ...m.header, [Header.ContentType]: eventContentType(m.header), [Header.Topic]: topic, [Header.Id]: id, [Header.IdUpper]: id };
  return { header: {}, body: encodeEnvelope({ header, body: m.body }) };
}

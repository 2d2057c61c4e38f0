import type { Broker } from '../broker';
import type { Codecs } from '../codec';
import { currentContext } from '../context';
import { unavailable } from '../errors';
import { encodeEnvelope, Header, writeTimeout } from '../protocol/mucp';
import { randomUUID } from 'node:crypto';
import type { GoMicroTopics } from './gomicro-topics';
import type { Message } from '../transport';
import type { PublishOptions } from './index';
import { encodeOrRefuse } from './encode';
import type { Chain } from '../middleware';

const NO_OPTIONS: PublishOptions = Object.freeze({});

/**
 * `client.publish`: events through the broker with `Content-Type` and `Micro-Topic` (and, inside a handler,
 * its metadata and remaining `Timeout`). Not async: once the broker is connected a publish allocates no
 * promise of its own, and an event without metadata reuses its topic's frozen headers, whose NATS encoding
 * is then cached (events are a hot path).
 */
export class EventPublisher {
  private ready?: Promise<void>;
  private connected = false;
  private readonly headerCache = new Map<string, Readonly<Record<string, string>>>();
  /** Client middleware around each publish; absent: none (set by the client). */
  chain?: Chain;

  /** `goMicro`: the topics go-micro subscribers listen on; their events are sent in go-micro's envelope. */
  constructor(private readonly broker: Broker | undefined, private readonly codecs: Codecs, private readonly goMicro?: GoMicroTopics) {}

  publish(topic: string, payload: unknown, opts: PublishOptions = NO_OPTIONS): Promise<void> {
    const broker = this.broker;
    if (!broker) return Promise.reject(unavailable('micro.client', `cannot publish to ${topic}: the client has no broker`));
    let m: Message;
    try {
      const codec = this.codecs.get(opts.contentType);
      const ctx = currentContext();
      // Middleware may add headers: it gets a copy of its own, never the shared frozen ones.
      const header = ctx || opts.metadata || this.chain ? this.inheritedHeaders(topic, codec.contentType, opts) : this.headers(topic, codec.contentType);
      m = { header, body: encodeOrRefuse(codec, payload, `the event on ${topic}`) };
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.chain) {
      const inv = { kind: 'publish' as const, service: '', endpoint: topic, metadata: m.header, context: currentContext(), request: payload };
      return this.chain(inv, () => this.send(broker, topic, m, opts)) as Promise<void>;
    }
    return this.send(broker, topic, m, opts);
  }

  private send(broker: Broker, topic: string, m: Message, opts: PublishOptions): Promise<void> {
    if (this.connected) return broker.publish(topic, this.goMicro?.has(topic) ? goMicroEvent(m) : m, opts);
    // The first publish also waits for the go-micro topics to be known (once), so no event goes out in the wrong form.
    this.ready ??= Promise.all([broker.connect(), this.goMicro?.start()]).then(() => { this.connected = true; }, (err) => { this.ready = undefined; throw err; });
    const deadline = currentContext()?.deadline ?? Infinity;
    return this.ready.then(() => {
      // The wait used some of the remaining budget: the Timeout header says what is left now.
      if (m.header[Header.Timeout] !== undefined) m.header[Header.Timeout] = writeTimeout(deadline - Date.now());
      return broker.publish(topic, this.goMicro?.has(topic) ? goMicroEvent(m) : m, opts);
    });
  }

  /** Headers of an event published while handling a request: its metadata and remaining deadline go along. */
  private inheritedHeaders(topic: string, contentType: string, opts: PublishOptions): Record<string, string> {
    const ctx = currentContext();
    const header: Record<string, string> = { ...ctx?.rawMetadata, ...opts.metadata, [Header.ContentType]: contentType, [Header.Topic]: topic };
    if (ctx && Number.isFinite(ctx.deadline)) header[Header.Timeout] = writeTimeout(ctx.deadline - Date.now());
    return header;
  }

  private headers(topic: string, contentType: string): Record<string, string> {
    const key = `${contentType} ${topic}`;
    let h = this.headerCache.get(key);
    if (!h) {
      if (this.headerCache.size >= 1024) this.headerCache.clear();
      h = Object.freeze({ [Header.ContentType]: contentType, [Header.Topic]: topic });
      this.headerCache.set(key, h);
    }
    return h as Record<string, string>;
  }
}

/**
 * An event as go-micro's broker sends it (`broker/nats/nats.go` Publish): the JSON of `broker.Message`
 * `{"Header":{…},"Body":"<base64>"}` as the payload, no NATS headers. go-micro's subscriber routes by
 * `Micro-Topic` and decodes by `Content-Type`; the id goes in both spellings go-micro generations read.
 */
function goMicroEvent(m: Message): Message {
  const id = randomUUID();
  const header = { ...m.header, [Header.Id]: id, [Header.IdUpper]: id };
  return { header: {}, body: encodeEnvelope({ header, body: m.body }) };
}

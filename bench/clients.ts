/**
 * The callers compared: nats.js request(), a hand-rolled request/reply (the ceiling), micro-nats proxies.
 * Every caller encodes its request and decodes its reply as JSON on each call, as a real client does.
 */
import { createInbox, type Msg, type NatsConnection } from '@nats-io/transport-node';

const te = new TextEncoder();
const td = new TextDecoder();

/** `nc.request()`: a timer and an error object per call. */
export function natsRequest(nc: NatsConnection, subject: string, body: unknown): () => Promise<unknown> {
  return async () => JSON.parse(td.decode((await nc.request(subject, te.encode(JSON.stringify(body)), { timeout: 5_000 })).data));
}

/** One wildcard reply subscription and our own correlation: what the nats.js client can do at best. */
export function handRolled(nc: NatsConnection, subject: string, body: unknown): () => Promise<unknown> {
  const prefix = createInbox();
  const waiting = new Map<string, (m: Msg) => void>();
  nc.subscribe(`${prefix}.*`, { callback: (_e, m) => { const f = waiting.get(m.subject); if (f) { waiting.delete(m.subject); f(m); } } });
  let seq = 0;
  return () => new Promise((resolve) => {
    const reply = `${prefix}.${++seq}`;
    waiting.set(reply, (m) => resolve(JSON.parse(td.decode(m.data))));
    nc.publish(subject, te.encode(JSON.stringify(body)), { reply });
  });
}

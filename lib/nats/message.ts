import { headers as natsHeaders, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { payloadTooLarge, unavailable, badRequest } from '../errors';

const EMPTY = new Uint8Array(0);

/** NATS headers → a plain record (first value of each key). */
export function fromNatsHeaders(h: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  for (const k of h.keys()) out[k] = h.get(k);
  return out;
}

/** A plain record → NATS headers, or undefined when there are none (saves the header block on the wire). */
export function toNatsHeaders(header: Record<string, string> | undefined): MsgHdrs | undefined {
  if (!header) return undefined;
  let h: MsgHdrs | undefined;
  for (const k in header) {
    const v = header[k];
    if (v === undefined) continue;
    h ??= natsHeaders();
    h.set(k, String(v));
  }
  return h;
}

/** The payload of a NATS message (a view, not a copy). */
export function bodyOf(msg: Msg): Uint8Array {
  return msg.data ?? EMPTY;
}

/**
 * Publishes with errors turned into MicroErrors: 413 naming the server's max_payload,
 * 503 when the connection is closed, 400 for invalid headers.
 */
export function publish(nc: NatsConnection, subject: string, body: Uint8Array, hdrs: MsgHdrs | undefined, reply?: string): void {
  try {
    nc.publish(subject, body, hdrs || reply ? { headers: hdrs, reply } : undefined);
  } catch (err) {
    throw translatePublishError(nc, err, body.length);
  }
}

function translatePublishError(nc: NatsConnection, err: unknown, size: number): Error {
  const msg = (err as Error)?.message ?? String(err);
  if (/max_payload/.test(msg)) {
    return payloadTooLarge('micro.nats', `message of ${size} bytes exceeds the server's max_payload of ${nc.info?.max_payload ?? '?'} bytes`);
  }
  if (nc.isClosed() || /closed|draining/i.test(msg)) return unavailable('micro.nats', `NATS connection is closed: ${msg}`);
  return badRequest('micro.nats', `cannot publish: ${msg}`);
}

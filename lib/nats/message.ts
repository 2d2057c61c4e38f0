import type { Msg, MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { payloadTooLarge, unavailable, badRequest } from '../errors';

const EMPTY = new Uint8Array(0);

export { encodeHeaders as toNatsHeaders, messageBytes, readHeaders } from './headers';

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

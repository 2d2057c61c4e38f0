/**
 * go-micro's transport envelope: the whole message JSON-encoded in the payload,
 * `{"Header":{…},"Body":"<base64>"}` (go-micro v2–v5 `json.Marshaler`), used by peers without NATS headers.
 */
import { badRequest } from '../errors';
import type { Message } from './message';

const OPEN = '{'.charCodeAt(0);

/** True when a header-less payload looks like JSON, and so must be an envelope. */
export function looksLikeEnvelope(data: Uint8Array): boolean {
  for (let i = 0; i < data.length; i++) {
    const c = data[i];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    return c === OPEN;
  }
  return false;
}

/** Decodes an envelope; throws 400 when it is not one. */
export function decodeEnvelope(data: Uint8Array): Message {
  let j: unknown;
  try {
    j = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch {
    throw badRequest('micro.transport', 'malformed go-micro envelope: payload is not valid JSON');
  }
  const env = j as { Header?: unknown; Body?: unknown };
  if (!env || typeof env !== 'object' || (env.Header != null && typeof env.Header !== 'object') ||
      (env.Body != null && typeof env.Body !== 'string')) {
    throw badRequest('micro.transport', 'malformed go-micro envelope: expected {"Header":{…},"Body":"<base64>"}');
  }
  const header: Record<string, string> = {};
  for (const [k, v] of Object.entries((env.Header ?? {}) as Record<string, unknown>)) header[k] = String(v);
  return { header, body: env.Body ? new Uint8Array(Buffer.from(env.Body as string, 'base64')) : new Uint8Array(0) };
}

/** Encodes a message as an envelope. */
export function encodeEnvelope(m: Message): Uint8Array {
  const body = Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength).toString('base64');
  return Buffer.from(JSON.stringify({ Header: m.header, Body: body }));
}

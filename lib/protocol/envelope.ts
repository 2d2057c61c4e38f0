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
  // An empty body is `null`, as Go marshals a nil `[]byte` (go-micro's error and end-of-stream frames).
  return Buffer.from(JSON.stringify({ Header: m.header, Body: m.body.length === 0 ? null : body }));
}

/**
 * go-micro's broker event (`broker.Message` as JSON: `{"Header":{…},"Body":"<base64>"}`), recognised
 * strictly: a JSON object with no keys but `Header` (an object of strings, or null) and `Body` (base64 text,
 * or null), at least one of them. Anything else — including malformed JSON — is `undefined` (the payload
 * is then the event's body as it came), so an envelope-looking payload never throws.
 */
export function decodeBrokerEnvelope(data: Uint8Array): Message | undefined {
  if (!startsWithEnvelopeKey(data)) return undefined;
  let j: unknown;
  try { j = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')); } catch { return undefined; }
  if (!j || typeof j !== 'object' || Array.isArray(j)) return undefined;
  let keys = 0;
  for (const k in j) { if (k !== 'Header' && k !== 'Body') return undefined; keys++; }
  if (keys === 0) return undefined;
  const { Header: h, Body: b } = j as { Header?: unknown; Body?: unknown };
  if ((h != null && (typeof h !== 'object' || Array.isArray(h))) || (b != null && typeof b !== 'string')) return undefined;
  const header: Record<string, string> = {};
  for (const [k, v] of Object.entries((h ?? {}) as Record<string, unknown>)) {
    if (typeof v !== 'string') return undefined;
    header[k] = v;
  }
  return { header, body: b ? new Uint8Array(Buffer.from(b as string, 'base64')) : new Uint8Array(0) };
}

const QUOTE = 0x22;
const KEYS = [Buffer.from('Header"'), Buffer.from('Body"')];

/**
 * True when the payload opens as a JSON object whose first key is `Header` or `Body` (an envelope has no
 * other keys). Checked on the bytes, so a plain JSON event (every header-less micro-nats event) is told
 * apart without parsing it a second time.
 */
function startsWithEnvelopeKey(data: Uint8Array): boolean {
  let i = skipSpace(data, 0);
  if (data[i] !== OPEN) return false;
  i = skipSpace(data, i + 1);
  if (data[i] !== QUOTE) return false;
  i++;
  return startsWith(data, i, KEYS[0]) || startsWith(data, i, KEYS[1]);
}

function startsWith(data: Uint8Array, at: number, key: Uint8Array): boolean {
  if (at + key.length > data.length) return false;
  for (let j = 0; j < key.length; j++) if (data[at + j] !== key[j]) return false;
  return true;
}

function skipSpace(data: Uint8Array, i: number): number {
  while (i < data.length && (data[i] === 0x20 || data[i] === 0x0a || data[i] === 0x0d || data[i] === 0x09)) i++;
  return i;
}

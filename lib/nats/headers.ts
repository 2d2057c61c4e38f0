/**
 * NATS header blocks, encoded and decoded here rather than through nats.js's `MsgHdrs`: that class
 * canonicalises, validates and re-encodes each key on every message, which showed up as a large share of
 * the per-request CPU. The wire format is the same (`NATS/1.0[ status]\r\nKey: value\r\n…\r\n\r\n`).
 */
import type { Msg, MsgHdrs } from '@nats-io/transport-node';
import { badRequest } from '../errors';

/** Headers of a received message, and the status code of a status message (503 no responders), else 0. */
export interface ReadHeaders { header: Record<string, string>; status: number; present: boolean }

const KEY = /^[!-9;-~]+$/;  // printable ASCII without ':' and space (RFC 7230 token-ish)
const knownKeys = new Set<string>();

/** A pre-encoded header block that nats.js publishes as is (it only calls `encode()`). */
class HeaderBlock {
  constructor(private readonly bytes: Uint8Array) {}
  encode(): Uint8Array { return this.bytes; }
}

function checkKey(k: string): void {
  if (knownKeys.has(k)) return;
  if (!KEY.test(k)) throw badRequest('micro.nats', `invalid header name ${JSON.stringify(k)}`);
  if (knownKeys.size < 4096) knownKeys.add(k);
}

/** Encodes a record as a NATS header block; undefined when it has no entries. Throws 400 for names or values that would break the framing. */
export function encodeHeaders(header: Record<string, string> | undefined): MsgHdrs | undefined {
  if (!header) return undefined;
  let s = '';
  for (const k in header) {
    const v = header[k];
    if (v === undefined) continue;
    checkKey(k);
    const text = typeof v === 'string' ? v : String(v);
    if (text.includes('\r') || text.includes('\n')) throw badRequest('micro.nats', `header ${k} has a line break in its value`);
    s += `${k}: ${text}\r\n`;
  }
  if (s === '') return undefined;
  return new HeaderBlock(Buffer.from(`NATS/1.0\r\n${s}\r\n`, 'utf8')) as unknown as MsgHdrs;
}

/** The raw header bytes of a received nats.js message, without building its `MsgHdrs`. */
function rawHeaderBytes(msg: Msg): Uint8Array | undefined | null {
  const impl = msg as unknown as { _msg?: { hdr?: number }; _rdata?: Uint8Array };
  const hdr = impl._msg?.hdr;
  if (hdr === undefined || !impl._rdata) return null;   // not nats.js's MsgImpl: use the public API
  return hdr > 0 ? impl._rdata.subarray(0, hdr) : undefined;
}

/** Decodes a received message's headers (first value of a repeated key). */
export function readHeaders(msg: Msg): ReadHeaders {
  const raw = rawHeaderBytes(msg);
  if (raw === undefined) return { header: {}, status: 0, present: false };
  if (raw === null) return viaPublicApi(msg);
  const text = Buffer.prototype.utf8Slice.call(raw, 0, raw.length) as string;
  const eol = text.indexOf('\r\n');
  // "NATS/1.0" alone, or followed by a status: "NATS/1.0 503"
  const status = eol > 9 ? parseInt(text.slice(9, eol), 10) || 0 : 0;
  const header: Record<string, string> = {};
  let at = eol < 0 ? text.length : eol + 2;
  const len = text.length;
  while (at < len) {
    let end = text.indexOf('\r\n', at);
    if (end < 0) end = len;
    const colon = text.indexOf(':', at);
    if (colon > at && colon < end) {
      const k = text.slice(at, colon);
      if (header[k] === undefined) {
        const v0 = text.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1;
        header[k] = text.slice(v0, end);
      }
    }
    at = end + 2;
  }
  return { header, status, present: true };
}

function viaPublicApi(msg: Msg): ReadHeaders {
  const h = msg.headers;
  if (!h) return { header: {}, status: 0, present: false };
  const header: Record<string, string> = {};
  for (const k of h.keys()) header[k] = h.get(k);
  return { header, status: h.code, present: true };
}

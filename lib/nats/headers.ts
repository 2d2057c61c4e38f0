/**
 * NATS header blocks, encoded and decoded here rather than through nats.js's `MsgHdrs`: that class
 * canonicalises, validates and re-encodes each key on every message, which showed up as a large share of
 * the per-request CPU. The wire format is the same (`NATS/1.0[ status]\r\nKey: value\r\n…\r\n\r\n`).
 */
import type { Msg, MsgHdrs } from '@nats-io/transport-node';
import { badRequest, excerpt } from '../errors';
import { FRAME_HEADERS, MAX_HEADERS } from '../protocol/mucp';

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
  if (!KEY.test(k)) throw badRequest('micro.nats', `invalid header name ${JSON.stringify(excerpt(k))}`);
  if (knownKeys.size < 4096) knownKeys.add(k);
}

/** Encoded blocks of frozen header records: a record that cannot change is encoded once (e.g. a topic's event headers). */
const frozenBlocks = new WeakMap<object, MsgHdrs | undefined>();

/**
 * Encodes a record as a NATS header block; undefined when it has no entries. Throws 400 for names or values
 * that would break the framing. A frozen record's block is remembered.
 */
export function encodeHeaders(header: Record<string, string> | undefined): MsgHdrs | undefined {
  if (!header) return undefined;
  // The frozen record met last (a header-less reply's, a topic's): no map look-up per message.
  if (header === lastFrozen) return lastBlock;
  if (!Object.isFrozen(header)) return encode(header);
  let block: MsgHdrs | undefined;
  if (frozenBlocks.has(header)) block = frozenBlocks.get(header);
  else frozenBlocks.set(header, (block = encode(header)));
  lastFrozen = header;
  lastBlock = block;
  return block;
}

let lastFrozen: object | undefined;
let lastBlock: MsgHdrs | undefined;

/** The value of header `k` as text, after checking the name and that the value cannot break the framing. */
function checkedValue(k: string, v: unknown): string {
  checkKey(k);
  const text = typeof v === 'string' ? v : String(v);
  if (text.includes('\r') || text.includes('\n')) throw badRequest('micro.nats', `header ${excerpt(k)} has a line break in its value`);
  return text;
}

function encode(header: Record<string, string>): MsgHdrs | undefined {
  let s = '';
  for (const k in header) {
    const v = header[k];
    if (v !== undefined) s += `${k}: ${checkedValue(k, v)}\r\n`;
  }
  if (s === '') return undefined;
  return new HeaderBlock(Buffer.from(`NATS/1.0\r\n${s}\r\n`, 'utf8')) as unknown as MsgHdrs;
}

/** Bytes of `NATS/1.0\r\n` and of the blank line that ends a header block. */
const BLOCK_OVERHEAD = 12;

/**
 * Applies {@link encodeHeaders}' rules without encoding: throws the same 400 for a name that is not printable
 * ASCII without ':' and space, or a value with CR or LF. Returns the size in bytes of the block NATS would
 * carry (0 when it has no entries), which counts toward max_payload. For transports that do not encode
 * (memory), so that they refuse what NATS refuses.
 */
export function checkHeaders(header: Record<string, string> | undefined): number {
  if (!header) return 0;
  let size = 0;
  for (const k in header) {
    const v = header[k];
    if (v !== undefined) size += k.length + 4 + Buffer.byteLength(checkedValue(k, v), 'utf8');
  }
  return size === 0 ? 0 : size + BLOCK_OVERHEAD;
}

/**
 * The header block of a received nats.js message as text, read in place from its buffer (no `MsgHdrs`, no
 * subarray): '' when it has none, undefined when `msg` is not nats.js's MsgImpl (then the public API is used).
 */
function rawHeaderText(msg: Msg): string | undefined {
  const impl = msg as unknown as { _msg?: { hdr?: number }; _rdata?: Uint8Array };
  const hdr = impl._msg?.hdr;
  if (hdr === undefined || !impl._rdata) return undefined;
  return hdr > 0 ? (Buffer.prototype.utf8Slice.call(impl._rdata, 0, hdr) as string) : '';
}

/** Bytes a received message holds: header block and payload (the payload alone where nats.js hides the raw data). */
export function messageBytes(msg: Msg): number {
  return (msg as unknown as { _rdata?: Uint8Array })._rdata?.length ?? msg.data.length;
}

/** Longest header block remembered in a memo (256 entries of it at most): a large block is parsed each time. */
const MAX_MEMO_BLOCK = 4_096;

/**
 * Decodes a received message's headers (first value of a repeated key). With `memo`, identical header
 * blocks (the events of one topic carry the same ones) are parsed once and shared, frozen.
 */
export function readHeaders(msg: Msg, memo?: Map<string, ReadHeaders>): ReadHeaders {
  const text = rawHeaderText(msg);
  if (text === '') return NONE;
  if (text === undefined) return viaPublicApi(msg);
  if (!memo || text.length > MAX_MEMO_BLOCK) return parseHeaderBlock(text);
  let r = memo.get(text);
  if (!r) {
    if (memo.size >= 256) memo.clear();
    r = parseHeaderBlock(text);
    Object.freeze(r.header);
    memo.set(text, r);
  }
  return r;
}

/** What a message without a header block reads as: shared and frozen, so a plain message allocates nothing here. */
const NONE: ReadHeaders = Object.freeze({ header: Object.freeze({}) as Record<string, string>, status: 0, present: false });

/** Header names micro-nats reads on every message, by length: matched in place instead of sliced out. */
const FRAME_KEYS = new Map<number, string[]>();
for (const k of FRAME_HEADERS) {
  FRAME_KEYS.set(k.length, [...(FRAME_KEYS.get(k.length) ?? []), k]);
}

/** The name at text[at, colon): a shared constant for frame headers (no allocation), else a slice. */
function keyAt(text: string, at: number, colon: number): string {
  const known = FRAME_KEYS.get(colon - at);
  if (known) for (const k of known) if (text.startsWith(k, at)) return k;
  return text.slice(at, colon);
}

/**
 * Parses a header block (`NATS/1.0[ status]\r\nKey: value\r\n…`), first value of a repeated key.
 * Linear in the block's size whatever its shape: each search resumes where the last one stopped (a colon
 * found past the line end is kept for the lines up to it), and parsing stops one entry past
 * {@link MAX_HEADERS}, which the request head then refuses 400.
 */
export function parseHeaderBlock(text: string): ReadHeaders {
  const eol = text.indexOf('\r\n');
  // "NATS/1.0" alone, or followed by a status: "NATS/1.0 503"
  const status = eol > 9 ? parseInt(text.slice(9, Math.min(eol, 13)), 10) || 0 : 0;
  const header: Record<string, string> = {};
  let at = eol < 0 ? text.length : eol + 2;
  const len = text.length;
  let colon = -1;
  let entries = 0;
  while (at < len && entries <= MAX_HEADERS) {
    let end = text.indexOf('\r\n', at);
    if (end < 0) end = len;
    if (colon < at) colon = text.indexOf(':', at);
    if (colon < 0) break;  // no colon in the rest: no more entries
    if (colon > at && colon < end) {
      const k = keyAt(text, at, colon);
      if (header[k] === undefined) {
        const v0 = text.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1;
        header[k] = text.slice(v0, end);
        entries++;
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

/**
 * go-micro's mucp wire protocol, in one place: the frame header names, the `Timeout` header (remaining
 * budget in nanoseconds), the request head a server reads, and the frames a server writes (reply, error,
 * end of stream). The go-micro transport envelope (for peers without NATS headers) is in `./envelope`.
 * Client, server and transport read and write mucp only through this module.
 */
import { badRequest, excerpt, type MicroError } from '../errors';
import type { Message } from './message';

export { decodeBrokerEnvelope, decodeEnvelope, encodeEnvelope, looksLikeEnvelope } from './envelope';

/** Header names of the mucp frame. */
export const Header = {
  /** The request id; replies carry it back. */
  Id: 'Micro-Id',
  /** The spelling some go-micro versions read and write. */
  IdUpper: 'Micro-ID',
  /** The service called. */
  Service: 'Micro-Service',
  /** The endpoint called (`Greeter.Hello`). */
  Endpoint: 'Micro-Endpoint',
  /** The endpoint, as go-micro's envelope framing names it. */
  Method: 'Micro-Method',
  /** A reply's error (go-micro's JSON), or {@link EOS}. */
  Error: 'Micro-Error',
  /** Marks a streaming request; the value is the stream id. */
  Stream: 'Micro-Stream',
  /** The topic of an event. */
  Topic: 'Micro-Topic',
  /** The codec of the body. */
  ContentType: 'Content-Type',
  /** The codec the caller wants back (envelope framing). */
  Accept: 'Accept',
  /** The remaining budget in nanoseconds; absent or 0 means none. */
  Timeout: 'Timeout',
  /** `close` on an empty frame: the pseudo-socket is closed. */
  Connection: 'Connection',
  /**
   * On the first frame of a dialled micro-nats socket (any value): the client keeps the socket for more
   * exchanges, so the server keeps state for it. Without it (and without {@link Header.Stream}) a request
   * is one-shot: answered and forgotten, as a plain NATS request or a go-micro call is.
   */
  Socket: 'Micro-Socket',
  /**
   * The compact request head between micro-nats peers: `<Timeout ns> <id> <endpoint>` in one header instead
   * of `Micro-Service`, `Micro-Endpoint`, `Micro-Id`, `Timeout` and a JSON `Content-Type` (fewer bytes to
   * write and parse per call). Sent only to nodes advertising {@link COMPACT}.
   */
  Call: 'Micro-Call',
} as const;

/**
 * Node metadata of a server that reads {@link Header.Call} and answers such requests with a header-less
 * reply on success: `framing: compact`. Clients use the compact form only toward such nodes, so older
 * micro-nats servers keep getting the classic headers.
 */
export const COMPACT = { key: 'framing', value: 'compact' } as const;

/**
 * The content type of a compact request or an event that carries no `Content-Type` (whatever the
 * receiver's default codec): senders write `Content-Type` only for other content types.
 */
export const IMPLIED_CONTENT_TYPE = 'application/json';

/** Endpoint metadata key (value `"true"`) of an endpoint that is safe to re-send after a timeout. */
export const IDEMPOTENT = 'idempotent';

/** Every frame header name, in its canonical spelling. */
export const FRAME_HEADERS: readonly string[] = Object.freeze(Object.values(Header));

/** Headers of the empty frame that closes a pseudo-socket (either side). Frozen: encoded once. */
export const CLOSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({ [Header.Connection]: 'close' });

/** True for the headers of a close frame (its body is empty). */
export function isClose(header: Record<string, string>): boolean {
  return header[Header.Connection] === 'close';
}

/** Headers a dialled micro-nats socket adds to its first frame. Frozen. */
export const SOCKET_HEADERS: Readonly<Record<string, string>> = Object.freeze({ [Header.Socket]: '1' });

/** True when a request's peer needs server-side socket state: a stream, or a socket the client keeps. */
export function keepsSocket(header: Record<string, string>): boolean {
  return header[Header.Socket] !== undefined || header[Header.Stream] !== undefined;
}

/** The `Micro-Error` value of the frame that ends a stream. */
export const EOS = 'EOS';
/** Requests with more headers than this are refused with 400. */
export const MAX_HEADERS = 256;
/** The largest `Timeout` header accepted: 24 hours in nanoseconds. */
export const MAX_TIMEOUT_NS = 24 * 3600 * 1e9;

const EMPTY = new Uint8Array(0);
/** The headers of a header-less frame: shared and frozen (its NATS encoding is no header block at all). */
const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** The `Timeout` header value for `ms` milliseconds left: whole nanoseconds, at least 1 (0 would mean none). */
export function writeTimeout(ms: number): string {
  return String(Math.max(1, Math.round(ms * 1e6)));
}

/** The deadline (epoch ms) a `Timeout` header sets, `Infinity` when absent or 0. Throws 400 when malformed. */
export function readTimeout(service: string, raw: string | undefined, now: number): number {
  if (raw === undefined || raw === '' || raw === '0') return Infinity;
  const ns = wholeNumber(raw);
  if (Number.isNaN(ns)) throw badRequest(service, `Timeout header "${excerpt(raw)}" is not a whole number of nanoseconds`);
  if (ns < 0) throw badRequest(service, `Timeout header ${excerpt(raw)} is negative`);
  if (ns > MAX_TIMEOUT_NS) throw badRequest(service, `Timeout header ${excerpt(raw)} exceeds the maximum of ${MAX_TIMEOUT_NS} ns (24 h)`);
  return now + ns / 1e6;
}

/** `^-?\d+$` read as a number in one pass, without a regular expression (read on every request); NaN otherwise. */
function wholeNumber(s: string): number {
  const negative = s.charCodeAt(0) === 45; /* - */
  let i = negative ? 1 : 0;
  if (i === s.length) return NaN;
  let n = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    n = n * 10 + c;
  }
  return negative ? -n : n;
}

/** The request id of a frame, its header name in any letter case; `''` when none. */
export function requestId(header: Record<string, string>): string {
  const id = header[Header.Id] ?? header[Header.IdUpper];
  if (id !== undefined) return id;
  // Rare spellings (`micro-id`, `MICRO-ID`) cost a scan only when the two usual ones are absent.
  for (const k in header) if (k.length === 8 && k.toLowerCase() === 'micro-id') return header[k];
  return '';
}

/** What a server needs from a request's headers. */
export interface RequestHead {
  endpoint: string;
  id: string;
  deadline: number;
  /** The body's content type; undefined means the server's default codec (classic form without `Content-Type`). */
  contentType: string | undefined;
  /** The request came in the compact form: its successful reply needs no header block. */
  compact: boolean;
}

/** Classic head names a compact request leaves out (the rest, caller metadata, travels as is). */
const CLASSIC_ONLY = new Set<string>([Header.Service, Header.Endpoint, Header.ContentType, Header.Id, Header.Timeout, Header.Method, Header.Accept]);

/**
 * The compact form of a unary request's classic headers, toward a micro-nats node advertising {@link COMPACT}:
 * caller metadata as is, {@link Header.Call}, and `Content-Type` only when not JSON.
 */
export function compactRequestHeader(classic: Record<string, string>, id: string, timeoutMs: number, endpoint: string): Record<string, string> {
  const header: Record<string, string> = {};
  for (const k in classic) if (!CLASSIC_ONLY.has(k)) header[k] = classic[k];
  const contentType = classic[Header.ContentType];
  if (contentType !== undefined && contentType !== IMPLIED_CONTENT_TYPE) header[Header.ContentType] = contentType;
  header[Header.Call] = `${writeTimeout(timeoutMs)} ${id} ${endpoint}`;
  return header;
}

/** Reads and checks a request's frame headers, compact or classic; throws a 400 MicroError naming what is wrong. */
export function readRequestHead(service: string, header: Record<string, string>, now: number): RequestHead {
  let n = 0;
  for (const _ in header) if (++n > MAX_HEADERS) throw badRequest(service, `too many headers (more than ${MAX_HEADERS})`);
  const call = header[Header.Call];
  if (call !== undefined) return readCompact(service, call, header[Header.ContentType], now);
  const endpoint = header[Header.Endpoint] ?? header[Header.Method];
  if (!endpoint) throw badRequest(service, `missing ${Header.Endpoint} header`);
  return { endpoint, id: requestId(header), deadline: readTimeout(service, header[Header.Timeout], now), contentType: header[Header.ContentType], compact: false };
}

/** `<Timeout ns> <id> <endpoint>`: the endpoint is the rest of the value. */
function readCompact(service: string, call: string, contentType: string | undefined, now: number): RequestHead {
  const a = call.indexOf(' ');
  const b = a < 0 ? -1 : call.indexOf(' ', a + 1);
  if (b < 0 || b + 1 === call.length) throw badRequest(service, `${Header.Call} header "${excerpt(call)}" is not "<timeout ns> <id> <endpoint>"`);
  return {
    endpoint: call.slice(b + 1),
    id: call.slice(a + 1, b),
    deadline: readTimeout(service, call.slice(0, a), now),
    contentType: contentType ?? IMPLIED_CONTENT_TYPE,
    compact: true,
  };
}

/**
 * A successful reply: in the request's content type, which the caller knows. To a compact request it has no
 * headers at all (a plain NATS message): the reply subject names a socket that carries one request at a time,
 * so the caller knows which request it answers. To a classic request only the id travels.
 */
export function replyFrame(head: Pick<RequestHead, 'id' | 'compact'>, body: Uint8Array): Message {
  return { header: head.compact ? NO_HEADERS : { [Header.Id]: head.id }, body };
}

/** One item of a stream. */
export function streamFrame(id: string, contentType: string, body: Uint8Array): Message {
  return { header: { [Header.Id]: id, [Header.ContentType]: contentType }, body };
}

/** An error reply: go-micro's JSON in `Micro-Error`, empty body. `id` is omitted when unknown (a transport refusal). */
export function errorFrame(id: string | undefined, err: MicroError): Message {
  const header: Record<string, string> = id === undefined ? {} : { [Header.Id]: id };
  header[Header.Error] = JSON.stringify(err);
  return { header, body: EMPTY };
}

/** The frame that ends a stream. */
export function endOfStreamFrame(id: string): Message {
  return { header: { [Header.Id]: id, [Header.Error]: EOS }, body: EMPTY };
}

/** True for the frame that ends a stream. */
export function isEndOfStream(m: Message): boolean {
  return m.header[Header.Error] === EOS;
}

/**
 * An event's headers: the caller's metadata, `Timeout` when a deadline is inherited (`timeoutMs` finite),
 * `Content-Type` when not JSON. A JSON event with neither and no `metadata` has none at all (shared and
 * frozen): a plain NATS message on the topic (the subject is the topic), which costs what a raw publish
 * costs. Given `metadata` (even empty), the record is a new one the caller may add to.
 */
export function eventHeader(metadata: Record<string, string> | undefined, contentType: string, timeoutMs: number): Record<string, string> {
  if (!metadata && contentType === IMPLIED_CONTENT_TYPE && !Number.isFinite(timeoutMs)) return NO_HEADERS;
  const header: Record<string, string> = metadata ? { ...metadata } : {};
  if (contentType !== IMPLIED_CONTENT_TYPE) header[Header.ContentType] = contentType;
  if (Number.isFinite(timeoutMs)) header[Header.Timeout] = writeTimeout(timeoutMs);
  return header;
}

/** The content type of a received event: its `Content-Type`, else JSON (a header-less event is JSON). */
export function eventContentType(header: Record<string, string>): string {
  return header[Header.ContentType] ?? IMPLIED_CONTENT_TYPE;
}

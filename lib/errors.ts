/**
 * The one error type that crosses the wire. Its JSON shape is go-micro's
 * `{ id, code, detail, status }`, so Go services parse ours and we parse theirs.
 */

/** Status codes used across micro-nats, keyed by name. Tests assert on these. */
export const Codes = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  Timeout: 408,
  Conflict: 409,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  Internal: 500,
  Unavailable: 503,
} as const;

export type Code = (typeof Codes)[keyof typeof Codes];

const STATUS: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 408: 'Request Timeout',
  409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

/** One failed validation of a DTO property, as class-validator reports it. */
export interface FieldError { property: string; constraints: Record<string, string> }

/** The JSON form of a {@link MicroError}. */
export interface MicroErrorJSON { id: string; code: number; detail: string; status: string; errors?: FieldError[] }

export class MicroError extends Error {
  /** Who raised it: a service name or a component such as `micro.transport`. */
  readonly id: string;
  /** An HTTP-like status code, one of {@link Codes} for errors micro-nats raises. */
  readonly code: number;
  /** A human-readable explanation. */
  readonly detail: string;
  /** The standard text for `code` ("Not Found"). */
  readonly status: string;
  /** Field errors of a failed DTO validation (code 400). */
  readonly errors?: FieldError[];

  constructor(id: string, code: number, detail: string, errors?: FieldError[]) {
    super(detail);
    this.name = 'MicroError';
    this.id = id;
    this.code = code;
    this.detail = detail;
    this.status = STATUS[code] ?? 'Error';
    if (errors) this.errors = errors;
  }

  toJSON(): MicroErrorJSON {
    const json: MicroErrorJSON = { id: this.id, code: this.code, detail: this.detail, status: this.status };
    if (this.errors) json.errors = this.errors;
    return json;
  }

  /** Parses a `Micro-Error` header. A value that is not go-micro's JSON becomes a 500 carrying the text. */
  static parse(text: string, id = 'micro.client'): MicroError {
    try {
      const j = JSON.parse(text) as Partial<MicroErrorJSON>;
      if (j && typeof j === 'object' && typeof j.code === 'number') {
        return new MicroError(String(j.id ?? id), j.code, String(j.detail ?? ''), Array.isArray(j.errors) ? j.errors : undefined);
      }
    } catch { /* not JSON: fall through */ }
    return new MicroError(id, Codes.Internal, text);
  }

  /** Wraps anything thrown into a MicroError; a non-MicroError becomes 500 without its stack. */
  static from(err: unknown, id = 'micro.server'): MicroError {
    if (err instanceof MicroError) return err;
    return new MicroError(id, Codes.Internal, 'internal server error');
  }
}

/** The ids of errors raised by micro-nats' own machinery (connection, transport, registry, broker, client). */
const INFRASTRUCTURE_IDS: ReadonlySet<string> = new Set(['micro.nats', 'micro.transport', 'micro.registry', 'micro.broker',
  'micro.selector', 'micro.client']);

/**
 * Whether `err` was raised by micro-nats' own machinery rather than by a service: such errors may name
 * servers and node addresses, so a server answers its caller with a generic one (see `invoke.errorOf`).
 */
export function isInfrastructureError(err: MicroError): boolean {
  return INFRASTRUCTURE_IDS.has(err.id);
}

export const badRequest = (id: string, detail: string, errors?: FieldError[]) => new MicroError(id, Codes.BadRequest, detail, errors);
export const unauthorized = (id: string, detail: string) => new MicroError(id, Codes.Unauthorized, detail);
export const forbidden = (id: string, detail: string) => new MicroError(id, Codes.Forbidden, detail);
export const notFound = (id: string, detail: string) => new MicroError(id, Codes.NotFound, detail);
export const timeout = (id: string, detail: string) => new MicroError(id, Codes.Timeout, detail);
export const conflict = (id: string, detail: string) => new MicroError(id, Codes.Conflict, detail);
export const payloadTooLarge = (id: string, detail: string) => new MicroError(id, Codes.PayloadTooLarge, detail);
export const internal = (id: string, detail: string) => new MicroError(id, Codes.Internal, detail);
export const unavailable = (id: string, detail: string) => new MicroError(id, Codes.Unavailable, detail);

/**
 * The `id` of a 503 by which a server says it refused a request WITHOUT running its handler (it is stopping,
 * or over its in-flight limit): the caller may safely send the same request to another node.
 */
export const REFUSED_ID = 'micro.server.refused';
/** A refusal that provably did not run the handler (503, id {@link REFUSED_ID}). */
export const refused = (detail: string) => new MicroError(REFUSED_ID, Codes.Unavailable, detail);

/** Longest excerpt of remote input that an error message echoes. */
export const MAX_ECHO = 64;

/**
 * Remote input as an error message may quote it: at most `max` characters, with the full length said when
 * cut, so that an error never echoes back (or logs) a megabyte a caller sent.
 */
export function excerpt(text: string, max = MAX_ECHO): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`;
}

/**
 * A bad option value (400), raised when a component is built or configured, never on the wire.
 * `option` names the option, variable or flag; the message says what was given and what is accepted.
 */
export class ConfigError extends MicroError {
  /** The option, `MICRO_*` variable or flag at fault (`client.timeout`, `--register_ttl`). */
  readonly option: string;

  constructor(option: string, detail: string, id = 'micro.config') {
    super(id, Codes.BadRequest, detail);
    this.name = 'ConfigError';
    this.option = option;
  }
}

/**
 * Nothing listens at the address called (NATS answered "no responders"), 503: the node is gone, so the
 * client tries another node at once and the selector evicts it. Classified by type, never by its text.
 */
export class NoRespondersError extends MicroError {
  constructor(id: string, detail: string) {
    super(id, Codes.Unavailable, detail);
    this.name = 'NoRespondersError';
  }
}

/**
 * The request was not handed to NATS because the connection is down (503): nothing was sent, so it is
 * re-sent once the connection is back, within the call's budget.
 */
export class NotSentError extends MicroError {
  constructor(id: string, detail: string) {
    super(id, Codes.Unavailable, detail);
    this.name = 'NotSentError';
  }
}

/**
 * The NATS connection dropped while a reply was awaited (503): the request may or may not have reached a
 * handler, so it is re-sent only for an idempotent call.
 */
export class ConnectionLostError extends MicroError {
  constructor(id: string, detail: string) {
    super(id, Codes.Unavailable, detail);
    this.name = 'ConnectionLostError';
  }
}

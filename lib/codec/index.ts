/**
 * Codecs turn request and response values into bodies, keyed by content type
 * (`application/json` by default, `application/msgpack`). A body is encoded once: no JSON inside JSON.
 */
import { MicroError, Codes } from '../errors';

/** Encodes values to bodies and back for one content type. */
export interface Codec {
  /** The content type this codec handles, e.g. `application/json`. */
  readonly contentType: string;
  /** Encodes a value. Throws a 500 MicroError when the value cannot be encoded. */
  encode(value: unknown): Uint8Array;
  /** Decodes a body; an empty body decodes to `undefined`. Throws a 400 MicroError on malformed input. */
  decode(body: Uint8Array): unknown;
}

/** The codecs a client or server knows, by content type. */
export class Codecs {
  private readonly byType = new Map<string, Codec>();

  /**
   * `defaultType` (default `application/json`) is used when a message has no `Content-Type`;
   * throws when no codec handles it. A later codec for the same content type replaces an earlier one.
   */
  constructor(codecs: Codec[], readonly defaultType = 'application/json') {
    for (const c of codecs) this.byType.set(c.contentType, c);
    if (!this.byType.has(defaultType)) throw new Error(`codecs: default content type ${defaultType} has no codec`);
  }

  /** The codec for a content type (parameters such as `; charset=utf-8` ignored), the default one when none; throws 415 when unknown. */
  get(contentType: string | undefined): Codec {
    if (!contentType) return this.byType.get(this.defaultType)!;
    const c = this.byType.get(contentType) ?? this.byType.get(contentType.split(';')[0].trim().toLowerCase());
    if (c) return c;
    throw new MicroError('micro.codec', Codes.UnsupportedMediaType,
      `unsupported content type "${contentType}" (supported: ${[...this.byType.keys()].join(', ')})`);
  }

  /** Content types known. */
  types(): string[] {
    return [...this.byType.keys()];
  }
}

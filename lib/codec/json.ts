import { badRequest, internal } from '../errors';
import type { Codec } from './index';

const EMPTY = new Uint8Array(0);

/** `application/json` (default). Bodies are UTF-8 JSON; `undefined` is an empty body. */
export class JsonCodec implements Codec {
  readonly contentType = 'application/json';

  encode(value: unknown): Uint8Array {
    if (value === undefined) return EMPTY;
    if (value instanceof Uint8Array) return value;
    let text: string;
    try { text = JSON.stringify(value); } catch (err) {
      throw internal('micro.codec', `cannot encode response as JSON: ${(err as Error).message}`);
    }
    return Buffer.from(text, 'utf8');
  }

  decode(body: Uint8Array): unknown {
    if (body.length === 0) return undefined;
    try {
      return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
    } catch {
      throw badRequest('micro.codec', `malformed application/json body (${body.length} bytes)`);
    }
  }
}

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
      throw internal('micro.codec', `cannot encode the value as JSON: ${(err as Error).message}`);
    }
    return Buffer.from(text, 'utf8');
  }

  decode(body: Uint8Array): unknown {
    if (body.length === 0) return undefined;
    try {
      // utf8Slice reads the bytes in place: no Buffer object per body.
      return JSON.parse(Buffer.prototype.utf8Slice.call(body, 0, body.length) as string);
    } catch {
      throw badRequest('micro.codec', `malformed application/json body (${body.length} bytes)`);
    }
  }
}

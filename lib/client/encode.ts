import type { Codec } from '../codec';
import { badRequest } from '../errors';

/** Encodes a request or event; a value the codec cannot encode is the caller's error (400), named. */
export function encodeOrRefuse(codec: Codec, value: unknown, what: string): Uint8Array {
  try {
    return codec.encode(value);
  } catch (err) {
    throw badRequest('micro.client', `cannot encode ${what} as ${codec.contentType}: ${(err as Error).message}`);
  }
}

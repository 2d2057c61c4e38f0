import { Packr } from 'msgpackr';
import { badRequest, internal } from '../errors';
import type { Codec } from './index';

const EMPTY = new Uint8Array(0);

/** `application/msgpack` through msgpackr (plain maps, no records extension, so other msgpack peers can read it). */
export class MsgpackCodec implements Codec {
  readonly contentType = 'application/msgpack';
  private readonly packr = new Packr({ useRecords: false });

  encode(value: unknown): Uint8Array {
    if (value === undefined) return EMPTY;
    try { return this.packr.pack(value); } catch (err) {
      throw internal('micro.codec', `cannot encode response as msgpack: ${(err as Error).message}`);
    }
  }

  decode(body: Uint8Array): unknown {
    if (body.length === 0) return undefined;
    try { return this.packr.unpack(body); } catch {
      throw badRequest('micro.codec', `malformed application/msgpack body (${body.length} bytes)`);
    }
  }
}

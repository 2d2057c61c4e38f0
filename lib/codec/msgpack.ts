import type { Packr } from 'msgpackr';
import { badRequest, internal } from '../errors';
import type { Codec } from './index';

const EMPTY = new Uint8Array(0);

/**
 * `application/msgpack` through msgpackr (plain maps, no records extension, so other msgpack peers can read
 * it). msgpackr is loaded on first use: apps that never speak msgpack don't carry it in memory.
 */
export class MsgpackCodec implements Codec {
  readonly contentType = 'application/msgpack';
  private packr?: Packr;

  encode(value: unknown): Uint8Array {
    if (value === undefined) return EMPTY;
    try { return this.codec().pack(value); } catch (err) {
      throw internal('micro.codec', `cannot encode the value as msgpack: ${(err as Error).message}`);
    }
  }

  decode(body: Uint8Array): unknown {
    if (body.length === 0) return undefined;
    try { return this.codec().unpack(body); } catch {
      throw badRequest('micro.codec', `malformed application/msgpack body (${body.length} bytes)`);
    }
  }

  private codec(): Packr {
    if (!this.packr) {
      const { Packr: P } = require('msgpackr') as typeof import('msgpackr');
      this.packr = new P({ useRecords: false });
    }
    return this.packr;
  }
}

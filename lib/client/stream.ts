import type { Codecs } from '../codec';
import { MicroError } from '../errors';
import { Header, isEndOfStream } from '../protocol/mucp';
import type { Socket } from '../transport';

/** An open stream: its socket, the request id, and the codecs to decode frames. */
export interface OpenStream { sock: Socket; id: string; codecs: Codecs }

/**
 * The client side of a streaming call, opened on first iteration. Frames arrive in order; a frame with
 * `Micro-Error: EOS` ends it; any other `Micro-Error` is thrown. Leaving the loop early closes the socket,
 * which tells the server to stop the generator.
 */
export function callStream<T>(open: () => Promise<OpenStream>, itemTimeout: number): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      let s: OpenStream | undefined;
      let done = false;
      const finish = async (): Promise<IteratorResult<T>> => {
        done = true;
        await s?.sock.close();
        return { done: true, value: undefined };
      };
      return {
        async next(): Promise<IteratorResult<T>> {
          if (done) return { done: true, value: undefined };
          try {
            s ??= await open();
            const m = await s.sock.recv({ timeout: itemTimeout });
            if (isEndOfStream(m)) return await finish();
            const err = m.header[Header.Error];
            if (err) throw MicroError.parse(err, 'micro.client');
            return { done: false, value: s.codecs.get(m.header[Header.ContentType]).decode(m.body) as T };
          } catch (err) {
            await finish();
            throw err;
          }
        },
        return: finish,
      };
    },
  };
}

import type { Codecs } from '../codec';
import { MicroError } from '../errors';
import { Header, isEndOfStream } from '../protocol/mucp';
import type { Message, Socket } from '../transport';

/**
 * An open stream: its socket, the request id, the codecs to decode frames, and for a go-micro server the
 * frame that closes the stream on its side (go-micro's client sends it from `Close`).
 */
export interface OpenStream { sock: Socket; id: string; codecs: Codecs; closeFrame?: Message }

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
        if (s?.closeFrame) await s.sock.send(s.closeFrame).catch(() => undefined);
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

/** A stream through client middleware: `run` runs the chain around `terminal`; `open` sends the request. */
export interface ChainedStream { run(terminal: () => Promise<unknown>): Promise<unknown>; open(): Promise<OpenStream> }

/**
 * A stream whose middleware chain runs on first iteration and stays open for the stream's life: `next()`
 * in the middleware opens the stream and settles when it ends (its last item, an error, or the loop left
 * early), so middleware sees the whole stream as one invocation. A middleware that answers without
 * calling `next()` makes an empty stream; one that throws fails the first iteration.
 */
export function chainedStream<T>(prepare: () => ChainedStream, itemTimeout: number): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      let inner: AsyncIterator<T> | undefined;
      let started: Promise<AsyncIterator<T> | undefined> | undefined;
      let settle: (err?: unknown) => void = () => {};
      const start = () => new Promise<AsyncIterator<T> | undefined>((opened, failed) => {
        const s = prepare();
        const terminal = () => new Promise<unknown>((ended, broke) => {
          s.open().then((o) => {
            let settled = false;
            settle = (err) => { if (settled) return; settled = true; if (err === undefined) ended(undefined); else broke(err); };
            opened(callStream<T>(() => Promise.resolve(o), itemTimeout)[Symbol.asyncIterator]());
          }, broke);
        });
        s.run(terminal).then(() => opened(undefined), failed);
      });
      return {
        async next(): Promise<IteratorResult<T>> {
          inner ??= await (started ??= start());
          if (!inner) return { done: true, value: undefined };
          try {
            const r = await inner.next();
            if (r.done) settle();
            return r;
          } catch (err) {
            settle(err);
            throw err;
          }
        },
        async return(): Promise<IteratorResult<T>> {
          await inner?.return?.();
          settle();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

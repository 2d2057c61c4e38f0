import 'reflect-metadata';
import { expect } from 'chai';
import { bootstrap, Handler, Service, type Jsonify, type ServiceClient } from '../index';

/** Compile-time assertions: a wrong type is a build error, so the test suite does not even start. */
type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends (<X>() => X extends B ? 1 : 2) ? true : false;
function assertType<T extends true>(): T | void { /* checked by the compiler */ }


@Service('typed')
class Typed {
  onStart() { /* lifecycle hook */ }
  // A plain object: JSON's rules. (A class instance goes through class-transformer's instanceToPlain instead.)
  @Handler({ request: Object }) async item(_: { id: string }) { return { id: '', at: new Date(0), tags: new Set(['a']), hidden: () => 1 }; }
  @Handler({ request: Object }) async *items(_: { n: number }) { yield { when: new Date(1), count: 1n === 1n ? 1 : 2 }; }
  helper() { return 1; }
}

describe('typed clients', () => {
  it('type results as JSON delivers them: Date as string, Set/Map as {}, functions dropped; no lifecycle hooks', async () => {
    assertType<Equal<Jsonify<Date>, string>>();
    assertType<Equal<Jsonify<{ a: Map<string, number>; b?: number; f: () => void }>, { a: Record<string, never>; b?: number }>>();
    assertType<Equal<Jsonify<(Date | undefined)[]>, (string | null)[]>>();
    assertType<Equal<Jsonify<unknown>, unknown>>();
    type P = ServiceClient<Typed>;
    assertType<Equal<keyof P, 'item' | 'items' | 'helper'>>();
    assertType<Equal<Awaited<ReturnType<P['item']>>, { id: string; at: string; tags: Record<string, never> }>>();
    assertType<Equal<ReturnType<P['items']>, AsyncIterable<{ when: string; count: number }>>>();

    const app = await bootstrap({ services: [Typed], transport: 'memory', broker: 'memory', registry: 'memory', argv: [], env: {}, logLevel: 'silent' });
    try {
      const proxy = app.client.proxy(Typed);
      expect(await proxy.item({ id: 'x' })).to.deep.equal({ id: '', at: '1970-01-01T00:00:00.000Z', tags: {} });
      for await (const v of proxy.items({ n: 1 })) expect(v).to.deep.equal({ when: '1970-01-01T00:00:00.001Z', count: 1 });
      // Not a @Handler: refused before anything is sent.
      expect(() => proxy.helper()).to.throw('client.proxy(Typed): helper is not a @Handler of Typed');
    } finally {
      await app.stop();
    }
  });
});

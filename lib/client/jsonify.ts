/**
 * What a value becomes after a JSON round trip, as a type: a result typed `Date` arrives as a string,
 * `Map`/`Set` as `{}`, functions and symbols vanish. Typed clients return `Jsonify<R>` so their types say
 * what a caller really gets. Byte arrays are left as they are: the codec decides what they become.
 */
export type Jsonify<T> =
  0 extends 1 & T ? any // `any` stays `any`
  : unknown extends T ? unknown
  : T extends string | number | boolean | null | undefined ? T
  : T extends bigint | symbol | ((...args: any[]) => any) ? never
  : T extends Uint8Array ? T
  : T extends { toJSON(): infer J } ? Jsonify<J>
  : T extends ReadonlyMap<any, any> | ReadonlySet<any> | WeakMap<any, any> | WeakSet<any> ? Record<string, never>
  : T extends readonly (infer E)[] ? (E extends undefined | symbol | ((...args: any[]) => any) ? null : Jsonify<E>)[]
  : { [K in keyof T as K extends symbol ? never : T[K] extends symbol | ((...args: any[]) => any) ? never : K]: Jsonify<T[K]> };

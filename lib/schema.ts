/**
 * Registry schemas: the go-micro `Value` tree that describes a DTO class in a service's endpoints.
 * Changes when what the registry shows of a request or response changes; what the decorators record
 * lives in `metadata.ts`, which is also the only `Reflect` caller (hence {@link designTypeOf}).
 */
import { designTypeOf, isUserClass } from './metadata';
import type { Value } from './registry';

/** The abstract base of all typed arrays; `metadata.ts` keeps its own copy to tell DTOs from built-ins. */
const TYPED_ARRAY: Function = Object.getPrototypeOf(Uint8Array);

/** Which side of a call a schema describes: class-transformer exclusions can apply to one side only. */
export interface DescribeOptions { direction?: 'request' | 'response' }

/** The slice of class-transformer's (non-exported) metadata storage that schemas need. */
interface TransformerStorage {
  getExposedMetadatas(t: Function): Array<{ propertyName?: string; options?: { name?: string } }>;
  getExcludedMetadatas(t: Function): Array<{ propertyName?: string; options?: { toClassOnly?: boolean; toPlainOnly?: boolean } }>;
  getStrategy(t: Function): 'excludeAll' | 'exposeAll' | 'none';
  findTypeMetadata(t: Function, prop: string): { typeFunction?: () => Function } | undefined;
  findExposeMetadata(t: Function, prop: string): { options?: { name?: string } } | undefined;
}

/** go-micro stops at depth 3 too; it also keeps self-referencing DTOs finite. */
const MAX_DEPTH = 3;

function transformerStorage(): TransformerStorage | undefined {
  try {
    // Not part of class-transformer's public API, but the only way to see @Expose/@Exclude/@Type.
    return (require('class-transformer/cjs/storage') as { defaultMetadataStorage: TransformerStorage }).defaultMetadataStorage;
  } catch {
    return undefined;
  }
}

function scalarName(t: Function | undefined): string {
  if (t === String) return 'string';
  if (t === Number) return 'number';
  if (t === Boolean) return 'boolean';
  if (t === BigInt) return 'bigint';
  if (t === Date) return 'Date';
  if (t === Array || t === Set) return 'array';
  if (t === TYPED_ARRAY || (typeof t === 'function' && t.prototype instanceof TYPED_ARRAY)) return 'bytes';
  return 'object';
}

function propertyNames(t: Function, ct: TransformerStorage | undefined, dir: DescribeOptions['direction']): string[] {
  const names = new Set<string>();
  // Loaded here, not at the top: a service without DTOs never pays for class-validator.
  const { getMetadataStorage } = require('class-validator') as typeof import('class-validator');
  for (const m of getMetadataStorage().getTargetValidationMetadatas(t, '', false, false)) if (m.propertyName) names.add(m.propertyName);
  if (!ct) return [...names];
  const exposed = ct.getExposedMetadatas(t).map((m) => m.propertyName).filter((p): p is string => !!p);
  exposed.forEach((p) => names.add(p));
  const excluded = new Set(ct.getExcludedMetadatas(t).filter(({ options: o }) => !o
    || (o.toClassOnly === undefined && o.toPlainOnly === undefined) || (o.toClassOnly && o.toPlainOnly)
    || (o.toClassOnly && dir === 'request') || (o.toPlainOnly && dir === 'response')).map((m) => m.propertyName));
  const all = ct.getStrategy(t) === 'excludeAll' ? [...names].filter((p) => exposed.includes(p)) : [...names];
  return all.filter((p) => !excluded.has(p));
}

function describe(t: Function | undefined, name: string, depth: number, path: Function[], opts: DescribeOptions): Value {
  if (!isUserClass(t)) return { name, type: scalarName(t) };
  const value: Value = { name, type: t.name };
  if (depth >= MAX_DEPTH || path.includes(t)) return value;
  const ct = transformerStorage();
  const values = propertyNames(t, ct, opts.direction).map((prop) => {
    const wire = ct?.findExposeMetadata(t, prop)?.options?.name ?? prop;
    const design = designTypeOf(t, prop);
    let hinted: Function | undefined;
    try { hinted = ct?.findTypeMetadata(t, prop)?.typeFunction?.(); } catch { /* a discriminated @Type needs a value */ }
    if (design === Array) {
      if (!hinted) return { name: wire, type: 'array' };
      const elem = describe(hinted, wire, depth + 1, [...path, t], opts);
      return { ...elem, type: `[]${elem.type}` };
    }
    return describe(hinted ?? design, wire, depth + 1, [...path, t], opts);
  });
  if (values.length > 0) value.values = values;
  return value;
}

/**
 * A registry `Value` for a DTO class, as go-micro builds one from a Go struct: `{ name, type }` of the
 * class with one entry per property in `values`. Properties are those class-validator or
 * class-transformer (`@Expose`, `@Type`) know of, minus `@Exclude`d ones; types come from
 * `design:type` or `@Type`: `string`, `number`, `boolean`, `bigint`, `Date`, `bytes`, `object`,
 * `array` (element unknown), `[]Elem`, or a nested class's name with its own `values` (3 levels deep).
 */
export function describeType(cls: Function, options: DescribeOptions = {}): Value {
  return describe(cls, isUserClass(cls) ? cls.name : scalarName(cls), 0, [], options);
}

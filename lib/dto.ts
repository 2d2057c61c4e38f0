/**
 * DTOs: a handler's or subscriber's first parameter, when its design type is a class, is built with
 * class-transformer and checked with class-validator (`whitelist`: unknown properties stripped).
 */
import type { ValidationError } from 'class-validator';
import { badRequest, type FieldError } from './errors';

// Loaded on first use, not at import: services without DTOs or class results never load them.
let transformerModule: typeof import('class-transformer') | undefined;
const transformer = () => (transformerModule ??= require('class-transformer') as typeof import('class-transformer'));
const validator = () => require('class-validator') as typeof import('class-validator');

function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const property = prefix ? `${prefix}.${e.property}` : e.property;
    if (e.constraints) out.push({ property, constraints: { ...e.constraints } });
    if (e.children?.length) out.push(...flatten(e.children, property));
  }
  return out;
}

/** Object keys a DTO body may hold in all (nested objects and array items included); more is refused 400. */
export const MAX_DTO_KEYS = 10_000;
/** Nesting a DTO body may have; deeper is refused 400. */
export const MAX_DTO_DEPTH = 32;

/**
 * The keys of a body that the whitelist would keep: the properties validation decorators name (and the plain
 * names `@Expose({ name })` maps to them). Empty when the class has none (the whitelist then keeps nothing).
 */
function allowedKeys(cls: Function): readonly string[] {
  const { getMetadataStorage } = validator();
  const names = new Set(getMetadataStorage().getTargetValidationMetadatas(cls, '', false, false).map((m) => m.propertyName));
  const storage = (require('class-transformer/cjs/storage') as { defaultMetadataStorage: { getExposedMetadatas(t: Function): { propertyName?: string; options: { name?: string } }[] } }).defaultMetadataStorage;
  for (const e of storage.getExposedMetadatas(cls)) if (e.options.name && e.propertyName && names.has(e.propertyName)) names.add(e.options.name);
  return [...names];
}

/** The whitelisted keys of `value`, read by name: the work is the class's size, not the body's. */
function pick(value: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (Object.prototype.hasOwnProperty.call(value, k)) out[k] = value[k];
  return out;
}

/** Counts keys and items of `value` down to {@link MAX_DTO_DEPTH}, stopping as soon as `budget` is spent; returns what is left (< 0: too many). */
function spend(value: unknown, budget: number, depth: number): number {
  if (value === null || typeof value !== 'object') return budget;
  if (depth > MAX_DTO_DEPTH) return -1;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && budget >= 0; i++) budget = spend(value[i], budget - 1, depth + 1);
    return budget;
  }
  for (const k in value) {
    if (--budget < 0) return budget;
    budget = spend((value as Record<string, unknown>)[k], budget, depth + 1);
  }
  return budget;
}

/**
 * A decoder that turns a plain body into a validated instance of `cls`; rejects 400 with field errors. The
 * whitelist is applied before class-transformer sees the body, and what is left is refused 400 past
 * {@link MAX_DTO_KEYS} keys or {@link MAX_DTO_DEPTH} levels: decoding time is bounded, whatever was sent.
 */
export function dtoDecoder(service: string, what: string, cls: new (...args: any[]) => object): (value: unknown) => Promise<object> {
  const { plainToInstance } = transformer();
  const { validate } = validator();
  let keys: readonly string[] | undefined;
  return async (value) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw badRequest(service, `${what}: the body must be a JSON object shaped as ${cls.name}`);
    }
    const plain = pick(value as Record<string, unknown>, (keys ??= allowedKeys(cls)));
    if (spend(plain, MAX_DTO_KEYS, 0) < 0) {
      throw badRequest(service, `${what}: body too large for ${cls.name} (more than ${MAX_DTO_KEYS} keys or ${MAX_DTO_DEPTH} levels)`);
    }
    const instance = plainToInstance(cls, plain);
    const errors = await validate(instance, { whitelist: true, forbidUnknownValues: false });
    if (errors.length > 0) {
      const fields = flatten(errors);
      throw badRequest(service, `${what}: invalid ${cls.name}: ${fields.map((f) => f.property).join(', ')}`, fields);
    }
    return instance;
  };
}

/** Class instances go through `instanceToPlain` (so `@Exclude` hides fields); plain values pass untouched. */
export function toPlain(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) return value;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null ? value : transformer().instanceToPlain(value);
}

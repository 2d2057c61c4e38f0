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

/** A decoder that turns a plain body into a validated instance of `cls`; rejects 400 with field errors. */
export function dtoDecoder(service: string, what: string, cls: new (...args: any[]) => object): (value: unknown) => Promise<object> {
  const { plainToInstance } = transformer();
  const { validate } = validator();
  return async (value) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw badRequest(service, `${what}: the body must be a JSON object shaped as ${cls.name}`);
    }
    const instance = plainToInstance(cls, value);
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

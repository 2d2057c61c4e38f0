/**
 * The option checks every component shares. Each throws a {@link ConfigError} naming the option, what was
 * given and what is accepted, so a bad option reads the same wherever it is given.
 */
import { ConfigError } from '../errors';

/** `"text"` for strings, `an object` for objects, the value otherwise. */
export function describeValue(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' && v !== null ? 'an object' : String(v);
}

/** Throws unless `v` is undefined or a finite number of milliseconds >= `min`. `option` is the full label. */
export function checkMillis(option: string, v: unknown, min = 0, id?: string): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < min)) {
    throw new ConfigError(option, `${option}: expected a number of milliseconds >= ${min}, got ${String(v)}`, id);
  }
}

/** Throws unless `v` is undefined or a finite number >= `min` (a count or a bound, not a duration). */
export function checkNumber(option: string, v: unknown, min = 0, id?: string): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < min)) {
    throw new ConfigError(option, `${option}: expected a number >= ${min}, got ${String(v)}`, id);
  }
}

/** Throws unless `v` is undefined or a boolean. */
export function checkBoolean(option: string, v: unknown, id?: string): void {
  if (v !== undefined && typeof v !== 'boolean') throw new ConfigError(option, `${option}: expected a boolean, got ${String(v)}`, id);
}

/** Throws unless `v` is undefined or a function. */
export function checkFunction(option: string, v: unknown, id?: string): void {
  if (v !== undefined && typeof v !== 'function') throw new ConfigError(option, `${option}: expected a function, got ${typeof v}`, id);
}

/** Throws unless `v` is undefined or an integer >= `min`. */
export function checkInteger(option: string, v: unknown, min: number, id?: string): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < min)) {
    throw new ConfigError(option, `${option}: expected an integer >= ${min}, got ${JSON.stringify(v)}`, id);
  }
}

/** Throws unless `v` is undefined or one of `values`. */
export function checkOneOf(option: string, v: unknown, values: readonly string[], id?: string): void {
  if (v !== undefined && !values.includes(v as string)) {
    throw new ConfigError(option, `${option}: expected one of ${values.join(', ')}, got ${JSON.stringify(v)}`, id);
  }
}

/**
 * Throws unless `v` is a subject prefix whose first token starts with `_` (`_INBOX`, `_I_SVC`): services
 * answer only such reply subjects, so an answer cannot be steered onto a registry or event subject.
 */
export function checkInboxPrefix(option: string, v: unknown): void {
  if (typeof v !== 'string' || !/^_[^\s*>.]*(\.[^\s*>.]+)*$/.test(v)) {
    throw new ConfigError(option, `${option}: expected a subject prefix starting with "_" (e.g. _INBOX, _I_SVC), without spaces or wildcards, got ${describeValue(v)}`);
  }
}

/**
 * Argument checks shared by the decorators. They run at decoration time, so a misuse fails when the
 * class is defined and the message can name the class and the member.
 */

/** The class a member decorator is applied to (its prototype for instance members). */
export function ownerOf(target: object): Function {
  return typeof target === 'function' ? target : (target as { constructor: Function }).constructor;
}

/** `Class.member`, for messages. */
export function where(target: object, key: string | symbol): string {
  return `${ownerOf(target).name}.${String(key)}`;
}

/**
 * Ensures a member decorator sits on an instance method and returns the function. Statics are
 * refused because the framework calls methods on the injected instance.
 */
export function requireMethod(decorator: string, target: object, key: string | symbol, descriptor: PropertyDescriptor | undefined): Function {
  const at = `${decorator} on ${where(target, key)}`;
  if (typeof target === 'function') throw new Error(`${at}: ${String(key)} is static; only instance methods can be decorated`);
  if (!descriptor || typeof descriptor.value !== 'function') {
    const what = descriptor && (descriptor.get || descriptor.set) ? 'an accessor' : 'a property';
    throw new Error(`${at}: ${String(key)} is ${what}, not a method; ${decorator} only applies to methods`);
  }
  if (typeof key === 'symbol') throw new Error(`${at}: symbol-keyed methods cannot be decorated; use a string method name`);
  return descriptor.value as Function;
}

/** Checks a `Record<string, string>` option, naming the key whose value is not a string. */
export function checkStringRecord(at: string, option: string, value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${at}: ${option} must be an object of string values, got ${JSON.stringify(value)}`);
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new Error(`${at}: ${option}.${k} must be a string, got ${JSON.stringify(v)}`);
  }
  return value as Record<string, string>;
}

/** True for a non-empty string without whitespace. */
export function isToken(s: unknown): s is string {
  return typeof s === 'string' && s.length > 0 && !/\s/.test(s);
}

/**
 * Why a NATS subject is invalid, or undefined when it is valid: dot-separated non-empty tokens,
 * `*` only as a whole token, `>` only as the whole last token.
 */
export function subjectProblem(subject: string, wildcards: boolean): string | undefined {
  if (subject.length === 0) return 'it is empty';
  if (/\s/.test(subject)) return 'it contains whitespace';
  const tokens = subject.split('.');
  if (tokens.some((t) => t.length === 0)) return 'it has an empty token (leading, trailing or double ".")';
  for (const [i, t] of tokens.entries()) {
    if (!/[*>]/.test(t)) continue;
    if (!wildcards) return 'wildcards "*" and ">" are not allowed here';
    if (t.length > 1) return `"${t}" mixes a wildcard with other characters`;
    if (t === '>' && i !== tokens.length - 1) return '">" may only be the last token';
  }
  return undefined;
}

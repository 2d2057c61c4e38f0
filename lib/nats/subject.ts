import { badRequest } from '../errors';

const TOKEN = /^[^\s*>.]+$/;

/**
 * Checks a NATS subject: dot-separated non-empty tokens without white space.
 * With `wildcards`, a token may be `*`, and the last may be `>`. Throws a 400 MicroError naming `what`.
 */
export function checkSubject(subject: string, what: string, wildcards = false): void {
  if (typeof subject !== 'string' || subject.length === 0) {
    throw badRequest('micro.nats', `${what} must be a non-empty NATS subject`);
  }
  const tokens = subject.split('.');
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (TOKEN.test(t)) continue;
    if (wildcards && (t === '*' || (t === '>' && i === tokens.length - 1))) continue;
    const why = /\s/.test(t) ? 'white space' : t === '' ? 'an empty token' : 'a wildcard';
    throw badRequest('micro.nats', `${what} "${subject}" is not a valid NATS subject: it has ${why}`);
  }
}

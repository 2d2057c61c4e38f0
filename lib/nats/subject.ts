import { badRequest, excerpt } from '../errors';

const TOKEN = /^[^\s*>.]+$/;

/** Longest node address a registry entry may carry. */
export const MAX_ADDRESS_LENGTH = 256;
const PUBLISH_SUBJECT = /^[^\s*>.]+(\.[^\s*>.]+)*$/;

/** True for a subject a request can be published to: non-empty tokens, no wildcard, no white space, bounded length. */
export function isPublishSubject(s: unknown, maxLength = MAX_ADDRESS_LENGTH): boolean {
  return typeof s === 'string' && s.length > 0 && s.length <= maxLength && PUBLISH_SUBJECT.test(s);
}

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
    throw badRequest('micro.nats', `${what} "${excerpt(subject)}" is not a valid NATS subject: it has ${why}`);
  }
}

/**
 * Whether a message's reply subject may be answered: inbox-like (its first token starts with `_`, as
 * `_INBOX` and every configured inbox prefix) and not under `notUnder` (the node-address prefix, when node
 * addresses have one of their own). Anything else would let a requester steer the answer onto a registry,
 * event or service subject the answering process may publish to, and the requester may not.
 */
export function isReplySubject(reply: string, notUnder?: string): boolean {
  if (reply.charCodeAt(0) !== 95 /* _ */) return false;
  return !notUnder || !(reply.startsWith(notUnder) && reply.charCodeAt(notUnder.length) === 46 /* . */);
}

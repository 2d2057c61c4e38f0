/**
 * NATS permissions as micro-nats reports them: a refused publish or subscription is a 403 naming the
 * operation and the subject, never a silent drop.
 */
import { PermissionViolationError, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { forbidden, type MicroError } from '../errors';

/** How long a subscription's confirmation (a PING/PONG) is awaited; past it the subscription is assumed in place. */
const CONFIRM_TIMEOUT = 5_000;

/** The 403 for a refused `operation` on `subject` (and `queue`). */
export function permissionDenied(operation: 'publish' | 'subscription', subject: string, queue?: string): MicroError {
  const what = operation === 'publish' ? `publish to "${subject}"` : `subscription to "${subject}"${queue ? ` in queue group "${queue}"` : ''}`;
  return forbidden('micro.nats', `NATS refused the ${what}: permission denied (check the user's ${operation === 'publish' ? 'publish' : 'subscribe'} permissions)`);
}

/**
 * Waits until the server processed `sub` and throws the 403 if it refused it (nats.js closes a refused
 * subscription and resolves `closed` with the error; the server answers before the PONG of a flush).
 */
export async function confirmSubscribed(nc: NatsConnection, sub: Subscription, subject: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([nc.flush().catch(() => undefined), new Promise((r) => { timer = setTimeout(r, CONFIRM_TIMEOUT); })]);
  clearTimeout(timer);
  if (!sub.isClosed()) return;
  const err = await sub.closed;
  if (err instanceof PermissionViolationError) throw permissionDenied('subscription', err.subject, err.queue);
  if (err) throw err;
  if (!nc.isClosed()) throw forbidden('micro.nats', `the subscription to "${subject}" was closed by the server`);
}

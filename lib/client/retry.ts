import { ConnectionLostError, MicroError, NoRespondersError, NotSentError, REFUSED_ID } from '../errors';
import { NoneAvailableError } from '../selector';

/**
 * May a failed attempt be sent again? Only when it provably reached no handler: nothing listened (no
 * responders), no node was found, the server refused it without running it (a 503 with id
 * `micro.server.refused`), or it was never sent. A timeout or a connection lost while waiting for the
 * reply may have run the handler: re-sent only for an idempotent call.
 */
export function mayResend(err: unknown, idempotent: boolean): boolean {
  if (!(err instanceof MicroError)) return false;
  if (provablyNotRun(err)) return true;
  if (!idempotent) return false;
  return err.code === 408 || err.code === 503 || err instanceof ConnectionLostError;
}

/** The attempt provably ran no handler: nothing listened, no node was found, nothing was sent, or the server refused it. */
export function provablyNotRun(err: unknown): boolean {
  if (!(err instanceof MicroError)) return false;
  if (err instanceof NoRespondersError || err instanceof NotSentError || err instanceof NoneAvailableError) return true;
  return err.id === REFUSED_ID && err.code === 503;
}

/** Nothing was sent because the connection is down: wait for it, then send (not counted as a retry). */
export function notSent(err: unknown): boolean {
  return err instanceof NotSentError;
}

/** The node's address answered "no responders": nothing listens there any more. */
export function noResponders(err: unknown): boolean {
  return err instanceof NoRespondersError;
}

/** Pause before retry `attempt` (1-based): none after "no responders" (another node is tried), else 25 ms doubling, at most 1 s. */
export function backoff(attempt: number, err: unknown): number {
  if (noResponders(err)) return 0;
  return Math.min(1_000, 25 * 2 ** (attempt - 1));
}

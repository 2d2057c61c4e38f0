import { Codes, MicroError, NoRespondersError } from '../errors';

/** go-micro retries 408; we also retry 503 and transport failures (a node or NATS server going away). */
export function retryable(err: unknown): boolean {
  if (!(err instanceof MicroError)) return false;
  return err.code === Codes.Timeout || err.code === Codes.Unavailable;
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

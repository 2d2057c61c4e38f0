import type { MicroError } from '../errors';

/** How long a subject NATS refused a publish to is refused here without sending; then one publish is sent again. */
export const REFUSAL_RETRY = 5_000;
/** Subjects remembered at once; one more forgets the oldest (a refused subject then costs one more lost publish). */
const MAX_REFUSALS = 1_024;

/**
 * Publishes NATS refused (permission violation). NATS says so asynchronously, after the publish was handed
 * to the socket, so the refused publish itself resolved; from then on, for `retry` ms, publishes to that
 * subject reject at once with the 403. Costs a size check per publish while nothing was refused.
 */
export class Refusals {
  private readonly refused = new Map<string, { error: MicroError; until: number }>();

  constructor(private readonly retry = REFUSAL_RETRY) {}

  /** Notes that NATS refused a publish to `subject`. */
  note(subject: string, error: MicroError): void {
    this.refused.delete(subject);
    if (this.refused.size >= MAX_REFUSALS) this.refused.delete(this.refused.keys().next().value!);
    this.refused.set(subject, { error, until: Date.now() + this.retry });
  }

  /** Throws the 403 while `subject` is known refused. */
  check(subject: string): void {
    if (this.refused.size === 0) return;
    const r = this.refused.get(subject);
    if (r === undefined) return;
    if (Date.now() < r.until) throw r.error;
    this.refused.delete(subject);  // time to try again: this publish is sent
  }
}

/**
 * Subscriptions of the registry on several subjects (one per go-micro subject pair): usable while the
 * server accepted at least one, so NATS permissions that allow one pair only keep working.
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { confirmSubscribed } from '../nats/permissions';

/** Resolves when the server accepted any of `subs`; rejects with the first refusal (403) when it refused all. */
export async function confirmAny(nc: NatsConnection, subs: readonly Subscription[], topics: readonly string[]): Promise<void> {
  const results = await Promise.all(subs.map((s, i) => confirmSubscribed(nc, s, topics[i]).then(() => undefined, (err: unknown) => err)));
  if (results.some((r) => r === undefined)) return;
  throw results[0];
}

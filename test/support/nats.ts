/**
 * The test run's shared nats-server, started once by the root hooks (test/hooks.ts).
 * Suites that kill or restart a server start their own with startNatsServer().
 */
import type { NatsServer } from '../../lib/testing';

let shared: NatsServer | undefined;

export function setSharedServer(s: NatsServer | undefined): void {
  shared = s;
}

/** URL of the run's shared nats-server. */
export function natsUrl(): string {
  if (!shared) throw new Error('the shared nats-server is not running (is test/hooks.js loaded by .mocharc.json?)');
  return shared.url;
}

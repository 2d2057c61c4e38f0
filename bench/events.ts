/** Events: N fire-and-forget messages, raw publish→subscribe vs client.publish→@Subscribe (the subscribers live in the server process). */
import type { NatsConnection } from '@nats-io/transport-node';
import type { App } from '../index';
import type { Child } from './child';

const te = new TextEncoder();

/** Messages per second from the first publish until the server process has handled the N-th. */
export async function eventsRun(kind: 'raw' | 'micro', n: number, child: Child, nc: NatsConnection, app: App): Promise<number> {
  await child.wait('expecting', { type: 'expect', n });
  const done = child.wait('events');
  const t0 = performance.now();
  const payload = { id: 1, name: 'John' };
  if (kind === 'raw') {
    // The same work as micro-nats: encode each event as JSON (the subscriber parses it).
    for (let i = 0; i < n; i++) nc.publish('bench.raw.events', te.encode(JSON.stringify(payload)));
  } else {
    const pending: Promise<void>[] = new Array(n);
    for (let i = 0; i < n; i++) pending[i] = app.client.publish('bench.micro.events', payload);
    await Promise.all(pending);
  }
  await done;
  return (n / (performance.now() - t0)) * 1000;
}

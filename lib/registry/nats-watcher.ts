/**
 * Watch over NATS: a subscription on the watch subject turned into {@link Result}s. Malformed messages,
 * unknown actions and services without a name are ignored; the watch keeps going. The watcher fails
 * with 503 when its connection closes for good (not on a reconnect: nats.js resubscribes).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { confirmSubscribed } from '../nats/permissions';
import { RegistryUnavailableError } from './index';
import { flushWithin } from './nats-conn';
import { parseWatchEvent } from './wire';
import { QueueWatcher } from './watcher';

/** Subscribes `topic` and resolves once the server has the subscription (events published after that are seen). */
export async function natsWatch(nc: NatsConnection, topic: string, service: string | undefined,
                                flushTimeout: number, onStop: (w: QueueWatcher) => void): Promise<QueueWatcher> {
  const w: QueueWatcher = new QueueWatcher(service, () => {
    if (!nc.isClosed()) sub.unsubscribe();
    onStop(w);
  });
  const sub = nc.subscribe(topic, {
    callback: (err, msg) => {
      if (err) { w.fail(new RegistryUnavailableError(`watch on ${topic} failed: ${err.message}`)); return; }
      const ev = parseWatchEvent(msg.data);
      if (ev) w.push(ev);
    },
  });
  void sub.closed.then(() => {
    if (!w.done) w.fail(new RegistryUnavailableError(`watch on ${topic} lost: NATS connection closed`));
  });
  try {
    await flushWithin(nc, flushTimeout, `watch on ${topic}`);
    await confirmSubscribed(nc, sub, topic);
  } catch (err) {
    w.stop();
    throw err;
  }
  return w;
}

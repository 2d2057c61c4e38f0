/**
 * Watch over NATS: a subscription on the watch subject turned into {@link Result}s. Malformed messages,
 * unknown actions and services without a name are ignored; the watch keeps going. The watcher fails
 * with 503 when its connection closes for good (not on a reconnect: nats.js resubscribes).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { confirmAny } from './nats-permissions';
import { RegistryUnavailableError } from './index';
import { flushWithin } from './nats-conn';
import { parseWatchEvent } from './wire';
import { QueueWatcher } from './watcher';

/**
 * Subscribes each of `topics` and resolves once the server has the subscriptions (events published after
 * that are seen). A micro-nats node announces on every subject it speaks, back to back: the same
 * announcement arriving next on another subject is dropped, so it is seen once.
 */
export async function natsWatch(nc: NatsConnection, topics: readonly string[], service: string | undefined,
                                flushTimeout: number, onStop: (w: QueueWatcher) => void): Promise<QueueWatcher> {
  const w: QueueWatcher = new QueueWatcher(service, () => {
    if (!nc.isClosed()) for (const sub of subs) sub.unsubscribe();
    onStop(w);
  });
  const last: Last = { topic: '', data: undefined, open: topics.length };
  const subs = topics.map((topic) => watchOne(nc, topic, w, last));
  const topic = topics.join(', ');
  try {
    await flushWithin(nc, flushTimeout, `watch on ${topic}`);
    await confirmAny(nc, subs, topics);
  } catch (err) {
    w.stop();
    throw err;
  }
  return w;
}

/** The previous message of a watch, to drop its copy from the other subject; and its subscriptions still open. */
interface Last { topic: string; data: Uint8Array | undefined; open: number }

function watchOne(nc: NatsConnection, topic: string, w: QueueWatcher, last: Last) {
  const sub = nc.subscribe(topic, {
    callback: (err, msg) => {
      // With several subjects, one failing (refused by permissions) ends only its subscription (counted below).
      if (err) { if (last.open <= 1) w.fail(new RegistryUnavailableError(`watch on ${topic} failed: ${err.message}`)); return; }
      const copy = last.topic !== topic && last.data !== undefined && Buffer.compare(last.data, msg.data) === 0;
      last.topic = topic;
      last.data = copy ? undefined : msg.data;
      if (copy) return;
      const ev = parseWatchEvent(msg.data);
      if (ev) w.push(ev);
    },
  });
  // Lost when every subscription is gone (the connection closed); one refused by permissions leaves the others.
  void sub.closed.then(() => {
    if (--last.open === 0 && !w.done) w.fail(new RegistryUnavailableError(`watch on ${topic} lost: NATS connection closed`));
  });
  return sub;
}

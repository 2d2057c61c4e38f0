/**
 * The answering side of scatter-gather: ONE subscription on the query subject per registry (go-micro
 * made one per service name), held only while the registry holds services. A `get` of a name held, or a
 * `list`, is answered with one go-micro service JSON per version (pre-encoded); anything else — malformed
 * JSON, unknown actions, names not held, no reply subject or one that is not an inbox — is ignored.
 */
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { publish } from '../nats/message';
import { confirmSubscribed } from '../nats/permissions';
import { isReplySubject } from '../nats/subject';
import type { LocalServices } from './local';
import { parseResult } from './wire';

export class Responder {
  private current?: { nc: NatsConnection; topic: string; sub: Subscription };

  constructor(private readonly local: LocalServices) {}

  /** Subscribes `topic` on `nc` while `want`, else unsubscribes; moves to a new connection or topic. */
  sync(nc: NatsConnection | undefined, topic: string, want: boolean): void {
    const r = this.current;
    if (r && (!want || r.nc !== nc || r.topic !== topic)) {
      if (!r.nc.isClosed()) r.sub.unsubscribe();
      this.current = undefined;
    }
    if (!want || this.current || !nc || nc.isClosed()) return;
    // A refused subscription fails `confirm` (and the connector logs it): no message arrives with an error.
    const sub = nc.subscribe(topic, { callback: (err, msg) => { if (!err) this.respond(nc, msg); } });
    this.current = { nc, topic, sub };
  }

  /** Rejects 403 naming the query subject when the server refused the subscription. */
  async confirm(): Promise<void> {
    const r = this.current;
    if (r) await confirmSubscribed(r.nc, r.sub, r.topic);
  }

  private respond(nc: NatsConnection, msg: Msg): void {
    // Answers go to inboxes only: a query whose reply names the watch subject would make us publish there.
    if (!msg.reply || !isReplySubject(msg.reply)) return;
    const q = parseResult(msg.data);
    if (!q) return;
    let answers: Uint8Array[];
    if (q.action === 'list') answers = this.local.answers(undefined);
    else if (q.action === 'get' && q.service) answers = this.local.answers(q.service.name);
    else return;
    for (const a of answers) {
      try { publish(nc, msg.reply, a, undefined); } catch { /* the querier times out */ }
    }
  }
}

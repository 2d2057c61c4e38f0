/**
 * The answering side of scatter-gather: ONE subscription per query subject per registry (go-micro
 * made one per service name), held only while the registry holds services. A `get` of a name held, or a
 * `list`, is answered with one go-micro service JSON per version (pre-encoded); anything else — malformed
 * JSON, unknown actions, names not held, no reply subject or one that is not an inbox — is ignored.
 */
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { publish } from '../nats/message';
import { confirmAny } from './nats-permissions';
import { isReplySubject } from '../nats/subject';
import type { LocalServices } from './local';
import { parseResult } from './wire';

export class Responder {
  private current?: { nc: NatsConnection; topics: readonly string[]; subs: Subscription[] };

  constructor(private readonly local: LocalServices) {}

  /** Subscribes each of `topics` on `nc` while `want`, else unsubscribes; moves to a new connection or topics. */
  sync(nc: NatsConnection | undefined, topics: readonly string[], want: boolean): void {
    const r = this.current;
    if (r && (!want || r.nc !== nc || r.topics !== topics)) {
      if (!r.nc.isClosed()) for (const sub of r.subs) sub.unsubscribe();
      this.current = undefined;
    }
    if (!want || this.current || !nc || nc.isClosed()) return;
    // A refused subscription fails `confirm` (and the connector logs it): no message arrives with an error.
    const subs = topics.map((t) => nc.subscribe(t, { callback: (err, msg) => { if (!err) this.respond(nc, msg); } }));
    this.current = { nc, topics, subs };
  }

  /**
   * Rejects 403 naming a query subject when the server refused every subscription. One refused among
   * several (NATS permissions that allow one go-micro pair only) leaves the others answering.
   */
  async confirm(): Promise<void> {
    const r = this.current;
    if (r) await confirmAny(r.nc, r.subs, r.topics);
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

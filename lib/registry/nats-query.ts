/**
 * Scatter-gather queries: publish on each query subject with one reply subject, collect
 * answers for `timeout` or until `quorum` answers, merge by name+version.
 *
 * One wildcard reply subscription `<inbox>.*` per registry serves every query, each query one reply
 * subject under it (go-micro subscribed a new inbox per query). "Not found" is only concluded when the
 * server proved reachable (a PING/PONG sent with the query came back); otherwise the query fails 503.
 */
import { createInbox, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { MicroError } from '../errors';
import { publish } from '../nats/message';
import { confirmSubscribed } from '../nats/permissions';
import { RegistryUnavailableError, type Service } from './index';
import type { RegistryConnection } from './nats-conn';
import { ServiceMerger } from './util';
import { parseAnswer } from './wire';

/** How long, past the window, a query with no answer waits for the server's PONG before calling NATS unreachable. */
const MIN_PONG_WAIT = 1_000;

interface Pending {
  answer(msg: Msg): void;
  fail(err: Error): void;
}

export class Querier {
  private prefix?: string;
  private readonly pending = new Map<string, Pending>();
  private sub?: Subscription;
  private subNc?: NatsConnection;
  private seq = 0;

  constructor(private readonly conn: RegistryConnection) {}

  /**
   * Runs one query. Resolves with the merged services (possibly none) once `timeout` ms passed, or as soon
   * as `quorum` (> 0) answers arrived, or when the server reports no responders on every one of `topics`
   * (the same query is published on each, with one reply subject, so answers merge). Rejects 503
   * when NATS is disconnected, the connection drops meanwhile, or the server does not answer a PING.
   */
  async run(topics: readonly string[], payload: Uint8Array, timeout: number, quorum: number): Promise<Service[]> {
    const nc = await this.conn.get();
    if (!this.conn.connected) throw new RegistryUnavailableError('registry cannot reach NATS: disconnected');
    await this.subscribe(nc);
    const subject = `${this.prefix}.${++this.seq}`;
    const topic = topics.join(', ');
    return new Promise<Service[]>((resolve, reject) => {
      const merger = new ServiceMerger();
      let answers = 0;
      let silent = 0;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let pongTimer: NodeJS.Timeout | undefined;
      let offLost = () => {};
      const reachable = nc.flush().then(() => true, () => false);
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(pongTimer);
        this.pending.delete(subject);
        offLost();
        if (err) reject(err);
        else resolve(merger.result());
      };
      const windowOver = async () => {
        if (answers > 0) return finish();
        const pong = await Promise.race([reachable, new Promise<boolean>((r) => { pongTimer = setTimeout(() => r(false), Math.max(timeout, MIN_PONG_WAIT)); })]);
        finish(pong ? undefined : new RegistryUnavailableError(`registry query on ${topic}: NATS did not answer a PING`));
      };
      this.pending.set(subject, {
        answer: (msg) => {
          const data = msg.data;
          if (msg.headers && (!data || data.length === 0)) {
            // 503 "no responders": nobody subscribes the query subject. The server answered, so it is reachable.
            if (msg.headers.code === 503 && ++silent === topics.length) finish();
            return;
          }
          const s = parseAnswer(data);
          if (!s) return;
          merger.add(s);
          answers++;
          if (quorum > 0 && answers >= quorum) finish();
        },
        fail: finish,
      });
      const offLost1 = this.conn.onLost(() => finish(new RegistryUnavailableError(`registry query on ${topic}: NATS connection lost`)));
      const offDenied = this.conn.onDenied((s, err) => { if (s === topic) finish(err); });
      offLost = () => { offLost1(); offDenied(); };
      try {
        for (const t of topics) publish(nc, t, payload, undefined, subject);
      } catch (err) {
        const code = err instanceof MicroError ? err.code : 0;
        return finish(code === 503 || code === 0 ? new RegistryUnavailableError(`registry query on ${topic}: ${(err as Error).message}`) : err as Error);
      }
      timer = setTimeout(() => void windowOver(), timeout);
    });
  }

  /** Fails every query in flight with `err` and drops the reply subscription. */
  close(err: Error): void {
    for (const p of [...this.pending.values()]) p.fail(err);
    if (this.sub && this.subNc && !this.subNc.isClosed()) this.sub.unsubscribe();
    this.sub = this.subNc = undefined;
  }

  /** Subscribes the reply wildcard on `nc` once; rejects 403 naming it when permissions refuse it. */
  private async subscribe(nc: NatsConnection): Promise<void> {
    if (this.subNc === nc && !nc.isClosed() && this.sub && !this.sub.isClosed()) return;
    this.subNc = nc;
    this.prefix = createInbox(this.conn.inboxPrefix);
    const sub = nc.subscribe(`${this.prefix}.*`, {
      // A refused subscription rejects below (and the connector logs it): no message arrives with an error.
      callback: (err, msg) => { if (!err) this.pending.get(msg.subject)?.answer(msg); },
    });
    this.sub = sub;
    await confirmSubscribed(nc, sub, `${this.prefix}.*`);
  }
}

/**
 * The NATS Service API (ADR-32) in front of a server: each unary endpoint listens on its own subject (queue
 * group `q` unless configured) through the same invoke core as mucp, and every instance answers
 * `$SRV.PING|INFO|STATS` (all services, by name, by name and id) on plain subscriptions. Streaming
 * endpoints are mucp only: ADR-32 has one reply per request.
 */
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { MicroError, refused, unavailable } from '../errors';
import { RequestContext } from '../context';
import type { NatsConnector } from '../nats/connection';
import { encodeHeaders, readHeaders } from '../nats/headers';
import { bodyOf } from '../nats/message';
import { confirmSubscribed } from '../nats/permissions';
import { isReplySubject } from '../nats/subject';
import {
  controlSubject, DEFAULT_PREFIX, DEFAULT_QUEUE, defaultSubject, endpointName, errorHeaders, META, RESPONSE_TYPE,
  reportedVersion, VERBS, type Verb,
} from '../nats/service-api';
import { Header, readTimeout } from '../protocol/mucp';
import { errorOf, invoke, type Endpoint, type InvokeHost } from './invoke';
import type { ServerAdapter, ServiceIdentity } from './index';

type Host = InvokeHost & ServiceIdentity;

/** Options of {@link Adr32Adapter}. */
export interface Adr32Options {
  /** The NATS connection to subscribe on (shared, reference counted). */
  connector: NatsConnector;
  /** Control subject prefix. Default `$SRV`. */
  prefix?: string;
  /** Prefix of the endpoints' default subjects. Default: the service name. */
  group?: string;
  /** Queue group of the endpoints; `''` for none. Default `q`. */
  queue?: string;
}

/** One endpoint as ADR-32 sees it. */
interface Served { ep: Endpoint; name: string; subject: string; queue: string; metadata: Record<string, string> }

const EMPTY = new Uint8Array(0);

/** Answers go to inboxes only (a reply naming a registry or event subject would make us publish there). */
const answerable = (m: Msg): boolean => !!m.reply && isReplySubject(m.reply);

/** Serves a server's endpoints and control verbs on the NATS Service API. */
export class Adr32Adapter implements ServerAdapter {
  private nc?: NatsConnection;
  private readonly subs: Subscription[] = [];
  private served: Served[] = [];
  private started = '';
  private running = false;

  constructor(private readonly opts: Adr32Options) {}

  /** Also called again (after `stop`) when the server listens anew on a new NATS connection. */
  async start(host: Host): Promise<void> {
    this.served = this.describe(host);
    this.nc = await this.opts.connector.acquire();
    this.running = true;
    this.started ||= new Date().toISOString();
    for (const s of this.served) {
      this.subs.push(this.nc.subscribe(s.subject, { queue: s.queue || undefined, callback: (err, m) => { if (!err && answerable(m)) void this.request(host, s, m); } }));
    }
    for (const verb of VERBS) {
      const reply = verb === 'STATS' ? undefined : JSON.stringify(this.reply(host, verb));
      const cb = (err: Error | null, m: Msg) => { if (!err && answerable(m)) m.respond(reply ?? JSON.stringify(this.reply(host, verb))); };
      for (const subject of [controlSubject(this.prefix, verb), controlSubject(this.prefix, verb, host.name),
        controlSubject(this.prefix, verb, host.name, host.id)]) this.subs.push(this.nc.subscribe(subject, { callback: cb }));
    }
    // Subscriptions are in place on the server once start resolves: a request right after finds them.
    // A refused one (permissions) rejects the start naming it; the connector has logged it.
    await this.nc.flush();
    const refused = this.subs.find((s) => s.isClosed());
    if (refused) await confirmSubscribed(this.nc, refused, refused.getSubject());
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    // On a connection closed for good there is nothing left to unsubscribe.
    for (const s of this.subs.splice(0)) try { s.unsubscribe(); } catch { /* closed */ }
    await this.opts.connector.release();
  }

  reset(): void {
    this.started = new Date().toISOString();
  }

  private get prefix(): string {
    return this.opts.prefix ?? DEFAULT_PREFIX;
  }

  /** The unary, advertised endpoints with their ADR-32 names, subjects and queues. Throws when two names collide. */
  private describe(host: Host): Served[] {
    const byName = new Map<string, string>();
    const out: Served[] = [];
    for (const ep of host.endpoints.values()) {
      if (ep.opts.internal || ep.opts.stream) continue;
      const name = endpointName(ep.name);
      const other = byName.get(name);
      if (other) throw new Error(`${host.name}: endpoints ${other} and ${ep.name} both become "${name}" on the NATS Service API`);
      byName.set(name, ep.name);
      const ns = ep.opts.natsService;
      const metadata: Record<string, string> = { ...ep.opts.metadata, [META.endpoint]: ep.name };
      if (ep.opts.request) metadata[META.request] = JSON.stringify(ep.opts.request);
      if (ep.opts.response) metadata[META.response] = JSON.stringify(ep.opts.response);
      out.push({ ep, name, metadata, subject: ns?.subject ?? defaultSubject(this.opts.group ?? host.name, ep.name),
        queue: ns?.queue ?? this.opts.queue ?? DEFAULT_QUEUE });
    }
    return out;
  }

  /** One request on an endpoint subject: the handler's encoded result, or an empty body with error headers. */
  private async request(host: Host, s: Served, m: Msg): Promise<void> {
    host.begin();
    let ctx: RequestContext | undefined;
    try {
      if (host.stopping) throw refused(`${host.name} is stopping`);
      if (host.overloaded) throw refused(`${host.name} is over its limit of requests in flight`);
      const { header } = readHeaders(m);
      // A micro-nats caller sends its deadline (`Timeout`); other clients send none.
      ctx = new RequestContext(host.name, s.ep.name, header[Header.Id] ?? '', header, readTimeout(host.name, header[Header.Timeout], Date.now()));
      host.running(ctx);
      m.respond(await invoke(host, s.ep, header[Header.ContentType], bodyOf(m), ctx));
    } catch (err) {
      m.respond(EMPTY, { headers: encodeHeaders(errorHeaders(errorOf(host, err, s.ep.name, ctx?.id))) });
    } finally {
      ctx?.done();
      host.end(ctx);
    }
  }

  /** The reply to a control verb. */
  private reply(host: Host, verb: Verb): Record<string, unknown> {
    const v = reportedVersion(host.version);
    const base = { type: RESPONSE_TYPE[verb], name: host.name, id: host.id, version: v.version, metadata: { ...host.metadata, ...v.metadata } };
    if (verb === 'PING') return base;
    if (verb === 'INFO') {
      return { ...base, description: host.description ?? '',
        endpoints: this.served.map((s) => ({ name: s.name, subject: s.subject, queue_group: s.queue, metadata: s.metadata })) };
    }
    return { ...base, started: this.started,
      endpoints: this.served.map((s) => ({ name: s.name, subject: s.subject, queue_group: s.queue, ...s.ep.stats.toJSON() })) };
  }
}

/**
 * Calls on NATS Service API (ADR-32) nodes: a plain NATS request to the endpoint's subject (from the
 * endpoint metadata the registry discovered), the reply decoded with the request's codec, and
 * `Micro-Error` or `Nats-Service-Error`/`Nats-Service-Error-Code` turned into a MicroError.
 */
import { NoRespondersError as NatsNoRespondersError, RequestError, TimeoutError, type NatsConnection } from '@nats-io/transport-node';
import type { Codec, Codecs } from '../codec';
import { MicroError, NoRespondersError, notFound, timeout, unavailable } from '../errors';
import { Header } from '../protocol/mucp';
import type { NatsConnector } from '../nats/connection';
import { encodeHeaders, readHeaders } from '../nats/headers';
import { bodyOf } from '../nats/message';
import { errorOf, META } from '../nats/service-api';
import type { Node, Registry } from '../registry';

/** What one ADR-32 call needs: the client's prepared request. */
export interface Adr32Request { service: string; endpoint: string; codec: Codec; body: Uint8Array; header: Record<string, string> }

/** Sends calls to ADR-32 endpoint subjects. */
export class Adr32Caller {
  private nc?: Promise<NatsConnection>;

  constructor(private readonly connector: NatsConnector, private readonly registry: Registry, private readonly codecs: Codecs) {}

  /** One attempt on `node` within `ms`. Rejects 404 for an endpoint the service does not advertise, 408/503 as NATS fails. */
  async call(r: Adr32Request, node: Node, ms: number): Promise<unknown> {
    const subject = await this.subject(r, node);
    const nc = await (this.nc ??= this.connector.acquire().catch((err) => { this.nc = undefined; throw err; }));
    let reply;
    try {
      reply = await nc.request(subject, r.body, { timeout: Math.max(1, Math.ceil(ms)), headers: encodeHeaders(r.header) });
    } catch (err) {
      throw explain(err, r, subject, ms);
    }
    const { header } = readHeaders(reply);
    const error = errorOf(header, r.service);
    if (error) throw error;
    return this.codecs.get(header[Header.ContentType] ?? r.codec.contentType).decode(bodyOf(reply));
  }

  async close(): Promise<void> {
    if (this.nc) { this.nc = undefined; await this.connector.release(); }
  }

  /** The subject the node's service advertises for the endpoint (the registry lookup is answered from its cache). */
  private async subject(r: Adr32Request, node: Node): Promise<string> {
    const services = await this.registry.getService(r.service);
    const s = services.find((x) => x.nodes.some((n) => n.id === node.id)) ?? services[0];
    const e = s?.endpoints.find((x) => x.name === r.endpoint);
    const subject = e?.metadata?.[META.subject];
    if (!subject) throw notFound('micro.client', `service ${r.service} advertises no endpoint ${r.endpoint} on the NATS Service API`);
    return subject;
  }
}

function explain(err: unknown, r: Adr32Request, subject: string, ms: number): MicroError {
  if (err instanceof MicroError) return err;
  const call = `call to ${r.service}.${r.endpoint} on ${subject}`;
  if (err instanceof TimeoutError || (err as Error)?.cause instanceof TimeoutError) return timeout('micro.client', `${call} timed out after ${Math.round(ms)} ms`);
  if (err instanceof NatsNoRespondersError || (err instanceof RequestError && err.isNoResponders())) {
    return new NoRespondersError('micro.client', `${call}: no responders`);
  }
  return unavailable('micro.client', `${call}: ${(err as Error)?.message ?? String(err)}`);
}

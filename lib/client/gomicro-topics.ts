/**
 * Which topics go-micro subscribers listen on, known from the registry: go-micro registers each subscriber
 * as an endpoint with metadata `subscriber: "true"` and `topic: <topic>` (`server/subscriber.go`), and its
 * broker only decodes events sent in its JSON envelope. The publisher asks {@link GoMicroTopics.has} — one
 * set look-up per publish — and sends the envelope only to those topics; every other topic keeps native
 * NATS headers. The set follows the registry's watch after one `list` at start; no query per publish.
 */
import type { Registry, Result, Service, Watcher } from '../registry';

/** Nodes remembered at most (a remote party cannot grow the set without bound). */
const MAX_NODES = 10_000;

export class GoMicroTopics {
  /** Subscriber topics of each go-micro node. */
  private readonly nodes = new Map<string, readonly string[]>();
  private topics: ReadonlySet<string> = new Set();
  private watcher?: Watcher;
  private started?: Promise<void>;
  private closed = false;

  constructor(private readonly registry: Registry) {}

  /** True when a go-micro subscriber listens on `topic` (exact topic, as go-micro subscribes). */
  has(topic: string): boolean {
    return this.topics.has(topic);
  }

  /** Starts following the registry once: watch, then one `list`. Never rejects (a failure leaves topics native). */
  start(): Promise<void> {
    return (this.started ??= this.follow().catch(() => undefined));
  }

  close(): void {
    this.closed = true;
    this.watcher?.stop();
  }

  private async follow(): Promise<void> {
    const w = await this.registry.watch();
    if (this.closed) { w.stop(); return; }
    this.watcher = w;
    void this.consume(w);
    for (const s of await this.registry.listServices()) this.apply({ action: 'update', service: s });
  }

  private async consume(w: Watcher): Promise<void> {
    try {
      for (;;) this.apply(await w.next());
    } catch { /* stopped or lost: what is known stays */ }
  }

  private apply(r: Result): void {
    const topics = r.action === 'delete' ? [] : subscriberTopics(r.service);
    let changed = false;
    for (const n of r.service.nodes ?? []) {
      if (n.metadata?.server === 'micro-nats') continue;
      if (topics.length === 0) changed = this.nodes.delete(n.id) || changed;
      else if (this.nodes.has(n.id) || this.nodes.size < MAX_NODES) { this.nodes.set(n.id, topics); changed = true; }
    }
    if (changed) this.topics = new Set([...this.nodes.values()].flat());
  }
}

/** The topics of a service's subscriber endpoints. */
function subscriberTopics(s: Service): string[] {
  const out: string[] = [];
  for (const e of s.endpoints ?? []) {
    const md = e.metadata;
    if (md?.subscriber === 'true' && typeof md.topic === 'string' && md.topic !== '') out.push(md.topic);
  }
  return out;
}

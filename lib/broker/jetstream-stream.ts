/**
 * The event stream: created when missing, bound when present, never silently changed. A stream configured
 * with `subjects` is used as is; without, the stream captures the topics the app uses, each added once.
 */
import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { badRequest, conflict, MicroError } from '../errors';
import { DEFAULT_JS_MAX_MANAGED_SUBJECTS } from '../config/defaults';
import { nanos, type ResolvedStream } from './jetstream-options';
import { BROKER_ID } from './options';

/** True when every subject matched by `subject` (which may hold wildcards) is matched by `pattern`. */
export function covers(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return i < s.length;
    if (i >= s.length) return false;
    if (s[i] === '>') return false;
    if (p[i] !== '*' && (p[i] !== s[i] || s[i] === '*')) return false;
  }
  return p.length === s.length;
}

/** Serialises changes to one stream within this process (several brokers may widen it at once). */
const locks = new Map<string, Promise<unknown>>();

export class EventStream {
  /** Topics known to be captured: a publish checks a Set, not the server. */
  private readonly known = new Set<string>();

  constructor(private readonly jsm: JetStreamManager, readonly settings: ResolvedStream) {}

  get name(): string { return this.settings.name; }

  /** Creates the stream or binds it; rejects 409 naming every setting that differs from the configuration. */
  async open(): Promise<void> {
    const s = this.settings;
    const info = await this.jsm.streams.info(s.name).catch((err) => {
      if (isNotFound(err, 'stream')) return undefined;
      throw err;
    });
    if (!info) {
      const subjects = s.subjects ?? [];
      await this.jsm.streams.add(this.config(subjects));
      return;
    }
    const c = info.config;
    const diffs: string[] = [];
    const want = { retention: s.retention, max_age: nanos(s.maxAge), max_bytes: s.maxBytes, num_replicas: s.replicas, storage: s.storage };
    for (const [k, v] of Object.entries(want)) if ((c as unknown as Record<string, unknown>)[k] !== v) diffs.push(`${k} is ${String((c as unknown as Record<string, unknown>)[k])}, configured ${String(v)}`);
    if (s.subjects && [...c.subjects].sort().join() !== [...s.subjects].sort().join()) {
      diffs.push(`subjects are ${c.subjects.join(',')}, configured ${s.subjects.join(',')}`);
    }
    if (diffs.length > 0) {
      throw conflict(BROKER_ID, `stream ${s.name} exists with other settings (${diffs.join('; ')}): `
        + 'change the configuration or the stream, it is not re-created');
    }
  }

  /**
   * Makes sure `topic` is captured. Configured subjects: 400 when it is not. Otherwise the topic is added
   * (a wildcard replaces the subjects it covers: the server refuses overlapping subjects in one stream;
   * a partial overlap, such as `a.*.x` next to `a.b.*`, rejects 400).
   */
  async capture(topic: string): Promise<void> {
    if (this.known.has(topic)) return;
    if (this.settings.subjects) {
      if (!this.settings.subjects.some((p) => covers(p, topic))) {
        throw badRequest(BROKER_ID, `topic "${topic}" is outside stream ${this.name}'s subjects (${this.settings.subjects.join(', ')})`);
      }
    } else {
      await this.serial(() => this.widen(topic));
    }
    if (this.known.size >= 10_000) this.known.clear();
    this.known.add(topic);
  }

  private async widen(topic: string): Promise<void> {
    // Re-read after each update: another process may have widened it at the same time.
    for (let attempt = 0; attempt < 5; attempt++) {
      const info = await this.jsm.streams.info(this.name);
      const subjects = info.config.subjects ?? [];
      if (subjects.some((p) => covers(p, topic))) return;
      if (subjects.length >= DEFAULT_JS_MAX_MANAGED_SUBJECTS) {
        throw badRequest(BROKER_ID, `stream ${this.name} already captures ${subjects.length} topics: configure jetstream.stream.subjects`);
      }
      const next = [...subjects.filter((s) => !covers(topic, s)), topic];
      await this.jsm.streams.update(this.name, { ...info.config, subjects: next }).catch((err: Error) => {
        // e.g. "a.*.x" next to "a.b.*": they overlap without either covering the other.
        throw badRequest(BROKER_ID, `stream ${this.name} cannot add topic "${topic}": ${err.message}; configure jetstream.stream.subjects`);
      });
    }
    throw new MicroError(BROKER_ID, 503, `stream ${this.name}: could not add topic "${topic}" (concurrent updates)`);
  }

  private config(subjects: string[]): Partial<StreamConfig> & { name: string } {
    const s = this.settings;
    return {
      name: s.name, subjects, retention: s.retention as StreamConfig['retention'], storage: s.storage as StreamConfig['storage'],
      max_age: nanos(s.maxAge), max_bytes: s.maxBytes, num_replicas: s.replicas,
      description: s.subjects ? undefined : 'micro-nats events: captures the topics its apps use',
    };
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const prev = locks.get(this.name) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    locks.set(this.name, tail);
    void tail.then(() => { if (locks.get(this.name) === tail) locks.delete(this.name); });
    return run;
  }
}

/** True for the JetStream API's "not found" answer about a stream (10059) or a consumer (10014). */
export function isNotFound(err: unknown, what: 'stream' | 'consumer'): boolean {
  return err instanceof JetStreamApiError
    && err.code === (what === 'stream' ? JetStreamApiCodes.StreamNotFound : JetStreamApiCodes.ConsumerNotFound);
}

import type { Message } from '../transport/index';

/** One subscription as the bus sees it. */
export interface BusSubscription {
  /** The subscribed topic, wildcards included. */
  readonly subject: string;
  /** The queue group, or undefined. */
  readonly queue: string | undefined;
  /** Takes one message (already copied for this subscription). Must not throw. */
  deliver(topic: string, m: Message): void;
}

interface Entry { sub: BusSubscription; tokens: string[] | undefined; group: string | undefined }

/**
 * The message space that memory brokers share: brokers constructed with the same bus see each other's
 * messages (one per test or app, never global). NATS semantics: `*` matches one token, a final `>` one or
 * more; each queue group (same topic and queue name) gets one copy, handed round-robin among its members.
 */
export class MemoryBus {
  private readonly entries: Entry[] = [];
  private readonly turns = new Map<string, number>();

  /** @param name shown in the brokers' `address()` as `memory://<name>`. Default `local`. */
  constructor(readonly name = 'local') {}

  add(sub: BusSubscription): void {
    const wild = /(^|\.)[*>](\.|$)/.test(sub.subject);
    const group = sub.queue === undefined ? undefined : `${sub.queue} ${sub.subject}`;
    this.entries.push({ sub, tokens: wild ? sub.subject.split('.') : undefined, group });
  }

  remove(sub: BusSubscription): void {
    const i = this.entries.findIndex((e) => e.sub === sub);
    if (i < 0) return;
    const [{ group }] = this.entries.splice(i, 1);
    if (group !== undefined && !this.entries.some((e) => e.group === group)) this.turns.delete(group);
  }

  /** Delivers a copy of `m` (as the wire would: later writes to the sender's buffer are not seen) to each match. */
  publish(topic: string, m: Message): void {
    let tokens: string[] | undefined;
    let groups: Map<string, BusSubscription[]> | undefined;
    for (const e of this.entries) {
      if (e.tokens ? !matches(e.tokens, (tokens ??= topic.split('.'))) : e.sub.subject !== topic) continue;
      if (e.group === undefined) { e.sub.deliver(topic, copy(m)); continue; }
      groups ??= new Map();
      const members = groups.get(e.group);
      if (members) members.push(e.sub); else groups.set(e.group, [e.sub]);
    }
    if (!groups) return;
    for (const [group, members] of groups) {
      const turn = this.turns.get(group) ?? 0;
      this.turns.set(group, turn + 1);
      members[turn % members.length].deliver(topic, copy(m));
    }
  }
}

function matches(pattern: string[], topic: string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p === '>') return topic.length > i;
    if (i >= topic.length || (p !== '*' && p !== topic[i])) return false;
  }
  return pattern.length === topic.length;
}

function copy(m: Message): Message {
  return { header: { ...m.header }, body: m.body.slice() };
}

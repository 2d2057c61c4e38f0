/**
 * The services one registry instance holds (what it registered), by name and version, with each
 * version's go-micro JSON answer pre-encoded so answering a query does no JSON work.
 */
import type { Action, Node, Service } from './index';
import { copyService } from './util';
import { encodeJSON, toWire } from './wire';

interface Held {
  service: Service;
  nodes: Map<string, Node>;
  answer?: Uint8Array;
}

export class LocalServices {
  private readonly byName = new Map<string, Map<string, Held>>();

  /** Number of names held. */
  get size(): number {
    return this.byName.size;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Whether node `id` of `name` at `version` is held. */
  holds(name: string, version: string, id: string): boolean {
    return this.byName.get(name)?.get(version)?.nodes.has(id) ?? false;
  }

  /**
   * Adds a validated service: its nodes are merged by id, its metadata and endpoints replace the
   * version's. Returns `update` when every node was already held, else `create`.
   */
  add(s: Service): Action {
    let versions = this.byName.get(s.name);
    if (!versions) { versions = new Map(); this.byName.set(s.name, versions); }
    let held = versions.get(s.version);
    if (!held) { held = { service: s, nodes: new Map() }; versions.set(s.version, held); }
    let known = true;
    for (const n of s.nodes) {
      if (!held.nodes.has(n.id)) known = false;
      held.nodes.set(n.id, n);
    }
    held.service = { ...s, nodes: [...held.nodes.values()] };
    held.answer = undefined;
    return known ? 'update' : 'create';
  }

  /**
   * Removes the nodes of `s` by id (every node of that version when `s.nodes` is empty).
   * Returns the version with the nodes removed, or undefined when none was held.
   */
  remove(s: Pick<Service, 'name' | 'version' | 'nodes'>): Service | undefined {
    const versions = this.byName.get(s.name);
    const held = versions?.get(s.version ?? '');
    if (!versions || !held) return undefined;
    const removed: Node[] = [];
    const ids = s.nodes && s.nodes.length > 0 ? s.nodes.map((n) => n.id) : [...held.nodes.keys()];
    for (const id of ids) {
      const n = held.nodes.get(id);
      if (!n) continue;
      held.nodes.delete(id);
      removed.push(n);
    }
    if (removed.length === 0) return undefined;
    if (held.nodes.size === 0) {
      versions.delete(held.service.version);
      if (versions.size === 0) this.byName.delete(s.name);
    } else {
      held.service = { ...held.service, nodes: [...held.nodes.values()] };
      held.answer = undefined;
    }
    return copyService(held.service, removed);
  }

  /** Copies of every version of `name` ([] when not held). */
  get(name: string): Service[] {
    const versions = this.byName.get(name);
    return versions ? [...versions.values()].map((h) => copyService(h.service)) : [];
  }

  /** Copies of everything held. */
  all(): Service[] {
    const out: Service[] = [];
    for (const versions of this.byName.values()) for (const h of versions.values()) out.push(copyService(h.service));
    return out;
  }

  /** The held versions themselves (not copies: read only). */
  *versions(): IterableIterator<Service> {
    for (const versions of this.byName.values()) for (const h of versions.values()) yield h.service;
  }

  /** The encoded JSON answers (one per version) for `name`, or for every service when `name` is undefined. */
  answers(name: string | undefined): Uint8Array[] {
    const out: Uint8Array[] = [];
    const add = (versions: Map<string, Held>) => {
      for (const h of versions.values()) out.push(h.answer ??= encodeJSON(toWire(h.service)));
    };
    if (name === undefined) for (const versions of this.byName.values()) add(versions);
    else { const versions = this.byName.get(name); if (versions) add(versions); }
    return out;
  }

  clear(): void {
    this.byName.clear();
  }
}

/** `services`, `describe` and `watch`: what the registry knows, and its events as they happen. */
import type { Command } from 'commander';
import type { App } from 'micro-nats';
import type { Node, Result, Service as ServiceRecord, Value } from 'micro-nats/registry';
import { parseCount } from '../input';
import { out, outJson, note, table, withProgress } from '../output';
import { run, untilSignal, type Flags } from '../run';

/**
 * The protocol a node speaks, from its metadata: ours say `server: micro-nats`, NATS Service API instances
 * found through `$SRV.INFO` say `protocol: adr32`, and the rest are go-micro's.
 */
export function protocolOf(node: Node): 'micro-nats' | 'ADR-32' | 'go-micro' {
  if (node.metadata?.server === 'micro-nats') return 'micro-nats';
  if (node.metadata?.protocol === 'adr32') return 'ADR-32';
  return 'go-micro';
}

interface ServiceSummary { name: string; versions: string[]; nodes: number; protocols: string[] }

/** One row per service name: its versions, node count and protocols. */
export function summarise(services: ServiceRecord[]): ServiceSummary[] {
  const byName = new Map<string, ServiceSummary>();
  for (const s of services) {
    const row = byName.get(s.name) ?? { name: s.name, versions: [], nodes: 0, protocols: [] };
    if (!row.versions.includes(s.version)) row.versions.push(s.version);
    row.nodes += s.nodes.length;
    for (const n of s.nodes) if (!row.protocols.includes(protocolOf(n))) row.protocols.push(protocolOf(n));
    byName.set(s.name, row);
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** A request/response type as one line: `HelloRequest { name string }`. */
export function renderValue(v: Value | undefined | null, depth = 0): string {
  if (!v) return '-';
  const own = depth === 0 ? v.type : `${v.name} ${v.type}`;
  if (!v.values?.length || depth > 4) return own;
  return `${own} { ${v.values.map((f) => renderValue(f, depth + 1)).join(', ')} }`;
}

function metadataText(m: Record<string, string> | undefined): string {
  const entries = Object.entries(m ?? {});
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(' ') : '-';
}

function describeText(services: ServiceRecord[]): string {
  const parts: string[] = [];
  for (const s of services) {
    parts.push(`${s.name} ${s.version || '(no version)'}${Object.keys(s.metadata ?? {}).length ? `  ${metadataText(s.metadata)}` : ''}`);
    parts.push(`  nodes (${s.nodes.length}):`);
    for (const n of s.nodes) parts.push(`    ${n.id}  ${n.address}  ${protocolOf(n)}  ${metadataText(n.metadata)}`);
    parts.push(`  endpoints (${s.endpoints.length}):`);
    for (const e of s.endpoints) {
      const meta = Object.keys(e.metadata ?? {}).length ? `  [${metadataText(e.metadata)}]` : '';
      parts.push(`    ${e.name}(${renderValue(e.request)}) -> ${renderValue(e.response)}${meta}`);
    }
  }
  return parts.join('\n');
}

function eventText(r: Result): string {
  const s = r.service;
  const nodes = s.nodes.map((n) => `${n.id} ${n.address}`).join(', ') || '(all nodes)';
  return `${new Date().toISOString()}  ${r.action.padEnd(6)}  ${s.name} ${s.version}  ${nodes}`;
}

/** Prints registry events until `--count` events were seen or a signal (Ctrl-C, SIGTERM) comes. */
async function watchRegistry(app: App, f: Flags, service: string | undefined): Promise<void> {
  const watcher = await app.registry.watch(service ? { service } : {});
  const signal = untilSignal();
  note(`watching the registry${service ? ` for ${service}` : ''}; Ctrl-C to stop`);
  let seen = 0;
  const loop = (async () => {
    for await (const r of watcher) {
      if (f.json) outJson({ action: r.action, service: r.service });
      else out(eventText(r));
      if (f.count !== undefined && ++seen >= f.count) return;
    }
  })();
  try {
    await Promise.race([loop, signal.done]);
    loop.catch(() => undefined);   // a late failure after Ctrl-C has nobody to tell
  } finally {
    signal.dispose();
    watcher.stop();
  }
}

export function registryCommands(program: Command, add: (c: Command) => Command): void {
  add(program.command('services').description('list the services in the registry: versions, nodes, protocol'))
    .action((_o, cmd: Command) => run(cmd, async (app, f) => {
      const rows = summarise(await withProgress('asking the registry', app.registry.listServices()));
      if (f.json) return outJson(rows);
      if (rows.length === 0) return out('no services registered');
      out(table(['NAME', 'VERSIONS', 'NODES', 'PROTOCOL'],
        rows.map((r) => [r.name, r.versions.map((v) => v || '-').join(', '), String(r.nodes), r.protocols.join(', ')])));
    }));

  add(program.command('describe').description('show a service: nodes with address and metadata, endpoints with request/response types')
    .argument('<service>', 'service name'))
    .action((name: string, _o, cmd: Command) => run(cmd, async (app, f) => {
      const services = await withProgress(`looking up ${name}`, app.registry.getService(name));
      if (f.json) return outJson(services);
      out(describeText(services));
    }));

  add(program.command('watch').description('print registry events (create, update, delete) as they happen, until Ctrl-C')
    .argument('[service]', 'only events of this service')
    .option('--count <n>', 'exit after this many events', parseCount('--count')))
    .action((service: string | undefined, _o, cmd: Command) => run(cmd, (app, f) => watchRegistry(app, f, service)));
}

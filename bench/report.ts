/** Turns the benchmark's figures into a table with ratios and target checks, on stdout and in bench/RESULTS.md. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadResult } from './load';
import type { RegistryFigures } from './registry';
import { fmt, median, spread } from './stats';

export interface Row { group: string; name: string; runs: LoadResult[]; base: LoadResult[] }
export interface Report {
  rows: Row[]; events: Record<'raw' | 'micro', number[]>; registry: RegistryFigures[]; rounds: number; quick: boolean;
  rss: { rawIdle: number; plainIdle: number; rawSettled: number; plainSettled: number; serviceIdle: number; servicePeak: number; clientIdle: number; clientPeak: number };
  machine: { cores: number; cpu: string; node: string; nats: string };
}

const med = (runs: LoadResult[], k: keyof LoadResult) => median(runs.map((r) => r[k] as number));
const mib = (b: number) => `${fmt(b / 1048576, 1)} MiB`;

function rpcTable(rows: Row[]): string[] {
  const out = ['| scenario | caller | req/s median (min–max) | ratio to hand-rolled | p50 ms | p99 ms | client CPU µs/req | server CPU µs/req |',
    '|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    const ratio = med(r.runs, 'rps') / med(r.base, 'rps');
    const server = r.runs[0].serverCpuUs === undefined ? '–' : fmt(med(r.runs, 'serverCpuUs'), 1);
    out.push(`| ${r.group} | ${r.name} | ${spread(r.runs.map((x) => x.rps))} | ${fmt(ratio, 3)} | ${fmt(med(r.runs, 'p50'), 3)} | ${fmt(med(r.runs, 'p99'), 3)} | ${fmt(med(r.runs, 'cpuUs'), 1)} | ${server} |`);
  }
  return out;
}

function ratioOf(rows: Row[], group: string, name: string, k: keyof LoadResult = 'rps'): number {
  const r = rows.find((x) => x.group === group && x.name === name)!;
  return med(r.runs, k) / med(r.base, k);
}

function targets(r: Report): string[] {
  const ev = median(r.events.micro) / median(r.events.raw);
  const cached = Math.max(...r.registry.map((x) => x.cachedUs));
  const perSec = r.registry.map((x) => x.cachedPerSec);
  // "Flat" means no slowdown as instances grow: the slowest of 10/100 against 1.
  const flat = Math.min(...perSec.slice(1)) / perSec[0];
  const t: [string, number, string, boolean][] = [
    ['RPC c=1 throughput vs hand-rolled', ratioOf(r.rows, 'RPC c=1', 'micro-nats'), '≥ 0.95', ratioOf(r.rows, 'RPC c=1', 'micro-nats') >= 0.95],
    ['RPC c=64 throughput vs hand-rolled', ratioOf(r.rows, 'RPC c=64', 'micro-nats'), '≥ 0.85', ratioOf(r.rows, 'RPC c=64', 'micro-nats') >= 0.85],
    ['RPC c=1 p50 vs hand-rolled', ratioOf(r.rows, 'RPC c=1', 'micro-nats', 'p50'), '≤ 1.05', ratioOf(r.rows, 'RPC c=1', 'micro-nats', 'p50') <= 1.05],
    ['events vs raw publish→subscribe', ev, '≥ 0.90', ev >= 0.9],
    ['cached registry lookup (µs, worst of 1/10/100)', cached, '< 5', cached < 5],
    ['cached lookup throughput, 10 and 100 instances vs 1 (slowest)', flat, '≥ 0.90', flat >= 0.9],
    ['64 KiB payload vs hand-rolled', ratioOf(r.rows, 'payload 64 KiB c=64', 'micro-nats'), '≥ 0.90', ratioOf(r.rows, 'payload 64 KiB c=64', 'micro-nats') >= 0.9],
    ['plain service idle RSS − raw client idle RSS (MiB), settled (20 s idle)', (r.rss.plainSettled - r.rss.rawSettled) / 1048576, '≤ 10', r.rss.plainSettled - r.rss.rawSettled <= 10 * 1048576],
  ];
  const info: [string, number][] = [
    ['the same, 1 s after start (young generation still at its start-up size)', (r.rss.plainIdle - r.rss.rawIdle) / 1048576],
    ['benchmark service with DTOs (loads class-validator), 1 s after start, − raw client', (r.rss.serviceIdle - r.rss.rawIdle) / 1048576],
  ];
  return ['| target | measured | wanted | |', '|---|---|---|---|', ...t.map(([n, v, w, ok]) => `| ${n} | ${fmt(v, 3)} | ${w} | ${ok ? 'met' : 'MISSED'} |`),
    ...info.map(([n, v]) => `| ${n} | ${fmt(v, 3)} | (no target) | |`)];
}

export function report(r: Report): void {
  const m = r.machine;
  const lines = [
    '# Benchmark results', '',
    `Machine: ${m.cores} cores (${m.cpu}), Node ${m.node}, ${m.nats}, loopback. ${r.rounds} interleaved rounds per scenario${r.quick ? ' (BENCH_QUICK: reduced counts)' : ''}; the server runs in a child process. Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}.`, '',
    '## Targets', '', ...targets(r), '',
    '## RPC', '', 'Request `{"name":"John"}` → `{"msg":"Hello John"}`; payload rows echo a JSON body of that size. *hand-rolled* = nats.js with one wildcard reply subscription and its own correlation (the client\'s ceiling); *micro-nats* = a typed proxy call to a `@Handler` of a `@Service`; *DTO* = the same with a validated class parameter.', '',
    ...rpcTable(r.rows), '',
    '## Events', '', `| path | msgs/s median (min–max) | ratio |`, '|---|---|---|',
    `| raw publish→subscribe | ${spread(r.events.raw)} | 1.000 |`,
    `| client.publish→@Subscribe | ${spread(r.events.micro)} | ${fmt(median(r.events.micro) / median(r.events.raw), 3)} |`, '',
    '## Registry', '', 'Cached figures are medians of 7 interleaved rounds; *select* is the client\'s path (selector over the cache, round robin, one node picked).', '',
    '| instances | cold getService (100 ms window) ms | cold, quorum 1 ms | cached getService µs | cached lookups/s | select + pick µs |', '|---|---|---|---|---|---|',
    ...r.registry.map((x) => `| ${x.instances} | ${fmt(x.coldMs, 1)} | ${fmt(x.coldQuorumMs, 2)} | ${fmt(x.cachedUs, 3)} | ${fmt(x.cachedPerSec)} | ${fmt(x.pickUs, 3)} |`), '',
    '## Memory (RSS)', '',
    '| process | 1 s after start | settled (20 s idle) | peak |', '|---|---|---|---|',
    `| raw nats.js client (baseline) | ${mib(r.rss.rawIdle)} | ${mib(r.rss.rawSettled)} | – |`,
    `| plain service process (one @Handler, no DTO) | ${mib(r.rss.plainIdle)} | ${mib(r.rss.plainSettled)} | – |`,
    `| benchmark service process (DTOs, subscriber, raw responders) | ${mib(r.rss.serviceIdle)} | – | ${mib(r.rss.servicePeak)} |`,
    `| client process (all callers) | ${mib(r.rss.clientIdle)} | – | ${mib(r.rss.clientPeak)} |`, '',
    '## Rerun', '', '`npm run bench` (about 3–5 minutes; `BENCH_ROUNDS=5` for steadier medians, `BENCH_QUICK=1` for a smoke run). The machine is shared and noisy: compare ratios within one run, not absolute figures across runs.', '',
  ];
  const text = lines.join('\n');
  console.log(text);
  const file = join(__dirname, '..', '..', 'bench', 'RESULTS.md');
  if (!r.quick) writeFileSync(file, text + keptNotes(file));
}

/** The hand-written section of RESULTS.md ("## What was tried" to the end), kept across reruns. */
function keptNotes(file: string): string {
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const at = old.indexOf('\n## What was tried');
  return at < 0 ? '' : old.slice(at);
}

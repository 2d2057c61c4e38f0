/**
 * `stats [service]`: per-endpoint request counts and latencies from services that speak the NATS Service
 * API (ADR-32), gathered from every answer to `$SRV.STATS[.<name>]` within a window. Nothing answering is
 * reported as unsupported (exit 6), not as an empty success.
 */
import type { Command } from 'commander';
import { createInbox, type NatsConnection } from '@nats-io/transport-node';
import { mergedFlags, openNats, resolveInboxPrefix } from '../connection';
import { CliError, Exit } from '../exit';
import { parseDuration } from '../input';
import { out, outJson, table, withProgress } from '../output';
import { report } from '../run';

/** Most answers kept from one request: a bus full of responders cannot grow the CLI's memory without bound. */
export const MAX_ANSWERS = 1_000;

/** The parts of a `io.nats.micro.v1.stats_response` the CLI shows. */
interface StatsResponse {
  name: string; id: string; version: string;
  endpoints?: { name: string; subject?: string; num_requests?: number; num_errors?: number; average_processing_time?: number; last_error?: string }[];
}

/** Publishes one request and collects every answer that arrives within `waitMs` (at most {@link MAX_ANSWERS}). */
async function gather(nc: NatsConnection, subject: string, waitMs: number, inboxPrefix: string | undefined): Promise<StatsResponse[]> {
  const inbox = createInbox(inboxPrefix);
  const sub = nc.subscribe(inbox, { max: MAX_ANSWERS });
  const timer = setTimeout(() => sub.unsubscribe(), waitMs);
  nc.publish(subject, '', { reply: inbox });
  const answers: StatsResponse[] = [];
  for await (const m of sub) {
    try {
      const r = m.json<StatsResponse>();
      if (r && typeof r.name === 'string') answers.push(r);
    } catch { /* not JSON: not an ADR-32 answer */ }
  }
  clearTimeout(timer);
  return answers;
}

const ms = (ns: number | undefined) => (typeof ns === 'number' ? `${(ns / 1e6).toFixed(3)} ms` : '-');

function rows(answers: StatsResponse[]): string[][] {
  return answers.flatMap((a) => (a.endpoints ?? []).map((e) => [
    a.name, a.version, a.id, e.name, String(e.num_requests ?? 0), String(e.num_errors ?? 0), ms(e.average_processing_time),
  ]));
}

async function stats(service: string | undefined, f: ReturnType<typeof mergedFlags> & { wait?: number }): Promise<void> {
  const nc = await openNats(f);
  try {
    // The services' control-subject prefix, as they read it (`$SRV` unless MICRO_ADR32_PREFIX says otherwise).
    const prefix = process.env.MICRO_ADR32_PREFIX?.trim() || '$SRV';
    const subject = service ? `${prefix}.STATS.${service}` : `${prefix}.STATS`;
    const waitMs = f.wait ?? 500;
    const answers = await withProgress(`gathering ${subject} answers`, gather(nc, subject, waitMs, resolveInboxPrefix(f, process.env)));
    if (answers.length === 0) {
      throw new CliError(`no service answered ${subject} within ${waitMs} ms`, Exit.Unsupported,
        'stats come from services that speak the NATS Service API (ADR-32), which micro-nats services do unless started with '
          + 'adr32 off; check the name with `micro-nats services`');
    }
    if (f.json) outJson(answers);
    else out(table(['SERVICE', 'VERSION', 'ID', 'ENDPOINT', 'REQUESTS', 'ERRORS', 'AVG'], rows(answers)));
  } finally {
    await nc.close();
  }
}

export function statsCommand(program: Command, add: (c: Command) => Command): void {
  add(program.command('stats').description('per-endpoint request counts and latencies from $SRV.STATS (NATS Service API)')
    .argument('[service]', 'only this service')
    .option('--wait <duration>', 'how long to gather answers, e.g. 1s (default 500ms)', parseDuration('--wait')))
    .action(async (service: string | undefined, _o, cmd: Command) => {
      const f = mergedFlags(cmd) as ReturnType<typeof mergedFlags> & { wait?: number };
      try {
        await stats(service, f);
      } catch (err) {
        process.exitCode = report(err, f.json);
      }
    });
}

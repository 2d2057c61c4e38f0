/**
 * Output: results on stdout (human text, or JSON with `--json`), errors and progress on stderr. A
 * spinner runs only when stderr is a terminal, so scripts and pipes see clean streams.
 */
import { MicroError } from 'micro-nats';
import { CliError } from './exit';

/** Writes one line to stdout. */
export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Writes `value` as one line of JSON (NDJSON for streams of values). */
export function outJson(value: unknown): void {
  out(JSON.stringify(value));
}

/** Writes one line to stderr. */
export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** The error as the JSON object `--json` prints: go-micro's error shape, or `{ detail }` for local errors. */
export function errorJson(err: unknown): Record<string, unknown> {
  if (err instanceof MicroError) return err.toJSON() as unknown as Record<string, unknown>;
  const json: Record<string, unknown> = { detail: (err as Error)?.message ?? String(err) };
  if (err instanceof CliError && err.hint) json.hint = err.hint;
  return json;
}

/** The error in words for a person, with what to do when we know it. */
export function errorText(err: unknown): string {
  if (err instanceof MicroError) {
    const lines = [`error: ${err.code} ${err.status} from ${err.id}: ${err.detail}`];
    for (const f of err.errors ?? []) lines.push(`  ${f.property}: ${Object.values(f.constraints).join('; ')}`);
    const hint = hintFor(err.code);
    if (hint) lines.push(`hint: ${hint}`);
    return lines.join('\n');
  }
  const lines = [`error: ${(err as Error)?.message ?? String(err)}`];
  if (err instanceof CliError && err.hint) lines.push(`hint: ${err.hint}`);
  return lines.join('\n');
}

function hintFor(code: number): string | undefined {
  if (code === 503) return 'is the service running? `micro-nats services` lists what is registered';
  if (code === 404) return '`micro-nats describe <service>` lists its endpoints';
  if (code === 408) return 'raise --timeout, or check the service with `micro-nats health <service>`';
  return undefined;
}

/** A plain text table: columns padded to their widest cell. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

const FRAMES = ['|', '/', '-', '\\'];

/** Shows `label` with a spinner on a terminal's stderr until the promise settles; elsewhere just awaits it. */
export async function withProgress<T>(label: string, work: Promise<T>): Promise<T> {
  if (!process.stderr.isTTY) return work;
  let i = 0;
  const draw = () => process.stderr.write(`\r${FRAMES[i++ % FRAMES.length]} ${label}`);
  draw();
  const timer = setInterval(draw, 80);
  try {
    return await work;
  } finally {
    clearInterval(timer);
    process.stderr.write(`\r${' '.repeat(label.length + 2)}\r`);
  }
}

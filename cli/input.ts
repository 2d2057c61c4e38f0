/** Reading what the user typed: request bodies (`json`, `@file`, `-`), `k=v` metadata, durations. */
import { readFileSync } from 'node:fs';
import { CliError, Exit } from './exit';

/** The body argument: inline JSON, `@file` (JSON in a file), `-` (JSON on stdin); `{}` when absent. */
export function readBody(arg: string | undefined, what = 'request'): unknown {
  if (arg === undefined) return {};
  let text = arg;
  let from = 'the argument';
  if (arg === '-') {
    text = readSource(0, 'stdin');
    from = 'stdin';
  } else if (arg.startsWith('@')) {
    text = readSource(arg.slice(1), arg.slice(1));
    from = arg.slice(1);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`the ${what} from ${from} is not valid JSON: ${(err as Error).message}`, Exit.Usage,
      `quote it for the shell, e.g. '{"name":"John"}', or use @file.json or - for stdin`);
  }
}

function readSource(source: string | number, name: string): string {
  try {
    return readFileSync(source, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${name}: ${(err as Error).message}`, Exit.Usage);
  }
}

/** Collects repeated `--metadata k=v` flags (commander calls it once per flag). */
export function collectMetadata(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new CliError(`--metadata: "${value}" is not key=value`, Exit.Usage);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000 };

/** A duration in ms from `500ms`, `5s`, `1m` or a bare number of milliseconds. */
export function parseDuration(flag: string): (value: string) => number {
  return (value) => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
    const ms = m ? Number(m[1]) * UNITS[m[2] ?? 'ms'] : NaN;
    if (!(ms > 0)) throw new CliError(`${flag}: "${value}" is not a duration (e.g. 500ms, 5s, 1m, or milliseconds)`, Exit.Usage);
    return ms;
  };
}

/** A whole number of at least 1. */
export function parseCount(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new CliError(`${flag}: "${value}" is not a whole number of at least 1`, Exit.Usage);
    return n;
  };
}

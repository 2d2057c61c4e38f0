/** Runs the built `micro-nats` command (dist/cli/main.js) as a child process, the way a user's shell would. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from './wait';

const MAIN = join(__dirname, '..', '..', 'cli', 'main.js');

export interface CliResult { code: number | null; stdout: string; stderr: string; ms: number }

/** The environment of a child: ours without any MICRO_* or NATS_URL, plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MICRO_') && k !== 'NATS_URL'));
  return { ...base, ...env };
}

/** A running CLI process whose output is collected as it arrives. */
export class CliProcess {
  stdout = '';
  stderr = '';
  /** ms since start at which each stdout chunk arrived. */
  readonly chunks: { at: number; text: string }[] = [];
  readonly exited: Promise<CliResult>;
  private readonly child: ChildProcess;

  constructor(args: string[], env: Record<string, string>, input?: string) {
    const start = Date.now();
    this.child = spawn(process.execPath, [MAIN, ...args], { env: childEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => { this.stdout += d; this.chunks.push({ at: Date.now() - start, text: String(d) }); });
    this.child.stderr!.on('data', (d: Buffer) => { this.stderr += d; });
    this.child.stdin!.end(input ?? '');
    this.exited = new Promise((resolve) => this.child.on('close', (code) =>
      resolve({ code, stdout: this.stdout, stderr: this.stderr, ms: Date.now() - start })));
  }

  /** Waits (bounded) until stderr contains `text`, e.g. the "subscribed to" line. */
  async stderrHas(text: string, ms = 5_000): Promise<void> {
    await waitFor(() => this.stderr.includes(text), `"${text}" on stderr (got: ${this.stderr})`, ms);
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  /** Ends it for good if still running (test cleanup). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** Runs the CLI to completion (killed after `timeoutMs`) and returns its exit code and output. */
export async function runCli(args: string[], env: Record<string, string>, o: { input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const p = new CliProcess(args, env, o.input);
  const timer = setTimeout(() => p.kill(), o.timeoutMs ?? 10_000);
  try {
    return await p.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Parses each stdout line as JSON (the `--json` output of streams, subscribe and watch). */
export function jsonLines(stdout: string): any[] {
  return stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

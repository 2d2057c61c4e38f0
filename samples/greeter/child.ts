/** A sample process run by start.ts: its output is echoed line by line under a label; every wait is bounded. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Child {
  /** Resolves true once a line of output matches `re`, false when the process exits or `ms` pass first. */
  waitForLine(re: RegExp, ms: number): Promise<boolean>;
  /** The exit code once the process exits; after `ms` it is killed and the result is 1. */
  exit(ms: number): Promise<number>;
  /** Sends `signal` (if still running) and waits as `exit` does. */
  stop(signal: NodeJS.Signals, ms: number): Promise<number>;
}

export function runChild(label: string, file: string, args: readonly string[], env: NodeJS.ProcessEnv): Child {
  const proc = spawn(process.execPath, [file, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const exited = new Promise<number>((resolve) => proc.once('exit', (code) => resolve(code ?? 1)));
  // Never leave a child behind, even when this process ends abruptly.
  const kill = () => proc.kill('SIGKILL');
  process.once('exit', kill);
  void exited.then(() => process.removeListener('exit', kill));
  for (const stream of [proc.stdout, proc.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      console.log(`  ${label.padEnd(7)} | ${line}`);
      for (const w of waiters) w();
    });
  }
  const running = () => proc.exitCode === null && proc.signalCode === null;

  const exit = async (ms: number) => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<number>((resolve) => { timer = setTimeout(() => { kill(); resolve(1); }, ms); });
    const code = await Promise.race([exited, late]);
    clearTimeout(timer);
    return code;
  };

  return {
    waitForLine: (re, ms) => new Promise<boolean>((resolve) => {
      const check = () => { if (lines.some((l) => re.test(l))) finish(true); };
      const finish = (ok: boolean) => { clearTimeout(timer); waiters.delete(check); resolve(ok); };
      const timer = setTimeout(() => finish(false), ms);
      waiters.add(check);
      void exited.then(() => setImmediate(() => finish(lines.some((l) => re.test(l)))));
      check();
    }),
    exit,
    stop: (signal, ms) => {
      if (running()) proc.kill(signal);
      return exit(ms);
    },
  };
}

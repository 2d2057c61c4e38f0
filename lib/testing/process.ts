import { spawn, type ChildProcess } from 'node:child_process';
import { atExit } from './cleanup';
import { waitForPort } from './ports';

/**
 * One nats-server child process that can be stopped, killed and started again with the same arguments.
 * While it runs, it is SIGKILLed when the test process exits (see ./cleanup for when that cannot happen).
 */
export class NatsProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private log = '';
  /** The same function each start, so that the exit registry (a Set) holds it at most once. */
  private readonly exitKill = () => this.killNow();
  private cancelExitKill?: () => void;

  constructor(private readonly bin: string, private readonly args: string[], readonly port: number) {}

  get running(): boolean {
    // No pid: the spawn itself failed (its 'error' event says why).
    return !!this.child && this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process and waits until it accepts connections. */
  async start(timeoutMs = 10_000): Promise<void> {
    if (this.running) return;
    this.log = '';
    const child = spawn(this.bin, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (d: Buffer | string) => { this.log = (this.log + d.toString()).slice(-4000); };
    this.exited = new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (err) => { keep(String(err)); resolve(); });
    });
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.cancelExitKill = atExit(this.exitKill);
    try {
      await waitForPort(this.port, timeoutMs, () => this.running);
    } catch (err) {
      await this.kill();
      throw new Error(`${(err as Error).message}\n${this.log}`);
    }
  }

  /** Graceful stop (SIGTERM), escalating to SIGKILL after 5 s. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM', 5_000);
  }

  /** Abrupt stop (SIGKILL): clients see the connection drop, as on a crash. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL', 5_000);
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) the process: a frozen server keeps its sockets open but answers nothing. */
  freeze(frozen: boolean): void {
    if (this.running) this.child!.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
  }

  /** SIGKILLs the process without waiting for it to exit (for 'exit' handlers, which cannot wait). */
  killNow(): void {
    if (this.running) this.child!.kill('SIGKILL');
  }

  /** The last lines nats-server printed (for failure messages). */
  output(): string {
    return this.log;
  }

  private async signal(sig: NodeJS.Signals, graceMs: number): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.cancelExitKill?.();
    if (sig !== 'SIGKILL') child.kill('SIGCONT'); // a frozen server could not act on the signal
    child.kill(sig);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

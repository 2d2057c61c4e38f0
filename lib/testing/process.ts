import { spawn, type ChildProcess } from 'node:child_process';
import { waitForPort } from './ports';

/** One nats-server child process that can be stopped, killed and started again with the same arguments. */
export class NatsProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private log = '';
  private readonly onExit = () => this.child?.kill('SIGKILL');

  constructor(private readonly bin: string, private readonly args: string[], readonly port: number) {}

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process and waits until it accepts connections. */
  async start(timeoutMs = 10_000): Promise<void> {
    if (this.running) return;
    this.log = '';
    const child = spawn(this.bin, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const keep = (d: Buffer) => { this.log = (this.log + d.toString()).slice(-4000); };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    process.once('exit', this.onExit);
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

  /** The last lines nats-server printed (for failure messages). */
  output(): string {
    return this.log;
  }

  private async signal(sig: NodeJS.Signals, graceMs: number): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    process.removeListener('exit', this.onExit);
    child.kill(sig);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

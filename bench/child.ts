import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** A forked bench process with a typed IPC request helper. */
export class Child {
  readonly proc: ChildProcess;
  private readonly waiting: { type: string; resolve: (m: any) => void }[] = [];

  constructor(script: string, args: string[]) {
    this.proc = fork(join(__dirname, script), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--expose-gc', ...(process.env.BENCH_CHILD_ARGS?.split(' ') ?? [])] });
    this.proc.on('message', (m: any) => {
      const i = this.waiting.findIndex((w) => w.type === m.type);
      if (i >= 0) this.waiting.splice(i, 1)[0].resolve(m);
    });
  }

  /** Resolves with the next message of `type` (sending `msg` first, if given). */
  wait<T = any>(type: string, msg?: object): Promise<T> {
    const p = new Promise<T>((resolve) => this.waiting.push({ type, resolve }));
    if (msg) this.proc.send(msg);
    return p;
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.send({ type: 'stop' });
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(t);
  }
}

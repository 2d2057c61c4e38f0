import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** A service instance in a child process (test/fixtures/rpc-node.ts). */
export interface ChildNode { id: string; proc: ChildProcess; kill(): void }

/** Starts `rpc-node` for `name` on `servers`; resolves once it registered. Killed when the test process exits. */
export function startChildNode(servers: string, name: string): Promise<ChildNode> {
  const proc = spawn(process.execPath, [join(__dirname, '..', 'fixtures', 'rpc-node.js'), servers, name], { stdio: ['ignore', 'pipe', 'inherit'] });
  const onExit = () => proc.kill('SIGKILL');
  process.once('exit', onExit);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`child ${name} not ready in 10 s: ${out}`)); }, 10_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready (\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      proc.stdout!.removeAllListeners('data');
      resolve({ id: m[1], proc, kill: () => { process.removeListener('exit', onExit); proc.kill('SIGKILL'); } });
    });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`child ${name} exited with ${code}: ${out}`)); });
  });
}

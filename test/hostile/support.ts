/** Attack helpers: raw nats.js clients on loopback, bounded loops, and a service in a heap-capped child. */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInbox, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { waitFor } from '../support/wait';

/** What the child service reports: heap used after a full GC, and server-side sockets kept. */
export interface Stats { heap: number; sockets: number }

/** The service of test/fixtures/hostile-node.ts in a child with `heapMiB` of heap. */
export interface Target { address: string; stats(): Promise<Stats>; kill(): void }

export function startTarget(servers: string, heapMiB: number, idleTimeout: number, maxSockets: number): Promise<Target> {
  const proc: ChildProcess = fork(join(__dirname, '..', 'fixtures', 'hostile-node.js'), [servers, String(idleTimeout), String(maxSockets)],
    { execArgv: ['--expose-gc', `--max-old-space-size=${heapMiB}`], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const kill = () => proc.kill('SIGKILL');
  process.once('exit', kill);
  let exited: Error | undefined;
  proc.once('exit', (code) => { exited = new Error(`target exited with ${code}`); });
  const stats = () => new Promise<Stats>((resolve, reject) => {
    if (exited) return reject(exited);
    proc.once('message', (m) => resolve(m as Stats));
    proc.send('stats');
  });
  return new Promise((resolve, reject) => {
    proc.once('message', (m) => resolve({ address: (m as { address: string }).address, stats, kill: () => { process.removeListener('exit', kill); kill(); } }));
    proc.once('exit', (code) => reject(new Error(`target exited with ${code} before it started`)));
  });
}

/**
 * Sends `n` requests to `subject`, each with its own reply subject (as nats.js `request()` and go-micro
 * callers do), at most `window` unanswered at a time when `answered`; resolves with the replies received.
 */
export async function flood(nc: NatsConnection, subject: string, n: number, headers: MsgHdrs, body: Uint8Array,
                            opts: { answered: boolean; window?: number } = { answered: true }): Promise<number> {
  const prefix = createInbox();
  let replies = 0;
  const sub = nc.subscribe(`${prefix}.*`, { callback: () => { replies++; } });
  const window = opts.window ?? 2_000;
  for (let i = 0; i < n; i++) {
    nc.publish(subject, body, { reply: `${prefix}.${i}`, headers });
    if (i % 500 !== 499) continue;
    await nc.flush();
    if (opts.answered) await waitFor(() => replies >= i - window, 'replies to catch up', 20_000);
  }
  await nc.flush();
  if (opts.answered) await waitFor(() => replies >= n, `${n} replies`, 20_000);
  sub.unsubscribe();
  return replies;
}

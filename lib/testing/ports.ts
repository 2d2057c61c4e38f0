import { createServer, connect } from 'node:net';

/** Below the ephemeral ranges of Linux (32768+), macOS and Windows (49152+): see {@link freePort}. */
const LOW = 20_000;
const HIGH = 32_000;

/**
 * A free TCP port on 127.0.0.1. Tried first at random below the ephemeral range: a port that binding
 * port 0 returns is an ephemeral one, which any outgoing connection on the host may take before
 * nats-server binds it ("address already in use" when tests run in parallel). Port 0 is the fallback.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await tryPort(LOW + Math.floor(Math.random() * (HIGH - LOW)));
    if (port) return port;
  }
  return (await tryPort(0))!;
}

/** Binds and releases `port` (0: any); undefined when that port cannot be bound. */
function tryPort(port: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', (err) => (port ? resolve(undefined) : reject(err)));
    srv.listen(port, '127.0.0.1', () => {
      const bound = (srv.address() as { port: number }).port;
      srv.close(() => resolve(bound));
    });
  });
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port; rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!alive()) throw new Error(`nats-server on port ${port} exited before accepting connections`);
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nats-server on port ${port} did not accept connections within ${timeoutMs} ms`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host: '127.0.0.1' });
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}

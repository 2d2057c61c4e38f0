import { get } from 'node:http';

function numRoutes(mport: number): Promise<number> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port: mport, path: '/routez' }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => {
        try { resolve(Number(JSON.parse(body).num_routes) || 0); } catch { resolve(0); }
      });
    });
    req.on('error', () => resolve(0));
    req.setTimeout(1_000, () => { req.destroy(); resolve(0); });
  });
}

/** Waits until every server (by monitoring port) reports at least `want` routes. */
export async function waitForRoutes(mports: number[], want: number, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const counts = await Promise.all(mports.map(numRoutes));
    if (counts.every((c) => c >= want)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nats cluster routes not up within ${timeoutMs} ms (wanted ${want} per server)`);
}

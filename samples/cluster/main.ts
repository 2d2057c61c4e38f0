/**
 * Failover on a NATS cluster: two instances of a service on different nodes of a 3-node cluster, a client
 * on the third keeps 16 calls in flight while the node under one instance is killed. Every NATS
 * connection is given only its own node's URL; nats.js learns the others from the cluster.
 *
 * Run: node dist/samples/cluster/main.js   (starts its own cluster: needs the nats-server binary)
 */
import 'reflect-metadata';
import { Container, inject } from 'inversify';
import { IsInt, Min } from 'class-validator';
import { bootstrap, Handler, MicroError, Service, type App } from 'micro-nats';
import { startNatsCluster } from 'micro-nats/testing';

class EchoRequest {
  @IsInt() @Min(0) n!: number;
}

const INSTANCE = Symbol.for('samples.cluster.instance');

@Service('echo')
export class Echo {
  constructor(@inject(INSTANCE) private readonly instance: string) {}

  // Echoing twice is harmless: callers may re-send a call whose node died before it answered.
  @Handler({ idempotent: true })
  async echo(req: EchoRequest) {
    return { n: req.n, by: this.instance };
  }
}

export interface Tally { made: number; failed: number; errors: string[]; served: Record<string, { before: number; after: number }> }

export async function main(print: (line: string) => void = console.log): Promise<Tally> {
  const cluster = await startNatsCluster(3);
  const apps: App[] = [];
  const tally: Tally = { made: 0, failed: 0, errors: [], served: { A: { before: 0, after: 0 }, B: { before: 0, after: 0 } } };
  try {
    print(`A 3-node NATS cluster: ${cluster.urls.join(', ')}`);
    // argv and env are left out on purpose: this sample's addresses are its own cluster's.
    const on = (node: number) => ({ address: cluster.urls[node], argv: [], env: {} });
    for (const [name, node] of [['A', 0], ['B', 1]] as const) {
      const container = new Container();
      container.bind(INSTANCE).toConstantValue(name);
      // A heartbeat every second (default 30 s), so that the client soon hears of A again after its node dies.
      apps.push(await bootstrap({ services: [Echo], container, registerInterval: 1_000, ...on(node) }));
    }
    const app = await bootstrap({ ...on(2), client: { retries: 2, timeout: 5_000 } });
    apps.push(app);
    await until(async () => (await app.registry.getService('echo').catch(() => []))[0]?.nodes.length === 2, 'both instances');
    print('echo instance A is on node 0, instance B on node 1, the client on node 2.');

    let killed = false;
    let done = false;
    const worker = async () => {
      while (!done) {
        const n = tally.made++;
        try {
          const r = await app.client.call<{ by: 'A' | 'B' }>('echo', 'Echo.echo', { n });
          tally.served[r.by][killed ? 'after' : 'before']++;
        } catch (err) {
          tally.failed++;
          tally.errors.push(err instanceof MicroError ? `${err.code} ${err.detail}` : String(err));
        }
      }
    };
    print('Calling Echo.echo with 16 calls in flight, retries: 2 ...');
    const load = Promise.all(Array.from({ length: 16 }, worker));
    try {
      await until(() => tally.made >= 500, 'calls under way');
      await cluster.kill(0);
      killed = true;
      print(`Killed node 0 (SIGKILL) after ${tally.made} calls; B takes over while A reconnects to a surviving node.`);
      // Keep calling until A serves again, through another node: its inbox address works anywhere in the cluster.
      await until(() => tally.served.A.after >= 100, 'A to serve again');
    } finally {
      done = true;
      await load;
    }

    const { A, B } = tally.served;
    print(`Calls made: ${tally.made}, failed: ${tally.failed}`);
    print(`  served by A: ${A.before} before the kill, ${A.after} after; by B: ${B.before} before, ${B.after} after`);
    for (const e of tally.errors.slice(0, 3)) print(`  failure: ${e}`);
    print('A is back: its connection moved to a surviving node and its next heartbeat put it back in the client\'s cache.');
  } finally {
    for (const a of apps.reverse()) await a.stop();
    await cluster.stop();
  }
  return tally;
}

/** Polls `cond` until it holds; throws after `ms`. */
async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !(await cond()); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
  }
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(`cluster sample failed: ${err.message}`);
    process.exit(1);
  });
}

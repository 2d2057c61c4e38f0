/**
 * Quick registry latency figures on one local nats-server: cold getService (100 ms window vs quorum=1),
 * cached lookups (CachedRegistry.getService, lookup) and selector select+next.
 * Run: npx tsc -p . ; node dist/bench/registry-quick.js
 */
import { CachedRegistry } from '../lib/registry/cache';
import { NatsRegistry } from '../lib/registry/nats';
import { RegistrySelector } from '../lib/selector/registry';
import { startNatsServer } from '../lib/testing';

const ROUNDS_COLD = 20;
const LOOKUPS = 100_000;

function svc(name: string, id: string) {
  return { name, version: '1.0.0', metadata: {}, endpoints: [{ name: 'Greeter.hello', metadata: {} }], nodes: [{ id, address: `_INBOX.${id}`, metadata: { protocol: 'mucp' } }] };
}

async function main(): Promise<void> {
  const server = await startNatsServer();
  const holders = [new NatsRegistry({ servers: server.url }), new NatsRegistry({ servers: server.url }), new NatsRegistry({ servers: server.url })];
  const plainAsker = new NatsRegistry({ servers: server.url });
  const quorumAsker = new NatsRegistry({ servers: server.url, quorum: 1 });
  const cached = new CachedRegistry(new NatsRegistry({ servers: server.url }));
  const selector = new RegistrySelector({ registry: cached, strategy: 'roundRobin' });
  try {
    for (const [i, h] of holders.entries()) await h.register(svc('greeter', `greeter-${i}`));
    await plainAsker.getService('greeter'); // connect
    await quorumAsker.getService('greeter');

    const cold = async (r: NatsRegistry, rounds: number) => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < rounds; i++) await r.getService('greeter');
      return Number(process.hrtime.bigint() - t0) / 1e6 / rounds;
    };
    const coldWindow = await cold(plainAsker, ROUNDS_COLD);
    const coldQuorum = await cold(quorumAsker, 200);

    await cached.getService('greeter');
    let t0 = process.hrtime.bigint();
    for (let i = 0; i < LOOKUPS; i++) await cached.getService('greeter');
    const cachedAsync = Number(process.hrtime.bigint() - t0) / 1e3 / LOOKUPS;

    let n = 0;
    t0 = process.hrtime.bigint();
    for (let i = 0; i < LOOKUPS; i++) n += cached.lookup('greeter')!.length;
    const cachedSync = Number(process.hrtime.bigint() - t0) / 1e3 / LOOKUPS;

    t0 = process.hrtime.bigint();
    for (let i = 0; i < LOOKUPS; i++) n += (await selector.select('greeter'))().id.length;
    const selectNext = Number(process.hrtime.bigint() - t0) / 1e3 / LOOKUPS;

    console.log(`cold getService, 3 nodes, timeout 100 ms, quorum 0: ${coldWindow.toFixed(2)} ms (avg of ${ROUNDS_COLD})`);
    console.log(`cold getService, 3 nodes, quorum 1:               ${coldQuorum.toFixed(3)} ms (avg of 200)`);
    console.log(`cached getService (await):                        ${cachedAsync.toFixed(3)} µs (avg of ${LOOKUPS})`);
    console.log(`cached lookup (sync):                             ${cachedSync.toFixed(3)} µs (avg of ${LOOKUPS})`);
    console.log(`selector select + next (roundRobin, cached):      ${selectNext.toFixed(3)} µs (avg of ${LOOKUPS}) [${n > 0 ? 'ok' : ''}]`);
  } finally {
    await selector.close();
    await cached.close();
    for (const r of [...holders, plainAsker, quorumAsker, cached.registry]) await r.close();
    await server.stop();
  }
}

main().catch((err) => { console.error(err); process.exit(1); });

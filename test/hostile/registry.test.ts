/**
 * Registry announcements from anyone on the NATS: a flood of fresh node ids and nodes with unusable
 * addresses. The caller's cache stays bounded, bad nodes are never selected, and calls keep succeeding.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { buildComponents, type Components } from '../../lib/components';
import { DEFAULT_CACHE_MAX_NODES, DEFAULT_WATCH_TOPIC } from '../../lib/config/defaults';
import { Codecs } from '../../lib/codec';
import { JsonCodec } from '../../lib/codec/json';
import { RpcClient } from '../../lib/client/rpc';
import type { Node, NodeCache, Service } from '../../lib/registry';
import { encodeJSON, toResult } from '../../lib/registry/wire';
import type { Selector } from '../../lib/selector';
import { NatsTransport } from '../../lib/transport/nats';
import { natsUrl } from '../support/nats';
import { sleep, waitFor } from '../support/wait';

const BAD_ADDRESSES = ['>', '*', 'foo.*', 'foo.>', '', 'has space', 'a..b', 'x'.repeat(300)];

function nodes(view: readonly Service[] | undefined): Node[] {
  return (view ?? []).flatMap((s) => s.nodes);
}

describe('Hostile: registry announcements', function () {
  this.timeout(60_000);
  let server: Components;
  let caller: Components;
  let nc: NatsConnection;
  const name = `flooded-${process.pid}`;
  let real: Service;

  before(async () => {
    const stack = () => buildComponents({ transportAddress: natsUrl(), brokerAddress: natsUrl(), registryAddress: natsUrl(), adr32: { enabled: false } });
    server = stack();
    caller = stack();
    const s = server.server({ name });
    s.handle('Echo.call', (req: unknown) => req);
    await s.start();
    real = s.service();
    nc = await connect({ servers: natsUrl() });
    expect(await caller.client.call(name, 'Echo.call', { v: 0 })).to.deep.equal({ v: 0 });  // cached, watch up
  });
  after(async () => {
    await nc?.close();
    await caller?.close();
    await server?.close();
  });

  const announce = (ns: Node[]) => nc.publish(DEFAULT_WATCH_TOPIC, encodeJSON(toResult('update', { ...real, nodes: ns })));
  const cache = () => caller.registry as NodeCache;

  it('never keeps or selects a node whose address is not a publish subject', async () => {
    announce(BAD_ADDRESSES.map((address, i) => ({ id: `bad-${i}`, address, metadata: { ...real.nodes[0].metadata } })));
    announce([{ id: 'long-id-'.repeat(100), address: real.nodes[0].address, metadata: {} }]);
    await nc.flush();
    await sleep(200);
    expect(nodes(cache().lookup(name)).map((n) => n.id)).to.deep.equal([real.nodes[0].id]);
    for (let i = 0; i < 100; i++) expect(await caller.client.call(name, 'Echo.call', { v: i })).to.deep.equal({ v: i });
  });

  it('holds at most maxNodes nodes under a flood of 120,000 fresh node ids while calls keep succeeding', async () => {
    const address = real.nodes[0].address;
    let calls = 0;
    for (let round = 0; round < 20; round++) {
      announce(Array.from({ length: 6_000 }, (_, i) => ({ id: `fake-${round}-${i}`, address, metadata: { server: 'micro-nats' } })));
      for (let i = 0; i < 15; i++, calls++) expect(await caller.client.call(name, 'Echo.call', { v: i })).to.deep.equal({ v: i });
    }
    await nc.flush();
    await waitFor(() => nodes(cache().lookup(name)).length === DEFAULT_CACHE_MAX_NODES, 'the cache full');
    await sleep(200);
    const held = nodes(cache().lookup(name));
    expect(held).to.have.length(DEFAULT_CACHE_MAX_NODES);
    expect(held.map((n) => n.id)).to.include(real.nodes[0].id);  // known first, never pushed out
    expect(calls).to.equal(300);
  });
});

describe('Hostile: a node whose address the transport refuses', () => {
  it('moves on to another node instead of failing the call with 400', async () => {
    const c = buildComponents({ transportAddress: natsUrl(), registry: 'memory', broker: 'memory', adr32: { enabled: false } });
    const s = c.server({ name: `direct-${process.pid}` });
    s.handle('Echo.call', (req: unknown) => req);
    await s.start();
    const good: Node = { id: 'good', address: s.service().nodes[0].address, metadata: { server: 'micro-nats' } };
    const marked: unknown[] = [];
    // A selector without a validating cache in front (any third-party registry): the bad node comes first.
    const selector: Selector = {
      select: async () => { let i = 0; return () => [{ id: 'bad', address: 'foo.*', metadata: { server: 'micro-nats' } }, good][i++ % 2]; },
      mark: (_s, node, err) => { if (err) marked.push(node.id); },
      reset: () => undefined,
      close: async () => undefined,
      toString: () => 'stub',
    };
    const transport = new NatsTransport({ servers: natsUrl() });
    const client = new RpcClient({ transport, selector, codecs: new Codecs([new JsonCodec()]) });
    try {
      expect(await client.call(s.name, 'Echo.call', { v: 1 }, { retries: 1 })).to.deep.equal({ v: 1 });
      expect(marked).to.deep.equal(['bad']);
    } finally {
      await client.close();
      await transport.close();
      await c.close();
    }
  });
});

interface CallerStats { heap: number; ok: number; failed: number; nodes: number }

/** test/fixtures/hostile-caller.ts in a child with `heapMiB` of heap, calling `service` once started. */
function startCaller(service: string, heapMiB: number): Promise<{ stats(): Promise<CallerStats>; start(): void; kill(): void }> {
  const proc: ChildProcess = fork(join(__dirname, '..', 'fixtures', 'hostile-caller.js'), [natsUrl(), service],
    { execArgv: ['--expose-gc', `--max-old-space-size=${heapMiB}`], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const kill = () => proc.kill('SIGKILL');
  process.once('exit', kill);
  let exited: Error | undefined;
  proc.once('exit', (code, signal) => { exited = new Error(`caller exited with ${code ?? signal}`); });
  const stats = () => new Promise<CallerStats>((resolve, reject) => {
    if (exited) return reject(exited);
    const onExit = () => reject(exited);
    proc.once('exit', onExit);
    proc.once('message', (m) => { proc.removeListener('exit', onExit); resolve(m as CallerStats); });
    proc.send('stats');
  });
  return new Promise((resolve, reject) => {
    proc.once('message', () => resolve({ stats, start: () => proc.send('start'), kill: () => { process.removeListener('exit', kill); kill(); } }));
    proc.once('exit', (code) => reject(new Error(`caller exited with ${code} before it was ready`)));
  });
}

describe('Hostile: a caller in a heap-capped process under a node-id flood', function () {
  this.timeout(60_000);

  it('keeps its heap bounded under 12,000 fresh node ids per announcement, 5 a second, while its calls succeed', async () => {
    const name = `capped-${process.pid}`;
    const server = buildComponents({ address: natsUrl(), adr32: { enabled: false } });
    const s = server.server({ name });
    s.handle('Echo.call', (req: unknown) => req);
    await s.start();
    const real = s.service();
    const nc = await connect({ servers: natsUrl() });
    const caller = await startCaller(name, 64);
    try {
      caller.start();
      await sleep(300);  // warm-up: code paths compiled, buffers grown
      const before = await caller.stats();
      const address = real.nodes[0].address;
      // 12 000 nodes with short ids and empty metadata: ~700 KiB, inside NATS's 1 MiB max_payload.
      for (let round = 0; round < 20; round++) {
        const ns = Array.from({ length: 12_000 }, (_, i) => ({ id: `f${round}-${i}`, address, metadata: {} }));
        nc.publish(DEFAULT_WATCH_TOPIC, encodeJSON(toResult('update', { ...real, nodes: ns })));
        await nc.flush();
        await sleep(200);
      }
      await sleep(300);
      const after = await caller.stats();
      expect(after.nodes).to.equal(DEFAULT_CACHE_MAX_NODES);
      expect(after.failed).to.equal(0);
      // Calls kept going through the flood (~4 s): at least a few hundred, not the ~10 a second of a rebuilt cache.
      expect(after.ok - before.ok).to.be.above(400);
      // 240 000 ids held would be > 30 MiB; the cache holds 256 nodes.
      expect(after.heap - before.heap).to.be.below(8 * 1024 * 1024);
    } finally {
      caller.kill();
      await nc.close();
      await server.close();
    }
  });
});

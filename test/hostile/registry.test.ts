/**
 * Registry announcements from anyone on the NATS: a flood of fresh node ids and nodes with unusable
 * addresses. The caller's cache stays bounded, bad nodes are never selected, and calls keep succeeding.
 */
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

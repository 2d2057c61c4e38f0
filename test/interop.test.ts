/**
 * One micro-nats client, three kinds of service: a go-micro service (a wire-level peer, test/fixtures/gomicro),
 * a service written with `@nats-io/services` (NATS Service API only) and a micro-nats service. All are found by
 * name, called through `client.call` and typed proxies, listed by the registry and shown by the CLI.
 */
import { expect } from 'chai';
import { connect, createInbox, type NatsConnection } from '@nats-io/transport-node';
import { Svcm, type Service as NatsService } from '@nats-io/services';
import { bootstrap, Handler, Service, type App } from '../index';
import { startNatsServer, type NatsServer } from '../lib/testing';
import { GENERATIONS } from './fixtures/gomicro/generations';
import { service } from './fixtures/gomicro/frames';
import { GoMicroPeer } from './fixtures/gomicro/peer';
import { runCli } from './support/cli';

const GM = 'interop-gomicro';
const ADR = 'interop-adr32';
const MN = 'interop-micronats';

interface Greeter { 'Greeter.Hello'(req: { name: string }): { msg: string } }
interface Adder { add(req: { a: number; b: number }): { sum: number } }
interface Echo { echo(req: { text: string }): { text: string } }

@Service({ name: MN, version: '1.0.0' })
class MicroNats {
  @Handler() echo(req: { text: string }) { return { text: req.text }; }
}

describe('one micro-nats client calls go-micro, NATS Service API and micro-nats services alike', function () {
  this.timeout(15_000);
  let nats: NatsServer;
  let nc: NatsConnection;
  let adr: NatsService;
  let server: App;
  let client: App;

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    // go-micro.dev/v5 as it registers and serves on NATS, played at the wire.
    const peer = new GoMicroPeer(nc, GENERATIONS[GENERATIONS.length - 1]);
    const addr = createInbox();
    peer.serve(addr, { unary: (r) => ({ msg: `hello ${(r as { name: string }).name}` }) });
    await peer.register(service(GM, addr, { endpoint: 'Greeter.Hello' }));
    adr = await new Svcm(nc as any).add({ name: ADR, version: '2.0.0' });
    adr.addEndpoint('add', { handler: (err, m) => { if (!err) { const r = m.json<{ a: number; b: number }>(); m.respond(JSON.stringify({ sum: r.a + r.b })); } } });
    server = await bootstrap({ services: [MicroNats], address: nats.url, argv: [], env: {}, logLevel: 'silent' });
    client = await bootstrap({ address: nats.url, argv: [], env: {}, logLevel: 'silent' });
  });
  after(async () => {
    await client?.stop();
    await server?.stop();
    await adr?.stop();
    await nc?.close();
    await nats?.stop();
  });

  it('calls each by name with client.call', async () => {
    expect(await client.client.call(GM, 'Greeter.Hello', { name: 'ann' })).to.deep.equal({ msg: 'hello ann' });
    expect(await client.client.call(ADR, 'add', { a: 20, b: 22 })).to.deep.equal({ sum: 42 });
    expect(await client.client.call(MN, 'MicroNats.echo', { text: 'hi' })).to.deep.equal({ text: 'hi' });
  });

  it('calls each by name through a typed proxy', async () => {
    expect(await client.client.proxy<Greeter>(GM)['Greeter.Hello']({ name: 'bo' })).to.deep.equal({ msg: 'hello bo' });
    expect(await client.client.proxy<Adder>(ADR).add({ a: 1, b: 2 })).to.deep.equal({ sum: 3 });
    expect(await client.client.proxy<Echo>(MN).echo({ text: 'yo' })).to.deep.equal({ text: 'yo' });
  });

  it('lists all three with app.registry.listServices(), each once', async () => {
    const names = (await client.registry.listServices()).map((s) => s.name).filter((n) => n.startsWith('interop-'));
    expect(names.sort()).to.deep.equal([ADR, GM, MN]);
  });

  it('gathers registry answers for registryTimeout ms (--registry_timeout, MICRO_REGISTRY_TIMEOUT)', async () => {
    const slow = await bootstrap({ address: nats.url, argv: ['--registry_timeout', '300ms'], env: {}, logLevel: 'silent', registryTimeout: 50 });
    try {
      expect(slow.registry.options()).to.include({ timeout: 300 });
    } finally {
      await slow.stop();
    }
    const bad = await runCli(['services', '--registry_timeout', '5'], { NATS_URL: nats.url });
    expect(bad.code, 'a duration without a unit is a usage error').to.equal(1);
    expect(bad.stderr).to.include('--registry_timeout');
  });

  it('the CLI shows each with its protocol', async () => {
    const r = await runCli(['services', '--json', '--registry_timeout', '1s'], { NATS_URL: nats.url });
    expect(r.code, r.stderr).to.equal(0);
    const rows = (JSON.parse(r.stdout) as Array<{ name: string; protocols: string[] }>).filter((x) => x.name.startsWith('interop-'));
    expect(Object.fromEntries(rows.map((x) => [x.name, x.protocols]))).to.deep.equal({ [GM]: ['go-micro'], [ADR]: ['ADR-32'], [MN]: ['micro-nats'] });
  });
});

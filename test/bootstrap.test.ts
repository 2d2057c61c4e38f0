import 'reflect-metadata';
import { expect } from 'chai';
import { inject, Container } from 'inversify';
import { IsInt, IsString, Min, MinLength } from 'class-validator';
import { Exclude } from 'class-transformer';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Service, Handler, Subscribe, InjectClient, bootstrap, HelpRequested, MicroError, TYPES } from '../index';
import { envName, FLAGS } from '../lib/config';
import type { App, Broker, Context, ServiceClient, Event } from '../index';
import { natsUrl } from './support/nats';
import { rejection, sleep, waitFor } from './support/wait';
import { connections } from './support/connz';
import { startNatsServer, type NatsServer } from '../lib/testing';

class HelloRequest { @IsString() @MinLength(1) name!: string }
class UserCreated { @IsInt() @Min(1) id!: number }
class Account {
  constructor(public user: string, secret: string) { this.secret = secret; }
  @Exclude() secret: string;
}

const GREETING = Symbol.for('test.greeting');
const seen: { events: number[]; byApp: Record<string, number>; eventCtx?: Context } = { events: [], byApp: {} };

@Service({ name: 'greeter', version: '1.0.0', metadata: { team: 'core' } })
class Greeter {
  constructor(@inject(TYPES.Broker) readonly broker: Broker, @inject(GREETING) private readonly greeting: string) {}

  @Handler()
  async hello(req: HelloRequest, ctx: Context) { return { msg: `${this.greeting} ${req.name}`, endpoint: ctx.endpoint }; }

  @Handler()
  async account(req: HelloRequest) { return new Account(req.name, 'hunter2'); }

  @Handler()
  async *count(req: { n: number }) { for (let i = 0; i < req.n; i++) yield i; }

  @Handler()
  async slow(req: { ms: number }) { await sleep(req.ms); return { greeting: this.greeting }; }

  @Handler()
  async strict(req: HelloRequest) { return { keys: Object.keys(req) }; }

  @Subscribe('user.created', { queue: 'greeter' })
  async onUserCreated(evt: UserCreated, ctx: Context) {
    seen.events.push(evt.id);
    seen.eventCtx = ctx;
    seen.byApp[this.greeting] = (seen.byApp[this.greeting] ?? 0) + 1;
  }
}

@Service('frontend')
class Frontend {
  @InjectClient(Greeter) private readonly greeter!: ServiceClient<Greeter>;
  @InjectClient('greeter') private readonly byName!: ServiceClient<Greeter>;

  @Handler() async welcome(req: HelloRequest) { return this.greeter.hello({ name: req.name }); }
  @Handler() async welcomeByName(req: HelloRequest) { return this.byName.hello({ name: req.name }); }
}

class NotAService { @Handler() x() { return 1; } }

function nats(extra: Record<string, unknown> = {}) {
  return { address: natsUrl(), argv: [], env: {}, ...extra };
}
function withGreeting(): Container {
  const c = new Container();
  c.bind(GREETING).toConstantValue('Hello');
  return c;
}

describe('bootstrap: the README example', () => {
  let app: App;
  before(async () => { app = await bootstrap({ services: [Greeter, Frontend], container: withGreeting(), ...nats() }); });
  after(async () => { await app.stop(); });

  it('calls Greeter.hello by name', async () => {
    const r = await app.client.call('greeter', 'Greeter.hello', { name: 'John' }, { timeout: 2000, retries: 1 });
    expect(r).to.deep.equal({ msg: 'Hello John', endpoint: 'Greeter.hello' });
  });

  it('calls through a typed proxy of the class and of the name', async () => {
    expect(await app.client.proxy(Greeter).hello({ name: 'John' })).to.deep.equal({ msg: 'Hello John', endpoint: 'Greeter.hello' });
    expect((await app.client.proxy<Greeter>('greeter').hello({ name: 'Ann' })).msg).to.equal('Hello Ann');
  });

  it('lets a Frontend handler call Greeter through injected clients', async () => {
    expect((await app.client.proxy(Frontend).welcome({ name: 'Bo' })).msg).to.equal('Hello Bo');
    expect((await app.client.proxy(Frontend).welcomeByName({ name: 'Cy' })).msg).to.equal('Hello Cy');
  });

  it('streams an async-generator handler through the proxy', async () => {
    const got: number[] = [];
    for await (const n of app.client.proxy(Greeter).count({ n: 5 })) got.push(n);
    expect(got).to.deep.equal([0, 1, 2, 3, 4]);
  });

  it('answers 400 with field errors when the DTO is invalid', async () => {
    const err = await rejection(app.client.call('greeter', 'Greeter.hello', { name: '' }));
    expect(err).to.be.instanceOf(MicroError);
    expect(err.code).to.equal(400);
    expect(err.errors).to.deep.equal([{ property: 'name', constraints: { minLength: 'name must be longer than or equal to 1 characters' } }]);
  });

  it('hides @Exclude fields of a returned class instance', async () => {
    expect(await app.client.call('greeter', 'Greeter.account', { name: 'eve' })).to.deep.equal({ user: 'eve' });
  });

  it('injects the user bindings and the components', async () => {
    const g = app.container.get(Greeter);
    expect(g.broker).to.equal(app.broker);
    expect(app.container.get(TYPES.Registry)).to.equal(app.registry);
  });

  it('registers the service with version, metadata, endpoints and DTO schemas', async () => {
    const [svc] = await app.registry.getService('greeter');
    expect(svc.version).to.equal('1.0.0');
    expect(svc.metadata).to.include({ team: 'core' });
    const hello = svc.endpoints.find((e) => e.name === 'Greeter.hello')!;
    expect(hello.request).to.deep.include({ type: 'HelloRequest' });
    expect(hello.request!.values!.map((v) => v.name)).to.deep.equal(['name']);
    expect(svc.endpoints.find((e) => e.name === 'Greeter.count')!.metadata).to.include({ stream: 'true' });
    expect(svc.nodes[0].metadata).to.include({ server: 'micro-nats', transport: 'nats', protocol: 'mucp' });
  });

  it('delivers an event to @Subscribe with a validated DTO and context', async () => {
    seen.events = [];
    await app.client.publish('user.created', { id: 7 }, { metadata: { 'X-App': 'one' } });
    await waitFor(() => seen.events.includes(7), 'the event');
    expect(seen.eventCtx!.endpoint).to.equal('user.created');
    expect(seen.eventCtx!.metadata['x-app']).to.equal('one');
  });
});

describe('bootstrap: events across two app instances', () => {
  it('handles each event once across a queue group of two instances', async () => {
    const hi = new Container();
    hi.bind(GREETING).toConstantValue('Hi');
    const a = await bootstrap({ services: [Greeter], container: withGreeting(), ...nats() });
    const b = await bootstrap({ services: [Greeter], container: hi, ...nats() });
    seen.events = [];
    seen.byApp = {};
    for (let i = 1; i <= 200; i++) await a.client.publish('user.created', { id: i });
    await waitFor(() => seen.events.length >= 200, '200 events');
    await sleep(100);
    expect(seen.events.length).to.equal(200);
    expect(new Set(seen.events).size).to.equal(200);
    expect(seen.byApp.Hello).to.be.greaterThan(20);
    expect(seen.byApp.Hi).to.be.greaterThan(20);
    expect(seen.byApp.Hello + seen.byApp.Hi).to.equal(200);
    await a.stop();
    await b.stop();
  });

  it('reports an invalid event DTO to the error handler and keeps subscribing', async () => {
    const failed: Event[] = [];
    const app = await bootstrap({ services: [Greeter], container: withGreeting(), errorHandler: (e) => { failed.push(e); }, ...nats() });
    seen.events = [];
    await app.client.publish('user.created', { id: 'not a number' });
    await waitFor(() => failed.length === 1, 'the error handler');
    expect((failed[0].error() as MicroError).code).to.equal(400);
    await app.client.publish('user.created', { id: 9 });
    await waitFor(() => seen.events.includes(9), 'the next valid event');
    await app.stop();
  });
});

describe('bootstrap: lifecycle and isolation', () => {
  it('stop() is idempotent', async () => {
    const app = await bootstrap({ services: [Greeter], container: withGreeting(), ...nats() });
    await Promise.all([app.stop(), app.stop()]);
    await app.stop();
    const err = await rejection(app.client.call('greeter', 'Greeter.hello', { name: 'x' }, { timeout: 300 }));
    expect(err).to.be.instanceOf(MicroError);
    expect(err.code).to.equal(503);
    expect(err.detail).to.contain('greeter');
  });

  it('runs two bootstraps in one process without interfering', async () => {
    const c1 = withGreeting();
    const c2 = new Container();
    c2.bind(GREETING).toConstantValue('Hi');
    const a = await bootstrap({ services: [Greeter], container: c1, ...nats({ argv: ['--server_name', 'greeter-a'] }) });
    const b = await bootstrap({ services: [Greeter], container: c2, ...nats({ argv: ['--server_name', 'greeter-b'] }) });
    expect((await a.client.call<{ msg: string }>('greeter-b', 'Greeter.hello', { name: 'x' })).msg).to.equal('Hi x');
    expect((await b.client.call<{ msg: string }>('greeter-a', 'Greeter.hello', { name: 'x' })).msg).to.equal('Hello x');
    await a.stop();
    expect((await b.client.call<{ msg: string }>('greeter-b', 'Greeter.hello', { name: 'y' })).msg).to.equal('Hi y');
    await b.stop();
  });

  it('runs the same example on the memory implementations with no NATS', async () => {
    const app = await bootstrap({ services: [Greeter, Frontend], container: withGreeting(), transport: 'memory', broker: 'memory',
      registry: 'memory', address: 'nats://127.0.0.1:1', argv: [], env: {} });
    expect(app.transport.toString()).to.equal('memory');
    expect((await app.client.proxy(Frontend).welcome({ name: 'Mem' })).msg).to.equal('Hello Mem');
    seen.events = [];
    await app.client.publish('user.created', { id: 42 });
    await waitFor(() => seen.events.includes(42), 'the memory event');
    await app.stop();
  });
});

describe('bootstrap: configuration and misuse', () => {
  it('--help lists every flag with its variable and default: thrown as HelpRequested, or printed with exit 0 under signals', async () => {
    const err = await rejection(bootstrap({ argv: ['--help'], env: {} }));
    expect(err).to.be.instanceOf(HelpRequested);
    for (const { flag } of FLAGS) expect(err.message).to.match(new RegExp(`--${flag} +${envName(flag)} .*\\(default [^)]+\\)`));
    const child = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(join(__dirname, '..', 'index.js'))})`
      + `.bootstrap({ signals: true, argv: ['--help'] }).then(() => process.exit(3))`], { encoding: 'utf8' });
    expect(child.status, child.stderr).to.equal(0);
    expect(child.stdout).to.equal(err.message);
  });

  it('strips unknown DTO properties before the handler sees them (whitelist)', async () => {
    const app = await bootstrap({ services: [Greeter], container: withGreeting(), ...nats() });
    expect(await app.client.call('greeter', 'Greeter.strict', { name: 'a', admin: true })).to.deep.equal({ keys: ['name'] });
    await app.stop();
  });

  it('adds --server_metadata to the registered node and service', async () => {
    const app = await bootstrap({ services: [Greeter], container: withGreeting(), ...nats({ argv: ['--server_metadata', 'zone=eu', '--server_metadata=tier=gold'] }) });
    const [svc] = await app.registry.getService('greeter');
    expect(svc.metadata).to.include({ zone: 'eu', tier: 'gold', team: 'core' });
    expect(svc.nodes.map((n) => n.metadata.zone)).to.include('eu');
    await app.stop();
  });

  it('bounds calls with --client_request_timeout and rotates nodes with --selector roundRobin', async () => {
    const hi = new Container();
    hi.bind(GREETING).toConstantValue('Hi');
    const a = await bootstrap({ services: [Greeter], container: withGreeting(), ...nats({ argv: ['--server_name', 'rr-greeter'] }) });
    const b = await bootstrap({ services: [Greeter], container: hi, ...nats({ argv: ['--server_name', 'rr-greeter'] }) });
    const client = await bootstrap({ ...nats({ argv: ['--selector', 'roundRobin', '--client_request_timeout', '150ms', '--client_retries', '0'] }) });
    await waitFor(async () => (await client.registry.getService('rr-greeter').catch(() => []))[0]?.nodes.length === 2, 'both instances');
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) seen.push((await client.client.call<{ greeting: string }>('rr-greeter', 'Greeter.slow', { ms: 0 })).greeting);
    expect(seen.filter((g) => g === 'Hello')).to.have.length(5);
    expect(seen.filter((g) => g === 'Hi')).to.have.length(5);
    const err = await rejection(client.client.call('rr-greeter', 'Greeter.slow', { ms: 1_000 }));
    expect(err.code).to.equal(408);
    expect(err.detail).to.contain('150 ms');
    for (const app of [client, a, b]) await app.stop();
  });

  it('refuses --server_name when several services are given, naming the flag', async () => {
    const err = await rejection(bootstrap({ services: [Greeter, Frontend], container: withGreeting(), ...nats({ argv: ['--server_name', 'x'] }) }));
    expect(err.message).to.contain('--server_name').and.contain('2 services');
  });

  it('switches the registry with --registry=memory', async () => {
    const app = await bootstrap({ services: [Greeter], container: withGreeting(), ...nats({ argv: ['--registry=memory'] }) });
    expect(app.registry.toString()).to.equal('memory');
    expect((await app.client.call<{ msg: string }>('greeter', 'Greeter.hello', { name: 'r' })).msg).to.equal('Hello r');
    await app.stop();
  });

  it('switches the broker with MICRO_BROKER=memory', async () => {
    const app = await bootstrap({ services: [Greeter], container: withGreeting(), ...nats({ env: { MICRO_BROKER: 'memory' } }) });
    expect(app.broker.toString()).to.equal('memory');
    await app.stop();
  });

  it('dials the servers of --transport_address and names them when none answers', async () => {
    const err = await rejection(bootstrap({ services: [Greeter], container: withGreeting(), ...nats({
      argv: ['--transport_address=nats://127.0.0.1:1,nats://127.0.0.1:2', '--connect_timeout=0'], nats: { reconnect: false, maxReconnectAttempts: 0, timeout: 500 } }) }));
    expect(err.code).to.equal(503);
    expect(err.detail).to.contain('nats://127.0.0.1:1').and.contain('nats://127.0.0.1:2');
  });

  it('fails for a class passed to bootstrap without @Service, naming it', async () => {
    const err = await rejection(bootstrap({ services: [NotAService], ...nats() }));
    expect(err.message).to.contain('NotAService');
  });

  it('fails for an unknown transport name, listing the accepted ones', async () => {
    const err = await rejection(bootstrap({ services: [Greeter], ...nats({ transport: 'carrier-pigeon' as never }) }));
    expect(err.message).to.match(/carrier-pigeon/).and.match(/nats/);
  });
});

describe('bootstrap: NATS connections', () => {
  let server: NatsServer;
  before(async () => { server = await startNatsServer({ monitor: true }); });
  after(async () => { await server.stop(); });

  it('shares one NATS connection among transport, broker, registry and several services, and closes it on stop', async () => {
    const app = await bootstrap({ services: [Greeter, Frontend], container: withGreeting(), address: server.url, argv: [], env: {} });
    expect((await app.client.proxy(Frontend).welcome({ name: 'One' })).msg).to.equal('Hello One');
    await app.client.publish('user.created', { id: 1 });
    expect(await connections(server.monitorUrl!)).to.equal(1);
    await app.stop();
    await waitFor(async () => (await connections(server.monitorUrl!)) === 0, 'the connection to close');
  });
});

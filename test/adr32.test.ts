/**
 * The NATS Service API (ADR-32) in both directions, against a real nats-server: `@nats-io/services`' own
 * client sees micro-nats services (replies validated against the NATS CLI's schemas, copied from
 * nats-io/jsm.go schemas/micro/v1 into test/fixtures/adr32), plain NATS requests call their endpoints,
 * and a service written with `@nats-io/services` is found and called by micro-nats.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import Ajv from 'ajv';
import { IsInt } from 'class-validator';
import { connect, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { Svcm, type Service as NatsService } from '@nats-io/services';
import { Handler, Service } from '../decorators';
import { bootstrap, type App } from '../lib/bootstrap';
import { resolveConfig } from '../lib/config';
import { Codes, conflict, MicroError } from '../lib/errors';
import { natsUrl } from './support/nats';
import { rejection } from './support/wait';

const SCHEMAS = join(__dirname, '..', '..', 'test', 'fixtures', 'adr32');
const ajv = new Ajv({ allErrors: true });
// RFC 3339 date-time, the one format the schemas use (ajv-formats would add it; this is all we need).
ajv.addFormat('date-time', (s: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(s) && !Number.isNaN(Date.parse(s)));
const validators = Object.fromEntries(['ping', 'info', 'stats'].map((v) =>
  [v, ajv.compile(JSON.parse(readFileSync(join(SCHEMAS, `${v}_response.json`), 'utf8')))]));

function expectValid(kind: 'ping' | 'info' | 'stats', reply: unknown): void {
  const ok = validators[kind](reply);
  expect(ok, `${kind} reply ${JSON.stringify(reply)}: ${ajv.errorsText(validators[kind].errors)}`).to.equal(true);
}

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const dec = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b));
const NAME = `calc-${process.pid}`;

class AddRequest { @IsInt() a!: number; @IsInt() b!: number }

@Service({ name: NAME, version: '1.2.3', description: 'adds numbers', metadata: { team: 'core' } })
class Calc {
  @Handler({ metadata: { kind: 'math' } })
  add(req: AddRequest) { return { sum: req.a + req.b }; }

  @Handler()
  async refuse(): Promise<never> { throw conflict(NAME, 'already added'); }

  @Handler({ subject: `custom.${NAME}.echo`, queueGroup: '' })
  echo(req: unknown) { return req; }

  @Handler()
  async *count() { yield 1; }
}

@Service(`plain-${process.pid}`)
class Plain {
  @Handler()
  hello() { return 'hi'; }
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('NATS Service API: micro-nats services seen by @nats-io/services', () => {
  let app: App;
  let nc: NatsConnection;
  let svcm: Svcm;
  before(async () => {
    app = await bootstrap({ services: [Calc, Plain], address: natsUrl(), argv: [], env: {} });
    nc = await connect({ servers: natsUrl() });
    svcm = new Svcm(nc as any);
  });
  after(async () => { await nc?.close(); await app?.stop(); });

  const client = () => svcm.client({ strategy: 'timer', maxWait: 300 } as any);

  it('answers PING, INFO and STATS for every service, by name and by id, with schema-valid replies', async () => {
    const pings = (await all(await client().ping())) as any[];
    const ours = pings.filter((p) => p.name === NAME || p.name === `plain-${process.pid}`);
    expect(ours.map((p) => p.name).sort()).to.deep.equal([NAME, `plain-${process.pid}`].sort());
    for (const p of ours) expectValid('ping', p);
    const id = ours.find((p) => p.name === NAME).id;
    for (const verb of ['ping', 'info', 'stats'] as const) {
      for (const args of [[NAME], [NAME, id]] as [string, string?][]) {
        const replies = (await all(await client()[verb](...args))) as any[];
        expect(replies, `${verb} ${args.join('.')}`).to.have.length(1);
        expectValid(verb, replies[0]);
        expect(replies[0]).to.include({ name: NAME, id, version: '1.2.3', type: `io.nats.micro.v1.${verb}_response` });
      }
    }
  });

  it('reports SemVer versions as they are and others as 0.0.0, keeping the original in metadata', async () => {
    const [plain] = (await all(await client().info(`plain-${process.pid}`))) as any[];
    expectValid('info', plain);
    expect(plain.version).to.equal('0.0.0');
    expect(plain.metadata['micro.version']).to.equal('latest');
    const [calc] = (await all(await client().info(NAME))) as any[];
    expect(calc.metadata).to.deep.equal({ team: 'core' });
    expect(calc.description).to.equal('adds numbers');
  });

  it('lists unary endpoints with subject, queue group and our schemas in metadata; streams are mucp only', async () => {
    const [info] = (await all(await client().info(NAME))) as any[];
    const byName = Object.fromEntries(info.endpoints.map((e: any) => [e.name, e]));
    expect(Object.keys(byName).sort()).to.deep.equal(['Calc_add', 'Calc_echo', 'Calc_refuse']);
    expect(byName.Calc_add).to.deep.include({ subject: `${NAME}.Calc.add`, queue_group: 'q' });
    expect(byName.Calc_add.metadata).to.include({ kind: 'math', 'micro.endpoint': 'Calc.add' });
    expect(JSON.parse(byName.Calc_add.metadata['micro.request'])).to.include({ type: 'AddRequest' });
    expect(byName.Calc_echo).to.deep.include({ subject: `custom.${NAME}.echo`, queue_group: '' });
  });

  it('serves a plain NATS request on the endpoint subject through the same validation', async () => {
    const r = await nc.request(`${NAME}.Calc.add`, enc({ a: 2, b: 3 }), { timeout: 2_000 });
    expect(r.headers?.get('Nats-Service-Error-Code') ?? '').to.equal('');
    expect(dec(r.data)).to.deep.equal({ sum: 5 });
    const bad = await nc.request(`${NAME}.Calc.add`, enc({ a: 'x', b: 3 }), { timeout: 2_000 });
    expect(bad.headers?.get('Nats-Service-Error-Code')).to.equal(String(Codes.BadRequest));
    expect(MicroError.parse(bad.headers!.get('Micro-Error')).code).to.equal(Codes.BadRequest);
  });

  it('replies errors with Nats-Service-Error, Nats-Service-Error-Code and Micro-Error', async () => {
    const r = await nc.request(`${NAME}.Calc.refuse`, new Uint8Array(0), { timeout: 2_000 });
    expect(r.data.length).to.equal(0);
    expect(r.headers?.get('Nats-Service-Error')).to.equal('already added');
    expect(r.headers?.get('Nats-Service-Error-Code')).to.equal('409');
    expect(JSON.parse(r.headers!.get('Micro-Error'))).to.include({ code: 409, detail: 'already added', id: NAME });
  });

  it('counts calls of both protocols in STATS (errors included), in integer nanoseconds, and resets', async () => {
    const server = app.servers[0];
    server.resetStats();
    const before = Date.now();
    await app.client.call(NAME, 'Calc.add', { a: 1, b: 1 });
    expect((await rejection(app.client.call(NAME, 'Calc.refuse', {}))).code).to.equal(409);
    expect((await rejection(app.client.call(NAME, 'Calc.add', { a: 'no' }))).code).to.equal(400);
    const h = natsHeaders();
    await nc.request(`${NAME}.Calc.add`, enc({ a: 1, b: 2 }), { timeout: 2_000, headers: h });
    await nc.request(`${NAME}.Calc.refuse`, enc({}), { timeout: 2_000 });
    const [stats] = (await all(await client().stats(NAME))) as any[];
    expectValid('stats', stats);
    expect(Date.parse(stats.started)).to.be.at.least(before - 1_000);
    const add = stats.endpoints.find((e: any) => e.name === 'Calc_add');
    const refuse = stats.endpoints.find((e: any) => e.name === 'Calc_refuse');
    expect(add).to.include({ num_requests: 3, num_errors: 1, subject: `${NAME}.Calc.add` });
    expect(add.last_error).to.match(/^400:/);
    expect(refuse).to.include({ num_requests: 2, num_errors: 2, last_error: '409:already added' });
    expect(add.processing_time).to.be.a('number').and.above(0);
    expect(Number.isInteger(add.processing_time) && Number.isInteger(add.average_processing_time)).to.equal(true);
    expect(add.average_processing_time).to.equal(Math.round(add.processing_time / 3));
    server.resetStats();
    const [zero] = (await all(await client().stats(NAME))) as any[];
    expect(zero.endpoints.find((e: any) => e.name === 'Calc_add')).to.include({ num_requests: 0, num_errors: 0, last_error: '', processing_time: 0 });
  });
});

describe('NATS Service API: switches', () => {
  it('is off with adr32: false (no $SRV answer) and on a configured prefix otherwise', async () => {
    const nc = await connect({ servers: natsUrl() });
    try {
      const off = await bootstrap({ services: [Plain], address: natsUrl(), argv: [], env: { MICRO_ADR32: 'false' } });
      const unanswered = await rejection(nc.request(`$SRV.PING.plain-${process.pid}`, new Uint8Array(0), { timeout: 1_000 }));
      await off.stop();
      expect(String(unanswered?.cause ?? unanswered)).to.match(/no responders/i);
      const on = await bootstrap({ services: [Plain], address: natsUrl(), argv: ['--adr32_prefix', 'acme'], env: {} });
      const got = (await all(await new Svcm(nc as any).client({ strategy: 'timer', maxWait: 300 } as any, 'acme').ping(`plain-${process.pid}`))) as any[];
      await on.stop();
      expect(got.map((p) => p.name)).to.deep.equal([`plain-${process.pid}`]);
    } finally {
      await nc.close();
    }
  });

  it('takes the group and queue of @Service({ natsService }), and refuses misuse at decoration naming the class', async () => {
    @Service({ name: `grouped-${process.pid}`, natsService: { group: `g${process.pid}.api`, queue: '' } })
    class Grouped { @Handler() ping() { return 'pong'; } }
    const app = await bootstrap({ services: [Grouped], address: natsUrl(), argv: [], env: {} });
    const nc = await connect({ servers: natsUrl() });
    try {
      const [info] = (await all(await new Svcm(nc as any).client({ strategy: 'timer', maxWait: 300 } as any).info(`grouped-${process.pid}`))) as any[];
      expectValid('info', info);
      expect(info.endpoints).to.deep.equal([{ name: 'Grouped_ping', subject: `g${process.pid}.api.Grouped.ping`, queue_group: '',
        metadata: { 'micro.endpoint': 'Grouped.ping' } }]);
      expect(dec((await nc.request(`g${process.pid}.api.Grouped.ping`, new Uint8Array(0), { timeout: 2_000 })).data)).to.equal('pong');
    } finally {
      await nc.close();
      await app.stop();
    }
    expect(() => { @Service({ name: 'x', natsService: { group: 'a.*' } }) class Bad {} return Bad; }).to.throw(/Bad: natsService.group "a.\*"/);
    expect(() => { class Bad2 { @Handler({ subject: 'a..b' }) m() { return 1; } } return Bad2; }).to.throw(/Bad2.m: subject/);
    expect(() => { class Bad3 { @Handler({ queueGroup: 'has space' }) m() { return 1; } } return Bad3; }).to.throw(/Bad3.m: queueGroup/);
  });

  it('reads --adr32, MICRO_ADR32 and MICRO_ADR32_PREFIX, refusing bad values', () => {
    expect(resolveConfig({ argv: [], env: {} }).adr32).to.deep.equal({ enabled: true, prefix: '$SRV' });
    expect(resolveConfig({ argv: ['--adr32=false'], env: { MICRO_ADR32_PREFIX: 'x.$SRV' } }).adr32).to.deep.equal({ enabled: false, prefix: 'x.$SRV' });
    expect(() => resolveConfig({ argv: ['--adr32=maybe'], env: {} })).to.throw(/--adr32/);
    expect(() => resolveConfig({ argv: [], env: { MICRO_ADR32_PREFIX: 'a.*' } })).to.throw(/MICRO_ADR32_PREFIX/);
  });
});

interface Adder { add(req: { a: number; b: number }): { sum: number }; boom(): void }

describe('NATS Service API: a @nats-io/services service called by micro-nats', () => {
  const name = `natsjs-${process.pid}`;
  let nc: NatsConnection;
  let svc: NatsService;
  let app: App;
  before(async () => {
    nc = await connect({ servers: natsUrl() });
    svc = await new Svcm(nc as any).add({ name, version: '2.0.0', description: 'written with @nats-io/services' });
    const g = svc.addGroup(`${name}-api`);
    g.addEndpoint('add', { handler: (err, m) => { if (!err) { const r = m.json<{ a: number; b: number }>(); m.respond(JSON.stringify({ sum: r.a + r.b })); } } });
    g.addEndpoint('boom', { handler: (err, m) => { if (!err) m.respondError(409, 'boom said no'); } });
    app = await bootstrap({ address: natsUrl(), argv: [], env: {} });
  });
  after(async () => { await app?.stop(); await svc?.stop(); await nc?.close(); });

  it('is listed by the registry with a node marked adr32 and endpoint subjects in metadata', async () => {
    const listed = (await app.registry.listServices()).filter((s) => s.name === name);
    expect(listed).to.have.length(1);
    expect(listed[0].version).to.equal('2.0.0');
    expect(listed[0].nodes.map((n) => n.metadata.protocol)).to.deep.equal(['adr32']);
    const [s] = await app.registry.getService(name);
    expect(s.endpoints.map((e) => [e.name, e.metadata.subject]).sort()).to.deep.equal([['add', `${name}-api.add`], ['boom', `${name}-api.boom`]]);
  });

  it('is called by client.call and a typed proxy by name; its errors become MicroErrors', async () => {
    expect(await app.client.call(name, 'add', { a: 20, b: 22 })).to.deep.equal({ sum: 42 });
    const proxy = app.client.proxy<Adder>(name);
    expect(await proxy.add({ a: 1, b: 2 })).to.deep.equal({ sum: 3 });
    const err = await rejection(proxy.boom());
    expect(err).to.be.instanceOf(MicroError);
    expect(err).to.include({ code: 409, detail: 'boom said no' });
    const missing = await rejection(app.client.call(name, 'nope', {}));
    expect(missing.code).to.equal(Codes.NotFound);
    const streamed = await rejection(all(app.client.stream(name, 'add', {})));
    expect(streamed).to.include({ code: Codes.BadRequest, detail: `${name} is a NATS Service API service: it has no streams` });
  });

  it('lists micro-nats services once even though they answer both protocols', async () => {
    const calc = await bootstrap({ services: [Calc], address: natsUrl(), argv: [], env: {} });
    try {
      const found = await app.registry.getService(NAME);
      expect(found.flatMap((s) => s.nodes).map((n) => n.metadata.protocol)).to.deep.equal(['mucp']);
    } finally {
      await calc.stop();
    }
  });
});

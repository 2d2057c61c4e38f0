import 'reflect-metadata';
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { IsString } from 'class-validator';
import { bootstrap, consoleLogger, Handler, Service, Subscribe, MicroError, badRequest, type Logger } from '../index';
import { memoryWorld as world } from '../lib/components';
import { freePort, startNatsServer, type NatsServer } from '../lib/testing';
import { rejection, sleep, waitFor } from './support/wait';

/** A real pino logger at `level` writing to memory; `records` are the parsed lines. */
function capture(level = 'debug'): { logger: Logger; records: Record<string, any>[] } {
  const records: Record<string, any>[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { records.push(JSON.parse(String(chunk))); done(); } });
  return { logger: pino({ level }, stream), records };
}

const memory = () => ({ transport: 'memory', broker: 'memory', registry: 'memory', memory: world(), argv: [], env: {} } as const);
const nats = (url: string, more: object = {}) => ({ address: url, argv: [], env: {}, ...more });

class Name { @IsString() name!: string }

@Service('logged')
class Logged {
  @Handler() hello(req: Name) { return { msg: `Hello ${req.name}` }; }
  @Handler() bug(_: Name) { throw new Error('null is not a function'); }
  @Handler() refuse(_: Name) { throw badRequest('logged', 'no such thing'); }
  @Handler() unencodable(_: Name) { return { n: 1n }; }
}

const events: string[] = [];
@Service('hooked')
class Hooked {
  open = false;
  async onStart() { await sleep(20); this.open = true; events.push('onStart'); }
  @Handler() async slow(_: Name) { await sleep(300); events.push(`slow done, open=${this.open}`); return {}; }
  async onStop() { events.push('onStop'); this.open = false; }
}

@Service('listener')
class Listener {
  @Subscribe('names') onName(_: Name) { throw new Error('listener bug'); }
}

@Service('broken')
class Broken {
  onStart() { throw new Error('database unreachable'); }
  @Handler() hello(_: Name) { return {}; }
}

describe('start and stop like a service', function () {
  this.timeout(30_000);

  describe('logs, through a pino logger', () => {
    let server: NatsServer;
    before(async () => { server = await startNatsServer(); });
    after(async () => { await server.stop(); });

    it('start, registration, a handler bug at error with request id and stack, a 4xx at debug only, stop', async () => {
      const { logger, records } = capture();
      const app = await bootstrap({ services: [Logged], logger, ...nats(server.url) });
      expect(records.find((r) => r.msg === 'connected to NATS')).to.include({ nats: server.url, level: 30 });
      const reg = records.find((r) => r.msg === 'logged registered');
      expect(reg).to.include({ service: 'logged', level: 30, node: app.server!.service().nodes[0].id });
      expect(reg!.endpoints).to.deep.equal(['Logged.hello', 'Logged.bug', 'Logged.refuse', 'Logged.unencodable']);
      expect(records.find((r) => r.msg === 'micro-nats started')).to.deep.include({ services: ['logged'] });

      expect((await rejection(app.client.call('logged', 'Logged.bug', { name: 'x' }))).code).to.equal(500);
      const bug = records.find((r) => r.msg === 'Logged.bug failed')!;
      expect(bug).to.include({ level: 50, service: 'logged', endpoint: 'Logged.bug' });
      expect(bug.requestId).to.be.a('string').and.not.equal('');
      expect(bug.err.stack).to.contain('null is not a function');

      expect((await rejection(app.client.call('logged', 'Logged.refuse', { name: 'x' }))).code).to.equal(400);
      const refused = records.filter((r) => r.endpoint === 'Logged.refuse');
      expect(refused.map((r) => r.level)).to.deep.equal([20]);
      expect(refused[0].err.stack).to.be.a('string');

      // A result the codec cannot encode is the server's bug: logged there, not only a 500 at the caller.
      expect((await rejection(app.client.call('logged', 'Logged.unencodable', { name: 'x' }))).code).to.equal(500);
      const enc = records.find((r) => r.endpoint === 'Logged.unencodable')!;
      expect(enc).to.include({ level: 50, service: 'logged' });
      expect(enc.err.message).to.contain('cannot encode the value as JSON');

      await app.stop();
      expect(records.slice(-2).map((r) => [r.msg, r.level])).to.deep.equal([['stopping', 30], ['stopped', 30]]);
    });

    it('the NATS connection lost and back, without a disconnect of our own at stop', async () => {
      const own = await startNatsServer();
      const { logger, records } = capture('info');
      const app = await bootstrap({ services: [Logged], logger, ...nats(own.url) });
      try {
        await own.kill();
        await waitFor(() => records.some((r) => r.msg === 'NATS connection lost; reconnecting' && r.level === 40), 'a disconnect log');
        await own.restart();
        await waitFor(() => records.some((r) => r.msg === 'NATS reconnected' && r.level === 30), 'a reconnect log');
      } finally {
        await app.stop();
        await own.stop();
      }
    });

    it('an event refused by its DTO as a warning without stack; a subscriber that throws as an error with it', async () => {
      const { logger, records } = capture('info');
      const app = await bootstrap({ services: [Listener], logger, ...memory() });
      await app.client.publish('names', { name: 7 });
      await app.client.publish('names', { name: 'ok' });
      await waitFor(() => records.filter((r) => r.topic === 'names').length === 2, 'two event logs');
      await app.stop();
      const refused = records.find((r) => r.topic === 'names' && r.level === 40);
      const failed = records.find((r) => r.topic === 'names' && r.level === 50)!;
      expect(refused).to.include({ code: 400 }).and.not.have.property('err');
      expect(failed.err.stack).to.contain('listener bug');
    });

    it('the built-in logger writes one JSON line per record, filtered by --log_level', async () => {
      const lines: string[] = [];
      const log = consoleLogger({ level: 'warn', stream: { write: (l: string) => lines.push(l) } });
      log.info({ a: 1 }, 'dropped');
      log.warn({ err: new Error('boom') }, 'kept');
      log.error('plain');
      expect(lines).to.have.length(2);
      expect(JSON.parse(lines[0])).to.include({ level: 40, msg: 'kept' }).and.have.nested.property('err.message', 'boom');
      expect(JSON.parse(lines[1])).to.include({ level: 50, msg: 'plain' });
      const app = await bootstrap({ ...memory(), argv: ['--log_level=silent'] });
      expect(app.config.logLevel).to.equal('silent');
      await app.stop();
    });
  });

  describe('waits for NATS at start', () => {
    it('starts once a NATS server comes up on the configured port, logging that it waits', async () => {
      const port = await freePort();
      const { logger, records } = capture('info');
      const starting = bootstrap({ services: [Logged], logger, ...nats(`nats://127.0.0.1:${port}`, { connectTimeout: 20_000 }) });
      await waitFor(() => records.some((r) => r.msg === 'waiting for NATS' && r.level === 40), 'a waiting log');
      const server = await startNatsServer({ port });
      try {
        const app = await starting;
        expect(await app.client.call('logged', 'Logged.hello', { name: 'late' })).to.deep.equal({ msg: 'Hello late' });
        await app.stop();
      } finally {
        await server.stop();
      }
    });

    it('gives up after connectTimeout with a 503 naming the servers, credentials removed', async () => {
      const port = await freePort();
      const { logger, records } = capture('info');
      const t0 = Date.now();
      const err = await rejection(bootstrap({ services: [Logged], logger,
        ...nats(`nats://svc:s3cret@127.0.0.1:${port}`, { argv: ['--connect_timeout=600ms'] }) }));
      expect(Date.now() - t0).to.be.at.least(550);
      expect(err).to.be.instanceOf(MicroError).with.property('code', 503);
      expect(err.detail).to.contain(`nats://127.0.0.1:${port}`).and.contain('connectTimeout').and.not.contain('s3cret');
      expect(JSON.stringify(records)).to.contain('waiting for NATS').and.not.contain('s3cret');
    });
  });

  describe('lifecycle hooks', () => {
    it('onStart runs before registration, onStop after in-flight work finished and before the connections close', async () => {
      events.length = 0;
      const { logger, records } = capture('info');
      const log: Logger = { ...logger, info: (o: any, m?: string) => { events.push(typeof o === 'string' ? o : m ?? ''); logger.info(o, m); } } as Logger;
      const app = await bootstrap({ services: [Hooked], logger: log, ...memory() });
      expect(events.slice(0, 2)).to.deep.equal(['onStart', 'hooked registered']);
      const call = app.client.call('hooked', 'Hooked.slow', { name: 'x' });
      await sleep(50);
      await app.stop();
      await call;
      expect(events.slice(-4)).to.deep.equal(['stopping', 'slow done, open=true', 'onStop', 'stopped']);
      expect(records.length).to.be.greaterThan(0);
    });

    it('Ctrl-C (SIGINT) with signals: true stops gracefully, logs it and exits 0', async () => {
      const script = `const m = require(${JSON.stringify(join(__dirname, '..', 'index.js'))});
        class S { onStop() { console.log('onStop ran'); } }
        m.Service('sig')(S);
        m.bootstrap({ services: [S], signals: true, transport: 'memory', broker: 'memory', registry: 'memory', argv: [], env: {} })
          .then(() => console.log('ready'));
        setInterval(() => {}, 1000); // memory components hold no handle: keep the process up as NATS would`;
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MICRO_LOG_LEVEL: 'info' } });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => { out += d; });
      child.stderr.on('data', (d: Buffer) => { err += d; });
      await waitFor(() => out.includes('ready'), 'the child to start');
      child.kill('SIGINT');
      const [code] = await once(child, 'exit');
      expect(code, err).to.equal(0);
      expect(out).to.contain('onStop ran');
      const msgs = err.trim().split('\n').map((l) => JSON.parse(l).msg);
      expect(msgs.slice(-3)).to.deep.equal(['SIGINT received, stopping', 'stopping', 'stopped']);
    });

    it('a failing onStart fails bootstrap naming the class; services started before it get onStop', async () => {
      events.length = 0;
      const err = await rejection(bootstrap({ services: [Hooked, Broken], logger: capture().logger, ...memory() }));
      expect(err.message).to.equal('bootstrap: Broken.onStart() failed: database unreachable');
      expect(events).to.deep.equal(['onStart', 'onStop']);
    });
  });
});

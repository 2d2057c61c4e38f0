import 'reflect-metadata';
import { expect } from 'chai';
import { bootstrap, Handler, HealthCheck, Service } from '../index';
import type { App, HealthReport } from '../index';
import { startNatsServer, type NatsServer } from '../lib/testing';
import { natsUrl } from './support/nats';
import { waitFor } from './support/wait';

const NAME = `health-${process.pid}`;
const state = { dbUp: true, cacheWarm: true };

@Service(NAME)
class Store {
  @Handler() async get() { return {}; }
  @HealthCheck('db') async database() { if (!state.dbUp) throw new Error('db down'); }
  @HealthCheck() cache() { return state.cacheWarm; }
}

@Service(`${NAME}-slow`)
class Slow {
  @HealthCheck() hangs() { return new Promise(() => { /* never settles */ }); }
}

describe('health', function () {
  this.timeout(30_000);

  it('Debug.Health and app.health() report the NATS connection, the registration and the service\'s own checks', async () => {
    const app = await bootstrap({ services: [Store], address: natsUrl(), argv: [], env: {} });
    try {
      const wire = () => app.client.call<HealthReport>(NAME, 'Debug.Health', {});
      expect(await wire()).to.deep.equal({ status: 'ok', checks: { nats: 'ok', registry: 'ok', db: 'ok', cache: 'ok' } });
      state.dbUp = false;
      state.cacheWarm = false;
      expect(await wire()).to.deep.equal({ status: 'unhealthy', checks: { nats: 'ok', registry: 'ok', db: 'db down', cache: 'failed' } });
      expect(await app.health()).to.deep.equal({ status: 'unhealthy', services: { [NAME]: await wire() } });
    } finally {
      state.dbUp = true;
      state.cacheWarm = true;
      await app.stop();
    }
    // Stopped: no longer registered.
    expect((await app.health()).services[NAME].checks.registry).to.equal('not registered');
  });

  it('follows the connection: down while NATS is away, ok once it is back', async () => {
    let nats: NatsServer | undefined = await startNatsServer();
    let app: App | undefined;
    try {
      app = await bootstrap({ services: [Store], address: nats.url, argv: [], env: {} });
      expect((await app.health()).status).to.equal('ok');
      await nats.kill();
      await waitFor(async () => (await app!.health()).services[NAME].checks.nats === 'disconnected, reconnecting', 'the nats check to fail');
      expect((await app.health()).status).to.equal('unhealthy');
      await nats.restart();
      await waitFor(async () => (await app!.health()).status === 'ok', 'health to come back', 10_000);
    } finally {
      await app?.stop();
      await nats?.stop();
      nats = undefined;
    }
  });

  it('reports a memory app without a nats check, bounds a check that hangs, and refuses a check name given twice', async () => {
    const app = await bootstrap({ services: [Store], transport: 'memory', broker: 'memory', registry: 'memory', argv: [], env: {} });
    try {
      expect(await app.health()).to.deep.equal({ status: 'ok', services: { [NAME]: { status: 'ok', checks: { registry: 'ok', db: 'ok', cache: 'ok' } } } });
    } finally {
      await app.stop();
    }
    const slow = await bootstrap({ services: [Slow], transport: 'memory', broker: 'memory', registry: 'memory', argv: [], env: {} });
    try {
      const t0 = Date.now();
      expect((await slow.health()).services[`${NAME}-slow`].checks.hangs).to.equal('timed out');
      expect(Date.now() - t0).to.be.below(10_000);   // bounded (2 s), not waiting for ever
    } finally {
      await slow.stop();
    }
    expect(() => { class X { @HealthCheck('a') p() {} @HealthCheck('a') q() {} } return X; }).to.throw(/@HealthCheck on X\.q: the name "a" is already taken by X\.p/);
  });
});

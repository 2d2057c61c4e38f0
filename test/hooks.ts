import 'reflect-metadata';
import { startNatsServer, type NatsServer } from '../lib/testing';
import { setSharedServer } from './support/nats';

let server: NatsServer | undefined;

// Apps bootstrapped by tests log at warn and above unless a test says otherwise (keeps the run readable).
process.env.MICRO_LOG_LEVEL ??= 'warn';

/** Mocha root hooks: one nats-server on a free loopback port for the whole run. */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(20_000);
    server = await startNatsServer({ jetstream: true });
    setSharedServer(server);
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(20_000);
    setSharedServer(undefined);
    await server?.stop();
  },
};

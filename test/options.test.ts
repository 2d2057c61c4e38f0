import { expect } from 'chai';
import { MemoryBroker } from '../lib/broker/memory';
import { buildComponents } from '../lib/components';
import { resolveConfig } from '../lib/config';
import { Codes, ConfigError } from '../lib/errors';
import { parseServers } from '../lib/nats/servers';
import { MemoryRegistry } from '../lib/registry/memory';
import { MemoryTransport } from '../lib/transport/memory';

function thrown(fn: () => unknown): unknown {
  try { fn(); } catch (err) { return err; }
  throw new Error('expected a throw');
}

describe('bad options', () => {
  const cases: [string, () => unknown][] = [
    ['registerTtl', () => resolveConfig({ registerTtl: -1, argv: [], env: {} })],
    ['--register_ttl', () => resolveConfig({ argv: ['--register_ttl=soon'], env: {} })],
    ['MICRO_CLIENT_RETRIES', () => resolveConfig({ argv: [], env: { MICRO_CLIENT_RETRIES: 'x' } })],
    ['servers', () => parseServers('a b')],
    ['transport option timeout', () => new MemoryTransport({ timeout: -1 })],
    ['broker option drain', () => new MemoryBroker({ drain: 'yes' as unknown as boolean })],
    ['registry option timeout', () => new MemoryRegistry({ timeout: Number.NaN })],
    ['transport', () => buildComponents({ transport: 'jetstream' as 'nats' })],
    ['--broker', () => resolveConfig({ argv: ['--broker=kafka'], env: {} })],
    ['client option retries', () => buildComponents({ transport: 'memory', broker: 'memory', registry: 'memory', client: { retries: -1 } })],
  ];
  for (const [option, build] of cases) {
    it(`throw one error type, a 400 ConfigError naming the option: ${option}`, () => {
      const err = thrown(build) as ConfigError;
      expect(err).to.be.instanceOf(ConfigError);
      expect(err.code).to.equal(Codes.BadRequest);
      expect(err.option).to.equal(option);
      expect(err.message).to.contain(option);
    });
  }
});

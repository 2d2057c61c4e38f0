import { expect } from 'chai';

// Resolved through package.json "exports", as an installed package would be.
describe('package entry points', () => {
  it('the root exports application code; implementations come from subpaths', () => {
    const root = require('micro-nats');
    expect(root.bootstrap).to.be.a('function');
    expect(root.ConfigError).to.be.a('function');
    expect(root.NatsTransport).to.equal(undefined);
    expect(require('micro-nats/transport').NatsTransport).to.be.a('function');
    expect(require('micro-nats/broker').NatsBroker).to.be.a('function');
    expect(require('micro-nats/registry').CachedRegistry).to.be.a('function');
    expect(require('micro-nats/components').buildComponents).to.be.a('function');
    expect(require('micro-nats/testing').startNatsServer).to.be.a('function');
    expect(require('micro-nats/testing/contract').transportContract).to.be.a('function');
  });
});

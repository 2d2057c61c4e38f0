import { expect } from 'chai';
import { startNatsServer, type NatsServer } from 'micro-nats/testing';
import { main } from './main';

describe('sample: auth', function () {
  this.timeout(15_000);
  let nats: NatsServer;
  before(async () => { nats = await startNatsServer(); });
  after(async () => { await nats.stop(); });

  it('refuses without a token (401) and without the role (403); the handler sees the caller', async () => {
    const lines: string[] = [];
    const got = await main({ address: nats.url, argv: [], env: {} }, (l) => lines.push(l));
    expect(got).to.deep.equal({
      'whoami, no token': 401,
      'whoami, unknown token': 401,
      'whoami as bob': { name: 'bob', roles: ['reader'] },
      'secrets as bob (reader)': 403,
      'secrets as alice (admin)': { secrets: ['launch-code'], readBy: 'alice' },
    });
    expect(lines.join('\n')).to.contain('403 Forbidden: bob lacks the role admin');
  });
});

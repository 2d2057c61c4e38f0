import { expect } from 'chai';
import { startNatsServer, type NatsServer } from 'micro-nats/testing';
import { main } from './main';

describe('sample: pubsub', function () {
  this.timeout(15_000);
  let nats: NatsServer;
  before(async () => { nats = await startNatsServer(); });
  after(async () => { await nats.stop(); });

  it('shares events in a queue group, fans them out without one, and carries metadata', async () => {
    const lines: string[] = [];
    const journal = await main({ address: nats.url, argv: [], env: {} }, (l) => lines.push(l));

    // Queue group: the 10 valid events were mailed once each, across both replicas together.
    const mails = Object.values(journal.mails).flat();
    expect(mails).to.have.length(10);
    expect(new Set(mails).size).to.equal(10);
    expect(['replica-1', 'replica-2']).to.include.members(Object.keys(journal.mails));

    // No queue: each replica audited every one of the 10.
    expect(journal.audits['replica-1']).to.have.members(mails);
    expect(journal.audits['replica-2']).to.have.members(mails);

    expect(journal.tenant).to.equal('acme');

    // The invalid event: refused by validation in all three subscriptions (1 mailer + 2 audit), handled by none.
    expect(journal.rejected.map((e) => e.code)).to.deep.equal([400, 400, 400]);
    expect(journal.rejected[0].errors!.map((e) => e.property)).to.deep.equal(['email']);
    expect(mails).to.not.include('not-an-email');

    const out = lines.join('\n');
    expect(out).to.match(/replica-1 sent \d+ welcome mails, replica-2 sent \d+: 10 in all, 10 different users/);
    expect(out).to.contain('replica-1 recorded 10 signups, replica-2 recorded 10');
    expect(out).to.contain("ctx.metadata['x-tenant'] = acme");
    expect(out).to.contain('3 subscriptions (1 mailer + 2 audit) reported 400 to the error handler: email must be an email');
  });
});

import { expect } from 'chai';
import { main } from './main';

describe('sample: cluster', function () {
  this.timeout(20_000);

  it('loses no call while the node under one instance is killed, and that instance serves again', async () => {
    const lines: string[] = [];
    const t = await main((l) => lines.push(l));
    expect(t.failed, t.errors.join('\n')).to.equal(0);
    expect(t.served.A.before).to.be.greaterThan(0);
    expect(t.served.B.before).to.be.greaterThan(0);
    expect(t.served.B.after).to.be.greaterThan(0);
    expect(t.served.A.after).to.be.at.least(100);
    const served = t.served.A.before + t.served.A.after + t.served.B.before + t.served.B.after;
    expect(served).to.equal(t.made);
    expect(lines.join('\n')).to.contain(`Calls made: ${t.made}, failed: 0`);
  });
});

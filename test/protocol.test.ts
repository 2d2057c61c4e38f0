import { expect } from 'chai';
import { Codes, MicroError, notFound } from '../lib/errors';
import { endOfStreamFrame, errorFrame, Header, isEndOfStream, readRequestHead, readTimeout, requestId,
  writeTimeout } from '../lib/protocol/mucp';

describe('mucp protocol module', () => {
  it('writes Timeout as whole nanoseconds (at least 1) and reads it back as a deadline', () => {
    expect(writeTimeout(1_500)).to.equal('1500000000');
    expect(writeTimeout(0)).to.equal('1');
    expect(readTimeout('svc', writeTimeout(250), 1_000)).to.equal(1_250);
    expect(readTimeout('svc', undefined, 1_000)).to.equal(Infinity);
    expect(readTimeout('svc', '0', 1_000)).to.equal(Infinity);
  });

  it('refuses a malformed, negative or huge Timeout with 400', () => {
    for (const raw of ['5s', '-1', String(25 * 3600 * 1e9)]) {
      let err: unknown;
      try { readTimeout('svc', raw, 0); } catch (e) { err = e; }
      expect((err as MicroError).code, raw).to.equal(Codes.BadRequest);
    }
  });

  it('reads the request head in either id spelling and the endpoint from Micro-Endpoint or Micro-Method', () => {
    expect(readRequestHead('svc', { 'Micro-ID': 'a', 'Micro-Method': 'G.x' }, 0)).to.deep.equal({ endpoint: 'G.x', id: 'a', deadline: Infinity });
    expect(requestId({ [Header.Id]: 'b' })).to.equal('b');
    let err: unknown;
    try { readRequestHead('svc', {}, 0); } catch (e) { err = e; }
    expect((err as MicroError).code).to.equal(Codes.BadRequest);
  });

  it('frames errors as go-micro JSON and ends streams with EOS', () => {
    const e = errorFrame('7', notFound('svc', 'nope'));
    expect(e.header[Header.Id]).to.equal('7');
    expect(MicroError.parse(e.header[Header.Error]).code).to.equal(Codes.NotFound);
    expect(e.body.length).to.equal(0);
    expect(isEndOfStream(endOfStreamFrame('7'))).to.equal(true);
    expect(isEndOfStream(e)).to.equal(false);
  });
});

import { expect } from 'chai';
import { Codes, MicroError, notFound } from '../lib/errors';
import { compactRequestHeader, decodeBrokerEnvelope, encodeEnvelope, endOfStreamFrame, errorFrame, Header, isEndOfStream,
  readRequestHead, readTimeout, replyFrame, requestId, writeTimeout } from '../lib/protocol/mucp';

describe('mucp protocol module', () => {
  it('reads the request id whatever the letter case of its header; none is ""', () => {
    expect(requestId({ 'Micro-Id': 'a' })).to.equal('a');
    expect(requestId({ 'Micro-ID': 'b' })).to.equal('b');
    expect(requestId({ 'micro-id': 'c', 'X-Other': 'y' })).to.equal('c');
    expect(requestId({ 'Micro-Error': 'EOS' })).to.equal('');
  });

  it("writes an empty envelope body as null, as Go marshals a nil []byte", () => {
    const env = JSON.parse(new TextDecoder().decode(encodeEnvelope({ header: { [Header.Error]: 'EOS' }, body: new Uint8Array(0) })));
    expect(env).to.deep.equal({ Header: { 'Micro-Error': 'EOS' }, Body: null });
  });

  it("recognises go-micro's broker envelope strictly; anything else is not one, and nothing throws", () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    const m = decodeBrokerEnvelope(enc('{"Header":{"Micro-Topic":"t"},"Body":"eyJhIjoxfQ=="}'));
    expect(m?.header).to.deep.equal({ 'Micro-Topic': 't' });
    expect(new TextDecoder().decode(m?.body)).to.equal('{"a":1}');
    expect(decodeBrokerEnvelope(enc('{"Header":null,"Body":null}'))?.body).to.have.length(0);
    expect(decodeBrokerEnvelope(enc(' {\n "Body": "eyJhIjoxfQ==" }'))?.header).to.deep.equal({});
    for (const bad of ['{"name":"x"}', '{}', '{"Header":5,"Body":"x"}', '{"Header":{"a":1},"Body":"x"}', '{"Header":{},"Body":7}',
      '{"Header":{},"Body":"x","Extra":1}', '{"Header":{', '[1]', 'plain', '', '{"Headers":{}}', '{"Bod', '{ 1']) {
      expect(decodeBrokerEnvelope(enc(bad)), bad).to.equal(undefined);
    }
  });

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
    expect(readRequestHead('svc', { 'Micro-ID': 'a', 'Micro-Method': 'G.x' }, 0))
      .to.deep.equal({ endpoint: 'G.x', id: 'a', deadline: Infinity, contentType: undefined, compact: false });
    expect(requestId({ [Header.Id]: 'b' })).to.equal('b');
    let err: unknown;
    try { readRequestHead('svc', {}, 0); } catch (e) { err = e; }
    expect((err as MicroError).code).to.equal(Codes.BadRequest);
  });

  it('writes the compact request head in one Micro-Call header and reads it back; classic headers stay readable', () => {
    const classic = { 'x-user': 'u', [Header.Service]: 'greeter', [Header.Endpoint]: 'Greeter.hello',
      [Header.ContentType]: 'application/json', [Header.Id]: 'c-1', [Header.Timeout]: '250000000' };
    const compact = compactRequestHeader(classic, 'c-1', 250, 'Greeter.hello');
    expect(compact).to.deep.equal({ 'x-user': 'u', [Header.Call]: '250000000 c-1 Greeter.hello' });
    expect(readRequestHead('svc', compact, 1_000)).to.deep.equal({ endpoint: 'Greeter.hello', id: 'c-1', deadline: 1_250, contentType: 'application/json', compact: true });
    const msgpack = compactRequestHeader({ ...classic, [Header.ContentType]: 'application/msgpack' }, 'c-2', 250, 'Greeter.hello');
    expect(msgpack[Header.ContentType]).to.equal('application/msgpack');
    expect(readRequestHead('svc', msgpack, 0).contentType).to.equal('application/msgpack');
    expect(readRequestHead('svc', classic, 1_000)).to.deep.equal({ endpoint: 'Greeter.hello', id: 'c-1', deadline: 1_250, contentType: 'application/json', compact: false });
  });

  it('refuses a malformed compact head with 400', () => {
    for (const call of ['', '100', '100 id', '100 id ', 'soon id G.x', '-1 id G.x']) {
      let err: unknown;
      try { readRequestHead('svc', { [Header.Call]: call }, 0); } catch (e) { err = e; }
      expect((err as MicroError).code, call).to.equal(Codes.BadRequest);
    }
  });

  it('answers a compact request with a header-less reply and a classic one with its id', () => {
    const body = new Uint8Array([1]);
    expect(replyFrame({ id: '9', compact: true }, body).header).to.deep.equal({});
    expect(replyFrame({ id: '9', compact: false }, body).header).to.deep.equal({ [Header.Id]: '9' });
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

import 'reflect-metadata';
import { inspect } from 'node:util';
import { expect } from 'chai';
import { inject } from 'inversify';
import { connect, PermissionViolationError, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { bootstrap, consoleLogger, Handler, Service, TYPES, type App, type Client } from '../index';
import { buildComponents } from '../lib/components';
import { resolveConfig } from '../lib/config';
import { Codes, ConfigError } from '../lib/errors';
import { redact, splitCredentials } from '../lib/nats/servers';
import { startNatsServer, type NatsServer } from '../lib/testing';
import { rejection } from './support/wait';

/** A password starting with digits: nats.js read `user:123…@host:port` as port 123 before credentials were taken out. */
const SVC_PW = '4s3cr3t-svc-PW';
const WEB_PW = 'w3b-PW-x7';

/**
 * The README's "Security" configuration (services, a web client), plus `evil`: a client with the web
 * client's permissions but its own inbox prefix, the attacker of every test below.
 */
const CONFIG = `
authorization {
  SERVICE = {
    publish = { allow = ["_SVC.>", "micro.registry.nats.>", "micro.nats.>", "$SRV.>", "events.>"] }
    subscribe = { allow = ["_SVC.>", "_I_SVC.>", "micro.registry.nats.query", "micro.registry.nats.watch",
                           "micro.nats.query", "micro.nats.watch", "$SRV.>", "secure.>", "events.>"] }
    allow_responses = { max: 100000, expires: "10m" }
  }
  WEB = {
    publish = { allow = ["_SVC.>", "micro.registry.nats.query", "micro.nats.query", "$SRV.>", "events.>"] }
    subscribe = { allow = ["_I_WEB.>", "micro.registry.nats.watch", "micro.nats.watch"] }
  }
  EVIL = {
    publish = { allow = ["_SVC.>", "micro.registry.nats.query", "micro.nats.query", "$SRV.>", "events.>"] }
    subscribe = { allow = ["_I_EVIL.>", "micro.registry.nats.watch", "micro.nats.watch"] }
  }
  users = [
    { user: svc, password: "${SVC_PW}", permissions: $SERVICE }
    { user: web, password: "${WEB_PW}", permissions: $WEB }
    { user: evil, password: "evil-pw", permissions: $EVIL }
    { user: mute, password: "mute-pw", permissions: { publish = { allow = ["_SVC.>"] },
      subscribe = { allow = ["_SVC.>", "_I_MUTE.>", "micro.registry.nats.query"] }, allow_responses = true } }
    { user: ro, password: "ro-pw", permissions: { publish = { allow = ["micro.registry.nats.query"] }, subscribe = { allow = ["_I_RO.>"] } } }
  ]
}
`;

@Service('secure')
class Secure {
  constructor(@inject(TYPES.Client) private readonly client: Client) {}

  @Handler() async who() { return { who: 'secure' }; }

  @Handler() async *count(req: { n: number }) { for (let i = 0; i < req.n; i++) yield i; }

  /** A nested call to a node address nobody listens on: the machinery's 503 names the address. */
  @Handler() async nested() { return this.client.call('ghost', 'G.x', {}, { address: '_SVC.internal-ghost-node' }); }
}

/** go-micro's registry messages are `{"Action": …, "Service": …}` (registry/nats, see lib/registry/wire.ts). */
const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
/** Every log line of the apps bootstrapped here (the built-in logger at debug, into memory), checked for secrets. */
const logLines: string[] = [];
/** The console output and the log records' messages and errors, as text. */
const logText = (output: string[]) => [...output, ...logLines.map((l) => {
  const r = JSON.parse(l) as { msg?: string; err?: { message?: string } };
  return `${r.msg ?? ''} ${r.err?.message ?? ''} ${l}`;
})].join('\n');
const quiet = { argv: [] as string[], env: {}, connectTimeout: 0,
  logger: consoleLogger({ level: 'debug', stream: { write: (l: string) => { logLines.push(l); } } }) };

describe('Security: services under locked-down NATS permissions', function () {
  this.timeout(20_000);
  let server: NatsServer;
  let svc: App;
  let web: App;
  let evil: NatsConnection;
  let host: string;
  const violations: PermissionViolationError[] = [];
  const output: string[] = [];
  const saved = { error: console.error, warn: console.warn, log: console.log };

  const evilViolation = async (subject: string) => {
    await evil.flush();
    await new Promise((r) => setImmediate(r));
    return violations.find((v) => v.subject === subject);
  };
  const nodeAddress = async () => (await svc.registry.getService('secure'))[0].nodes[0].address;
  const callsReachTheService = async (n: number) => {
    for (let i = 0; i < n; i++) expect(await web.client.call('secure', 'Secure.who', {})).to.deep.equal({ who: 'secure' });
  };
  const refused = async (sub: Subscription) => {
    await evil.flush();
    expect(sub.isClosed(), `subscription to ${sub.getSubject()} is closed`).to.equal(true);
    const err = await sub.closed;
    expect(err).to.be.instanceOf(PermissionViolationError);
    return err as PermissionViolationError;
  };

  before(async () => {
    for (const k of ['error', 'warn', 'log'] as const) console[k] = (...a: unknown[]) => { output.push(a.map((x) => inspect(x)).join(' ')); };
    server = await startNatsServer({ config: CONFIG });
    host = `127.0.0.1:${server.port}`;
    svc = await bootstrap({ services: [Secure], address: `nats://svc:${SVC_PW}@${host}`, inboxPrefix: '_I_SVC', addressPrefix: '_SVC', ...quiet });
    web = await bootstrap({ address: `nats://${host}`, nats: { user: 'web', pass: WEB_PW }, inboxPrefix: '_I_WEB', ...quiet });
    evil = await connect({ servers: server.url, user: 'evil', pass: 'evil-pw', inboxPrefix: '_I_EVIL' });
    void (async () => {
      for await (const s of evil.status()) if (s.type === 'error' && s.error instanceof PermissionViolationError) violations.push(s.error);
    })();
  });

  after(async () => {
    Object.assign(console, saved);
    await evil?.close();
    await web?.stop();
    await svc?.stop();
    await server?.stop();
  });

  it('serves calls and streams with credentials from the URL, on the configured prefixes', async () => {
    expect(await nodeAddress()).to.match(/^_SVC\./);
    await callsReachTheService(3);
    const got: number[] = [];
    for await (const i of web.client.stream<number>('secure', 'Secure.count', { n: 50 })) got.push(i);
    expect(got).to.have.length(50);
  });

  it('refuses a client announcing a fake node or deleting the real one; calls keep reaching the service', async () => {
    const address = await nodeAddress();
    const node = (await svc.registry.getService('secure'))[0].nodes[0];
    const fake = { name: 'secure', version: 'latest', metadata: {}, endpoints: [], nodes: [{ id: 'fake-1', address: '_SVC.evil', metadata: {} }] };
    const real = { name: 'secure', version: 'latest', metadata: {}, endpoints: [], nodes: [{ ...node, address: '_SVC.evil' }] };
    for (const topic of ['micro.registry.nats.watch', 'micro.nats.watch']) {
      evil.publish(topic, enc({ Action: 'create', Service: fake }));
      evil.publish(topic, enc({ Action: 'update', Service: real }));
      evil.publish(topic, enc({ Action: 'delete', Service: { ...real, nodes: [node] } }));
      expect(await evilViolation(topic), `publish to ${topic}`).to.include({ operation: 'publish' });
    }
    await callsReachTheService(10);
    expect(await nodeAddress()).to.equal(address);
  });

  it('refuses a client subscribing node addresses, inboxes or registry queries, or joining the listen queue group', async () => {
    const address = await nodeAddress();
    for (const subject of ['_SVC.>', address, '_INBOX.>', '_I_WEB.>', '_I_SVC.>', 'micro.registry.nats.query', 'micro.nats.query']) {
      expect((await refused(evil.subscribe(subject))).subject).to.equal(subject);
    }
    const q = await refused(evil.subscribe(address, { queue: 'micro-nats' }));
    expect(q).to.include({ subject: address, queue: 'micro-nats' });
    await callsReachTheService(6);
  });

  it('refuses a client forging replies to another client or a service', async () => {
    for (const subject of ['_I_WEB.anything.1', '_I_SVC.anything.1']) {
      evil.publish(subject, enc({ forged: true }));
      expect(await evilViolation(subject), `publish to ${subject}`).to.include({ operation: 'publish' });
    }
    await callsReachTheService(3);
  });

  it('does not answer a request or registry query whose reply subject is not an inbox (a forged delete on the watch subject)', async () => {
    const watcher = await connect({ servers: server.url, user: 'svc', pass: SVC_PW, inboxPrefix: '_I_SVC' });
    const seen: string[] = [];
    watcher.subscribe('micro.registry.nats.watch', { callback: (_e, m) => { seen.push(m.string()); } });
    await watcher.flush();
    const address = await nodeAddress();
    const forged = enc({ Action: 'delete', Service: { name: 'secure', version: 'latest', nodes: [{ id: 'x', address }] } });
    evil.publish(address, forged, { reply: 'micro.registry.nats.watch' });
    evil.publish('micro.registry.nats.query', enc({ Action: 'list', Service: null }), { reply: 'micro.registry.nats.watch' });
    evil.publish('$SRV.PING', new Uint8Array(0), { reply: 'micro.registry.nats.watch' });
    // Answered in order on the service's one connection: once these answers are in, the forged ones were handled.
    await evil.request('micro.registry.nats.query', enc({ Action: 'list', Service: null }));
    await evil.request('$SRV.PING', new Uint8Array(0));
    await watcher.flush();
    expect(seen).to.deep.equal([]);
    await watcher.close();
    await callsReachTheService(3);
    expect(logText(output)).to.include('"micro.registry.nats.watch" is not an inbox');
  });

  it('fails bootstrap with 403 naming the subject and queue group when node addresses are not permitted', async () => {
    const err = await rejection(bootstrap({ services: [Secure], address: `nats://svc:${SVC_PW}@${host}`, inboxPrefix: '_I_SVC', ...quiet }));
    expect(err.code).to.equal(Codes.Forbidden);
    expect(err.detail).to.match(/subscription to "_INBOX\.[^"]+" in queue group "micro-nats": permission denied/);
    expect(logText(output)).to.match(/NATS refused the subscription to "_INBOX\.[^"]+" in queue group "micro-nats"/);
  });

  it('fails bootstrap with 403 naming the watch subject when the service may not announce itself', async () => {
    const err = await rejection(bootstrap({ services: [Secure], address: `nats://mute:mute-pw@${host}`, inboxPrefix: '_I_MUTE',
      addressPrefix: '_SVC', adr32: false, ...quiet }));
    expect(err.code).to.equal(Codes.Forbidden);
    expect(err.detail).to.include('publish to "micro.registry.nats.watch": permission denied');
  });

  it('fails a call with 403 naming the reply subscription when the inbox prefix is not permitted', async () => {
    const c = await bootstrap({ address: `nats://web:${WEB_PW}@${host}`, ...quiet });
    try {
      const err = await rejection(c.client.call('secure', 'Secure.who', {}, { address: await nodeAddress(), retries: 0 }));
      expect(err.code).to.equal(Codes.Forbidden);
      expect(err.detail).to.match(/subscription to "_INBOX\.[^"]+\.\*"/);
    } finally {
      await c.stop();
    }
  });

  it('fails a call with 403 naming the node address when the caller may not publish to it', async () => {
    const c = await bootstrap({ address: `nats://ro:ro-pw@${host}`, inboxPrefix: '_I_RO', adr32: false, ...quiet });
    try {
      const address = await nodeAddress();
      const err = await rejection(c.client.call('secure', 'Secure.who', {}, { address, retries: 0 }));
      expect(err.code).to.equal(Codes.Forbidden);
      expect(err.detail).to.include(`publish to "${address}": permission denied`);
    } finally {
      await c.stop();
    }
  });

  it('options given in code win over URL credentials', async () => {
    const c = await bootstrap({ services: [Secure], address: `nats://svc:wrong@${host}`, nats: { user: 'svc', pass: SVC_PW },
      inboxPrefix: '_I_SVC', addressPrefix: '_SVC', server: { id: 'secure-2' }, ...quiet });
    await c.stop();
  });

  it('a token in the URL connects', async () => {
    const tokenServer = await startNatsServer({ args: ['--auth', 'T0ken-s3cret'] });
    const c = buildComponents({ address: `nats://T0ken-s3cret@127.0.0.1:${tokenServer.port}`, adr32: { enabled: false } });
    try {
      expect(await c.registry.listServices()).to.deep.equal([]);
    } finally {
      await c.close();
      await tokenServer.stop();
    }
  });

  it('tells a remote caller a generic error for a failure of the machinery; the detail is only logged', async () => {
    const err = await rejection(web.client.call('secure', 'Secure.nested', {}, { retries: 0 }));
    expect(err).to.include({ id: 'secure', code: Codes.Unavailable });
    expect(err.detail).to.not.include('internal-ghost-node');
    expect(logText(output)).to.include('_SVC.internal-ghost-node');
  });

  it('prints no credential in any error or log line', async () => {
    const errors = [
      await rejection(bootstrap({ services: [Secure], address: `nats://svc:${SVC_PW}@127.0.0.1:1`, ...quiet })),
      await rejection(bootstrap({ services: [Secure], address: `nats://svc:${SVC_PW}@127.0.0.1:1/x`, ...quiet })),
      await rejection(bootstrap({ services: [Secure], address: `nats://svc:wrong-${SVC_PW}@${host}`, ...quiet })),
    ];
    const text = [...errors.map((e) => `${e.message} ${JSON.stringify(e)} ${inspect(e)}`), ...output, ...logLines].join('\n');
    expect(errors.map((e) => e.code)).to.deep.equal([Codes.Unavailable, Codes.BadRequest, Codes.Unavailable]);
    expect(text).to.include('***@127.0.0.1:1/x');
    for (const secret of [SVC_PW, WEB_PW]) expect(text).to.not.include(secret);
  });
});

describe('Security: URL credentials and subject prefixes as settings', () => {
  it('takes user:pass@ and token@ out of server URLs, as nats.go reads them (percent-decoded, first URL wins)', () => {
    expect(splitCredentials(['nats://u:123pw@h:4222', 'nats://other:x@h2:4222'])).to.deep.equal(
      { servers: ['nats://h:4222', 'nats://h2:4222'], credentials: { user: 'u', pass: '123pw' } });
    expect(splitCredentials(['nats://tok@h:4222', 'nats://h2:1'])).to.deep.equal(
      { servers: ['nats://h:4222', 'nats://h2:1'], credentials: { token: 'tok' } });
    expect(splitCredentials(['tls://us%40r:p%3Aw@[::1]:4222']).credentials).to.deep.equal({ user: 'us@r', pass: 'p:w' });
    expect(splitCredentials(['nats://u:@h']).credentials).to.deep.equal({ user: 'u', pass: '' });
    expect(splitCredentials(['nats://h:4222']).credentials).to.deep.equal({});
  });

  it('redacts the credentials of every URL in a text', () => {
    expect(redact('at nats://a:b@h:1,tls://tok@h2:2 and nats://h3:4 (nats://u:p@ss@h4)'))
      .to.equal('at nats://***@h:1,tls://***@h2:2 and nats://h3:4 (nats://***@h4)');
  });

  it('reads the inbox prefix, node-address prefix and queue group from code, MICRO_ env and flags', () => {
    const d = resolveConfig({ argv: [], env: {} });
    expect(d).to.include({ inboxPrefix: '_INBOX', addressPrefix: '_INBOX', queueGroup: 'micro-nats' });
    const c = resolveConfig({ inboxPrefix: '_I_A', addressPrefix: 'svc', queueGroup: 'q1', env: { MICRO_ADDRESS_PREFIX: '_SVC' },
      argv: ['--inbox_prefix', '_I_B', '--queue_group=q2'] });
    expect(c).to.include({ inboxPrefix: '_I_B', addressPrefix: '_SVC', queueGroup: 'q2' });
  });

  it('refuses an inbox prefix that does not start with "_" (services answer only such reply subjects)', () => {
    for (const input of [{ inboxPrefix: 'inbox' }, { argv: ['--inbox_prefix=_A.>'] }, { env: { MICRO_INBOX_PREFIX: 'x' } }]) {
      let err: unknown;
      try { resolveConfig({ argv: [], env: {}, ...input }); } catch (e) { err = e; }
      expect(err).to.be.instanceOf(ConfigError);
    }
    expect(() => buildComponents({ nats: { inboxPrefix: 'plain' } })).to.throw(ConfigError, /nats\.inboxPrefix/);
  });
});

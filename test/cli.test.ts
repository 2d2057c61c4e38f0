import { expect } from 'chai';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsString } from 'class-validator';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Svcm, type Service as NatsService } from '@nats-io/services';
import { bootstrap, conflict, Handler, Service, Subscribe, type App, type Context } from '../index';
import { freePort, startNatsServer, type NatsServer } from '../lib/testing';
import { CliProcess, jsonLines, runCli } from './support/cli';
import { sleep, waitFor } from './support/wait';

class EchoRequest {
  @IsString() text!: string;
}

const received: { evt: unknown; user?: string }[] = [];

@Service({ name: 'clitest', version: '1.0.0', metadata: { team: 'cli' } })
class Sample {
  @Handler()
  async echo(req: EchoRequest, ctx: Context) { return { text: req.text, user: ctx.metadata['x-user'] ?? null }; }

  @Handler()
  async *ticks(req: { to: number; gapMs?: number }) {
    for (let i = 1; i <= req.to; i++) {
      yield i;
      if (i < req.to) await sleep(req.gapMs ?? 0);
    }
  }

  @Handler()
  async reject() { throw conflict('clitest', 'already there'); }

  @Handler()
  async slow() { await sleep(800); return 'late'; }

  @Subscribe('clitest.events')
  async onEvent(evt: unknown, ctx: Context) { received.push({ evt, user: ctx.metadata['x-user'] }); }
}

@Service({ name: 'watched', version: '2.0.0' })
class Watched {
  @Handler() async ping() { return 'pong'; }
}

/**
 * A `$SRV.STATS` answer in the NATS Service API's shape, as in nats-io/jsm.go
 * schemas/micro/v1/stats_response.json (processing times in nanoseconds).
 */
const STATS_FIXTURE = {
  type: 'io.nats.micro.v1.stats_response', name: 'fixture', id: 'FIXTURE1', version: '0.1.0', started: '2026-01-01T00:00:00Z',
  endpoints: [{ name: 'add', subject: 'fixture.add', queue_group: 'q', num_requests: 7, num_errors: 1, last_error: '',
    processing_time: 14_000_000, average_processing_time: 2_000_000 }],
};

describe('micro-nats CLI (the built dist/cli/main.js against a real nats-server)', function () {
  this.timeout(15_000);
  let nats: NatsServer;
  let app: App;
  let env: Record<string, string>;
  let nc: NatsConnection;
  let adr32: NatsService;
  const cli = (args: string[], o?: { input?: string }) => runCli(args, env, o);

  before(async () => {
    nats = await startNatsServer();
    env = { NATS_URL: nats.url };
    app = await bootstrap({ services: [Sample], address: nats.url, argv: [], env: {} });
    // A service written with @nats-io/services: it speaks only the NATS Service API.
    nc = await connect({ servers: nats.url });
    adr32 = await new Svcm(nc as any).add({ name: 'clitest-adr', version: '1.2.3', description: 'plain ADR-32' });
    adr32.addEndpoint('add', { handler: (err, m) => { if (!err) m.respond(JSON.stringify({ ok: true })); } });
  });

  after(async () => {
    await adr32?.stop();
    await nc?.close();
    await app?.stop();
    await nats?.stop();
  });

  it('services: a table and JSON with versions, node count and protocol (micro-nats vs go-micro node metadata)', async () => {
    // A node without `server: micro-nats` metadata, as go-micro registers them.
    const legacy = { name: 'legacy', version: 'latest', metadata: {}, endpoints: [],
      nodes: [{ id: 'legacy-1', address: '_INBOX.legacy1', metadata: { transport: 'nats', protocol: 'mucp' } }] };
    await app.registry.register(legacy);
    try {
      const [human, json] = await Promise.all([cli(['services']), cli(['services', '--json'])]);
      expect(human.code, human.stderr).to.equal(0);
      expect(human.stdout).to.match(/^NAME\s+VERSIONS\s+NODES\s+PROTOCOL/);
      expect(human.stderr, 'no spinner when stderr is not a terminal').to.equal('');
      expect(human.stdout).to.match(/clitest\s+1\.0\.0\s+1\s+micro-nats/);
      expect(human.stdout).to.match(/legacy\s+latest\s+1\s+go-micro/);
      expect(human.stdout).to.match(/clitest-adr\s+1\.2\.3\s+1\s+ADR-32/);
      expect(json.code, json.stderr).to.equal(0);
      const rows = JSON.parse(json.stdout);
      expect(rows).to.deep.include({ name: 'clitest', versions: ['1.0.0'], nodes: 1, protocols: ['micro-nats'] });
      expect(rows).to.deep.include({ name: 'legacy', versions: ['latest'], nodes: 1, protocols: ['go-micro'] });
      expect(rows).to.deep.include({ name: 'clitest-adr', versions: ['1.2.3'], nodes: 1, protocols: ['ADR-32'] });
    } finally {
      await app.registry.deregister(legacy);
    }
  });

  it('describe: nodes with address and metadata, endpoints with request types; JSON is the registry record', async () => {
    const address = app.server!.service().nodes[0].address;
    const [human, json] = await Promise.all([cli(['describe', 'clitest']), cli(['describe', 'clitest', '--json'])]);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.contain('clitest 1.0.0  team=cli');
    expect(human.stdout).to.contain(address);
    expect(human.stdout).to.contain('server=micro-nats');
    expect(human.stdout).to.contain('Sample.echo(EchoRequest { text string })');
    expect(human.stdout).to.contain('Sample.ticks(');
    const [svc] = JSON.parse(json.stdout);
    expect(svc.name).to.equal('clitest');
    expect(svc.nodes[0].address).to.equal(address);
    const echo = svc.endpoints.find((e: { name: string }) => e.name === 'Sample.echo');
    expect(echo.request).to.deep.include({ type: 'EchoRequest', values: [{ name: 'text', type: 'string' }] });
  });

  it('call: prints the response; --metadata, --json, @file and - for stdin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'micro-nats-cli-'));
    try {
      writeFileSync(join(dir, 'req.json'), '{"text":"from file"}');
      const [human, json, file, stdin] = await Promise.all([
        cli(['call', 'clitest', 'Sample.echo', '{"text":"hi"}', '--metadata', 'x-user=ann', '--metadata', 'x-b=2']),
        cli(['call', 'clitest', 'Sample.echo', '{"text":"hi"}', '--json']),
        cli(['call', 'clitest', 'Sample.echo', `@${join(dir, 'req.json')}`, '--json']),
        cli(['call', 'clitest', 'Sample.echo', '-', '--json'], { input: '{"text":"from stdin"}' }),
      ]);
      expect(human.code, human.stderr).to.equal(0);
      expect(JSON.parse(human.stdout)).to.deep.equal({ text: 'hi', user: 'ann' });
      expect(human.stdout).to.contain('\n  "text": "hi"');   // pretty-printed for people
      expect(json.stdout).to.equal('{"text":"hi","user":null}\n');
      expect(JSON.parse(file.stdout).text).to.equal('from file');
      expect(JSON.parse(stdin.stdout).text).to.equal('from stdin');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('call: a 4xx answer exits 2 with the error on stderr, and as {"error":…} on stdout with --json', async () => {
    const [human, json, invalid] = await Promise.all([
      cli(['call', 'clitest', 'Sample.reject']),
      cli(['call', 'clitest', 'Sample.reject', '--json']),
      cli(['call', 'clitest', 'Sample.echo', '{"text":5}', '--json']),
    ]);
    expect(human.code).to.equal(2);
    expect(human.stdout).to.equal('');
    expect(human.stderr).to.contain('error: 409 Conflict from clitest: already there');
    expect(json.code).to.equal(2);
    expect(JSON.parse(json.stdout).error).to.deep.include({ code: 409, id: 'clitest', detail: 'already there' });
    expect(invalid.code).to.equal(2);
    const err = JSON.parse(invalid.stdout).error;
    expect(err.code).to.equal(400);
    expect(err.errors[0].property).to.equal('text');
  });

  it('call: --address reaches one node directly, --version filters, --timeout bounds the call (exit 4), a missing service exits 3', async () => {
    const address = app.server!.service().nodes[0].address;
    const [direct, wrongVersion, slow, missing] = await Promise.all([
      cli(['call', 'clitest', 'Sample.echo', '{"text":"direct"}', '--address', address, '--json']),
      cli(['call', 'clitest', 'Sample.echo', '{"text":"v"}', '--version', '9.9.9', '--json']),
      cli(['call', 'clitest', 'Sample.slow', '--timeout', '200ms', '--json']),
      cli(['call', 'nosuchservice', 'X.y']),
    ]);
    expect(direct.code, direct.stderr).to.equal(0);
    expect(JSON.parse(direct.stdout).text).to.equal('direct');
    expect(wrongVersion.code).to.equal(3);
    expect(JSON.parse(wrongVersion.stdout).error.code).to.equal(503);
    expect(slow.code).to.equal(4);
    expect(JSON.parse(slow.stdout).error.code).to.equal(408);
    expect(missing.code).to.equal(3);
    expect(missing.stderr).to.contain('nosuchservice').and.to.contain('hint: is the service running?');
  });

  it('stream: prints each item as it arrives (JSON lines with --json)', async () => {
    const p = new CliProcess(['stream', 'clitest', 'Sample.ticks', '{"to":3,"gapMs":300}', '--json'], env);
    const [json, human] = await Promise.all([p.exited, cli(['stream', 'clitest', 'Sample.ticks', '{"to":3}'])]);
    expect(json.code, json.stderr).to.equal(0);
    expect(jsonLines(json.stdout)).to.deep.equal([1, 2, 3]);
    // The first item was on stdout while the stream still had two 300 ms gaps to go.
    expect(p.chunks[0].text).to.equal('1\n');
    expect(json.ms - p.chunks[0].at).to.be.at.least(400);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.equal('1\n2\n3\n');
  });

  it('publish: the service\'s subscriber receives the event with its metadata', async () => {
    received.length = 0;
    const [human, json] = await Promise.all([
      cli(['publish', 'clitest.events', '{"n":1}', '--metadata', 'x-user=ann']),
      cli(['publish', 'clitest.events', '{"n":2}', '--json']),
    ]);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.equal('published to clitest.events\n');
    expect(JSON.parse(json.stdout)).to.deep.equal({ topic: 'clitest.events', published: true });
    await waitFor(() => received.length === 2, 'two events at the subscriber');
    expect(received).to.deep.include({ evt: { n: 1 }, user: 'ann' });
    expect(received.map((r) => r.evt)).to.deep.include({ n: 2 });
  });

  it('subscribe --count 1: prints a published event with its headers, then exits 0', async () => {
    const json = new CliProcess(['subscribe', 'clitest.sub.>', '--count', '1', '--json'], env);
    const human = new CliProcess(['subscribe', 'clitest.sub.*', '--count', '1', '--queue', 'auditors'], env);
    try {
      await Promise.all([json.stderrHas('subscribed to clitest.sub.>'), human.stderrHas('in queue group auditors')]);
      await app.client.publish('clitest.sub.a', { hello: 'world' }, { metadata: { 'x-trace': 't1' } });
      const [j, h] = await Promise.all([json.exited, human.exited]);
      expect(j.code, j.stderr).to.equal(0);
      const [evt] = jsonLines(j.stdout);
      expect(evt).to.deep.include({ topic: 'clitest.sub.a', body: { hello: 'world' }, encoding: 'json' });
      // A JSON event carries only its metadata: no Content-Type (JSON is implied), no frame headers.
      expect(evt.header).to.deep.equal({ 'x-trace': 't1' });
      expect(h.code, h.stderr).to.equal(0);
      expect(h.stdout).to.contain('clitest.sub.a').and.to.contain('  x-trace: t1').and.to.contain('{"hello":"world"}');
    } finally {
      json.kill();
      human.kill();
    }
  });

  it('subscribe and watch: run until SIGTERM or Ctrl-C (SIGINT), then exit 0', async () => {
    const sub = new CliProcess(['subscribe', 'clitest.none'], env);
    const watch = new CliProcess(['watch', 'nobody'], env);
    try {
      await Promise.all([sub.stderrHas('subscribed to clitest.none'), watch.stderrHas('watching the registry for nobody')]);
      sub.signal('SIGTERM');
      watch.signal('SIGINT');
      for (const r of await Promise.all([sub.exited, watch.exited])) {
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.equal('');
      }
    } finally {
      sub.kill();
      watch.kill();
    }
  });

  it('watch: sees a service start (create) and stop (delete)', async () => {
    const json = new CliProcess(['watch', 'watched', '--count', '2', '--json'], env);
    const human = new CliProcess(['watch', 'watched', '--count', '2'], env);
    let other: App | undefined;
    try {
      await Promise.all([json.stderrHas('watching the registry for watched'), human.stderrHas('watching')]);
      other = await bootstrap({ services: [Watched], address: nats.url, argv: [], env: {} });
      const node = other.server!.service().nodes[0];
      await other.stop();
      const [j, h] = await Promise.all([json.exited, human.exited]);
      expect(j.code, j.stderr).to.equal(0);
      const events = jsonLines(j.stdout);
      expect(events.map((e) => [e.action, e.service.name, e.service.version])).to.deep.equal([
        ['create', 'watched', '2.0.0'], ['delete', 'watched', '2.0.0']]);
      expect(events[0].service.nodes[0].address).to.equal(node.address);
      expect(h.code, h.stderr).to.equal(0);
      expect(h.stdout).to.match(/create\s+watched 2\.0\.0/).and.to.match(/delete\s+watched 2\.0\.0/);
    } finally {
      json.kill();
      human.kill();
      await other?.stop();
    }
  });

  it('health: calls Debug.Health on every node by address and shows the round-trip time', async () => {
    const node = app.server!.service().nodes[0];
    const [human, json] = await Promise.all([cli(['health', 'clitest']), cli(['health', 'clitest', '--json'])]);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.match(/^SERVICE\s+VERSION\s+NODE\s+STATUS\s+RTT/);
    expect(human.stdout).to.match(new RegExp(`clitest\\s+1\\.0\\.0\\s+${node.id}\\s+ok\\s+\\d+\\.\\d\\d ms`));
    expect(json.code, json.stderr).to.equal(0);
    const [check] = JSON.parse(json.stdout);
    expect(check).to.deep.include({ service: 'clitest', node: node.id, address: node.address, status: 'ok', ok: true });
    expect(check.rttMs).to.be.a('number').above(0).and.below(2_000);
    const adr = await cli(['health', 'clitest-adr', '--json']);
    expect(adr.code, adr.stderr).to.equal(0);
    expect(JSON.parse(adr.stdout)[0]).to.deep.include({ service: 'clitest-adr', protocol: 'ADR-32', status: 'ok', ok: true });
  });

  it('health: a node that does not answer is reported with its error, and the exit code is 3', async () => {
    const dead = { name: 'clitest-dead', version: '1.0.0', metadata: {}, endpoints: [],
      nodes: [{ id: 'dead-1', address: '_INBOX.nobodyhere', metadata: { server: 'micro-nats' } }] };
    await app.registry.register(dead);
    try {
      const r = await cli(['health', 'clitest-dead', '--timeout', '1s', '--json']);
      expect(r.code).to.equal(3);
      const [check] = JSON.parse(r.stdout);
      expect(check).to.deep.include({ node: 'dead-1', ok: false });
      expect(check.error.code).to.be.oneOf([408, 503]);
    } finally {
      await app.registry.deregister(dead);
    }
  });

  it('stats: gathers $SRV.STATS answers; exits 6 saying why when none answers', async () => {
    const fixture = nc.subscribe('$SRV.STATS.fixture', { callback: (_e, m) => { m.respond(JSON.stringify(STATS_FIXTURE)); } });
    try {
      await nc.flush();
      const [human, json, none, noneJson, ours] = await Promise.all([
        cli(['stats', 'fixture', '--wait', '300ms']),
        cli(['stats', 'fixture', '--wait', '300ms', '--json']),
        cli(['stats', 'nosuchservice', '--wait', '200ms']),
        cli(['stats', 'nosuchservice', '--wait', '200ms', '--json']),
        cli(['stats', 'clitest', '--wait', '300ms', '--json']),
      ]);
      expect(human.code, human.stderr).to.equal(0);
      expect(human.stdout).to.match(/fixture\s+0\.1\.0\s+FIXTURE1\s+add\s+7\s+1\s+2\.000 ms/);
      expect(JSON.parse(json.stdout)).to.deep.equal([STATS_FIXTURE]);
      expect(none.code).to.equal(6);
      expect(none.stderr).to.contain('no service answered $SRV.STATS.nosuchservice within 200 ms')
        .and.to.contain('NATS Service API');
      expect(noneJson.code).to.equal(6);
      expect(JSON.parse(noneJson.stdout).error.detail).to.contain('$SRV.STATS.nosuchservice');
      // micro-nats services answer $SRV.STATS too; the calls of the tests above are counted.
      expect(ours.code, ours.stderr).to.equal(0);
      const [mine] = JSON.parse(ours.stdout);
      expect(mine.name).to.equal('clitest');
      expect(mine.endpoints.reduce((n: number, e: { num_requests: number }) => n + e.num_requests, 0)).to.be.above(0);
    } finally {
      fixture.unsubscribe();
    }
  });

  it('a closed port, or one that never answers, fails fast (2 s connect timeout) with exit 5 and a message naming the address', async () => {
    const port = await freePort();
    const url = `nats://127.0.0.1:${port}`;
    // A loopback listener that accepts and never speaks NATS: the connection attempt must time out, not hang.
    const silent = createServer(() => undefined).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const silentUrl = `nats://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const [human, json, viaEnv, stats, mute] = await Promise.all([
        runCli(['services', '--server', url], {}),
        runCli(['call', 'clitest', 'Sample.echo', '{"text":"x"}', '--json'], { MICRO_ADDRESS: url }),
        runCli(['--address', url, 'health'], { NATS_URL: nats.url }),
        runCli(['stats', '-s', url], {}),
        runCli(['services', '-s', silentUrl], {}),
      ]);
      for (const r of [human, json, viaEnv, stats]) {
        expect(r.code, r.stderr).to.equal(5);
        expect(r.ms).to.be.below(8_000);   // generous for a loaded machine: the CLI gives up after 2 s, nats.js's own default is 20 s
        expect(r.stderr).to.contain(`127.0.0.1:${port}`).and.to.contain('hint: is nats-server running there?');
      }
      expect(JSON.parse(json.stdout).error.detail).to.contain(url);
      expect(mute.code, mute.stderr).to.equal(5);
      expect(mute.ms).to.be.below(8_000);
      expect(mute.stderr).to.contain(silentUrl);
    } finally {
      silent.close();
    }
  });

  it('--user/--password reach NATS: right ones connect, wrong ones exit 5 with the server\'s reason', async () => {
    const secured = await startNatsServer({ args: ['--user', 'cli', '--pass', 's3cret'] });
    try {
      const [ok, wrong] = await Promise.all([
        runCli(['services', '--json', '--user', 'cli', '--password', 's3cret'], { NATS_URL: secured.url }),
        runCli(['services', '--user', 'cli', '--password', 'nope'], { NATS_URL: secured.url }),
      ]);
      expect(ok.code, ok.stderr).to.equal(0);
      expect(JSON.parse(ok.stdout)).to.deep.equal([]);
      expect(wrong.code).to.equal(5);
      expect(wrong.stderr).to.contain(secured.url).and.to.match(/authorization/i);
    } finally {
      await secured.stop();
    }
  });

  it('stats subscribes its replies under --inbox_prefix or MICRO_INBOX_PREFIX (a user allowed only _I_CLI.> gets answers)', async () => {
    const config = `authorization { users = [
      { user: svc, password: "svc-pw" }
      { user: cli, password: "cli-pw", permissions: { publish = { allow = ["$SRV.>"] }, subscribe = { allow = ["_I_CLI.>"] } } }
    ] }`;
    const secured = await startNatsServer({ config });
    const svc = await connect({ servers: secured.url, user: 'svc', pass: 'svc-pw' });
    try {
      svc.subscribe('$SRV.STATS.fixture', { callback: (_e, m) => { m.respond(JSON.stringify(STATS_FIXTURE)); } });
      await svc.flush();
      const login = ['stats', 'fixture', '--wait', '300ms', '--json', '--user', 'cli', '--password', 'cli-pw'];
      const [flag, viaEnv, refused, bad] = await Promise.all([
        runCli([...login, '--inbox_prefix', '_I_CLI'], { NATS_URL: secured.url }),
        runCli(login, { NATS_URL: secured.url, MICRO_INBOX_PREFIX: '_I_CLI' }),
        runCli(login, { NATS_URL: secured.url }),  // _INBOX: the server refuses the reply subscription
        runCli([...login, '--inbox_prefix', 'I_CLI'], { NATS_URL: secured.url }),
      ]);
      expect(flag.code, flag.stderr).to.equal(0);
      expect(JSON.parse(flag.stdout)).to.deep.equal([STATS_FIXTURE]);
      expect(viaEnv.code, viaEnv.stderr).to.equal(0);
      expect(JSON.parse(viaEnv.stdout)).to.deep.equal([STATS_FIXTURE]);
      expect(refused.code).to.not.equal(0);
      expect(bad.code).to.equal(1);
      expect(bad.stderr).to.contain('--inbox_prefix');
    } finally {
      await svc.close();
      await secured.stop();
    }
  });

  it('usage errors exit 1; --help lists the commands and the exit codes', async () => {
    const [badJson, unknown, badCount, help] = await Promise.all([
      // Bad input is reported as such even where NATS is unreachable: it is read before connecting.
      runCli(['call', 'clitest', 'Sample.echo', '{not json', '-s', 'nats://127.0.0.1:1'], {}),
      cli(['frobnicate']),
      cli(['watch', '--count', '0']),
      cli(['--help']),
    ]);
    expect(badJson.code).to.equal(1);
    expect(badJson.stderr).to.contain('not valid JSON');
    expect(unknown.code).to.equal(1);
    expect(badCount.code).to.equal(1);
    expect(badCount.stderr).to.contain('--count');
    expect(help.code).to.equal(0);
    for (const c of ['services', 'describe', 'call', 'stream', 'publish', 'subscribe', 'watch', 'health', 'stats']) {
      expect(help.stdout).to.match(new RegExp(`\\n\\s+${c} `));
    }
    expect(help.stdout).to.contain('Exit codes:').and.to.contain('5  cannot connect to NATS');
  });
});

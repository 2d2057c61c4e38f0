import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { expect } from 'chai';
import { bootstrap } from 'micro-nats';
import { freePort, startNatsServer, type NatsServer } from 'micro-nats/testing';
import { chooseNats, configuredAddress, DEFAULT_NATS, natsAnswers } from './start';

const START = join(__dirname, 'start.js');

/** The environment without any MICRO_* setting, as on a fresh machine. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MICRO_') && k !== 'NATS_URL'));
  return { ...env, ...extra };
}

/** Runs `node start.js` to its end (killed after 20 s) and returns its exit code and output. */
function runStart(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [START, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    proc.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    proc.once('exit', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}

describe('sample: greeter (npm start)', function () {
  this.timeout(30_000);
  let nats: NatsServer;
  before(async () => { nats = await startNatsServer(); });
  after(async () => { await nats.stop(); });

  const flags = () => ['transport', 'broker', 'registry'].map((c) => `--${c}_address=${nats.url}`);

  it('runs service and client against the address given by flags, then stops the service gracefully', async () => {
    const { code, out } = await runStart(flags(), cleanEnv());
    expect(code, out).to.equal(0);
    expect(out).to.contain(`NATS: ${nats.url} (configured)`);
    expect(out).to.contain(`greeter 1.0.0 registered at ${nats.url}, endpoints: Greeter.hello`);
    expect(out).to.contain(`client  | greeter.hello({ name: 'John' }) -> {"msg":"Hello John"}`);
    expect(out).to.contain('400 Bad Request: name must be longer than or equal to 1 characters');
    expect(out).to.contain('service | user.created: welcome, John (user 1)');
    expect(out).to.contain('client  | services in the registry: greeter 1.0.0');
    expect(out).to.contain('The service exited with code 0.');

    // The graceful stop deregistered: nothing is left in the registry of that server.
    const app = await bootstrap({ address: nats.url, argv: [], env: {} });
    expect(await app.registry.listServices()).to.deep.equal([]);
    await app.stop();
  });

  it('reads the address from MICRO_* variables too', async () => {
    const env = cleanEnv({ MICRO_TRANSPORT_ADDRESS: nats.url, MICRO_BROKER_ADDRESS: nats.url, MICRO_REGISTRY_ADDRESS: nats.url });
    const { code, out } = await runStart([], env);
    expect(code, out).to.equal(0);
    expect(out).to.contain(`NATS: ${nats.url} (configured)`);
    expect(out).to.contain('{"msg":"Hello John"}');
  });

  it('with nothing configured, uses NATS at the default address or starts a private nats-server', async () => {
    const atDefault = await natsAnswers(DEFAULT_NATS);
    const { code, out } = await runStart([], cleanEnv());
    expect(code, out).to.equal(0);
    if (atDefault) {
      expect(out).to.contain(`NATS: ${DEFAULT_NATS} (found at the default address)`);
    } else {
      expect(out).to.match(/starts a private nats-server at nats:\/\/127\.0\.0\.1:\d+/);
      expect(out).to.contain('Stopped the private nats-server.');
    }
    expect(out).to.contain('{"msg":"Hello John"}');
  });

  it('exits 1 with the reason when nothing answers at the configured address', async () => {
    const closed = `nats://127.0.0.1:${await freePort()}`;
    const { code, out } = await runStart([`--address=${closed}`, '--connect_timeout=1s'], cleanEnv());
    expect(code, out).to.equal(1);
    expect(out).to.contain(`service | greeter could not start: cannot connect to NATS at ${closed}`);
    expect(out).to.contain('The service did not register');
  });

  it('tells a NATS server from a closed port and from a port where something else listens', async () => {
    expect(await natsAnswers(nats.url)).to.equal(true);
    expect(await natsAnswers(`nats://127.0.0.1:${await freePort()}`)).to.equal(false);
    const other = createServer((sock) => sock.end('SSH-2.0-OpenSSH\r\n'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const { port } = other.address() as AddressInfo;
    expect(await natsAnswers(`nats://127.0.0.1:${port}`)).to.equal(false);
    other.close();
  });

  it('decides: a configured address as is, else the default when it answers, else a private server', async () => {
    const probed: string[] = [];
    const probe = (answer: boolean) => async (url: string) => { probed.push(url); return answer; };
    expect(await chooseNats({ configured: [nats.url], probe: probe(false) })).to.deep.equal({ use: 'configured', servers: [nats.url] });
    expect(probed).to.deep.equal([]);
    expect(await chooseNats({ probe: probe(true) })).to.deep.equal({ use: 'default', servers: [DEFAULT_NATS] });
    expect(await chooseNats({ probe: probe(false) })).to.deep.equal({ use: 'private' });
    expect(probed).to.deep.equal([DEFAULT_NATS, DEFAULT_NATS]);
  });

  it('counts an address as configured when a go-micro address flag or MICRO_*_ADDRESS sets it', () => {
    expect(configuredAddress([], {})).to.equal(undefined);
    expect(configuredAddress(['--selector=random', '--server_name', 'x'], { MICRO_REGISTRY: 'nats' })).to.equal(undefined);
    expect(configuredAddress(['--registry_address=127.0.0.1:5000'], {})).to.include('nats://127.0.0.1:5000');
    expect(configuredAddress(['--transport_address', 'nats://a:1'], {})).to.include('nats://a:1');
    expect(configuredAddress([], { MICRO_BROKER_ADDRESS: 'nats://b:2' })).to.include('nats://b:2');
  });
});

import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { findNatsServer, startNatsCluster, startNatsServer, type NatsCluster, type NatsServer } from '../lib/testing';
import { rejection, waitFor } from './support/wait';
import { getJson } from './support/connz';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);


/** Whether something accepts TCP connections on 127.0.0.1:port. */
function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ port, host: '127.0.0.1' });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** A JetStream API request over plain nats.js; the parsed answer. */
async function jsApi(nc: NatsConnection, subject: string, body: unknown = undefined): Promise<any> {
  const m = await nc.request(subject, body === undefined ? '' : JSON.stringify(body), { timeout: 2_000 });
  return JSON.parse(dec(m.data));
}

/** Runs `fn` with the OS temp dir pointed at a fresh empty folder (os.tmpdir() reads TMPDIR on each call). */
async function withTmpdir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'micro-nats-testing-'));
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    return await fn(dir);
  } finally {
    if (saved === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = saved;
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('lib/testing: findNatsServer', () => {
  it('says how to install nats-server and names NATS_SERVER_BIN when the binary is not there', () => {
    let message = '';
    try { findNatsServer({ NATS_SERVER_BIN: '/nonexistent', PATH: '' }); } catch (err) { message = (err as Error).message; }
    expect(message).to.contain('apt-get install nats-server');
    expect(message).to.contain('NATS_SERVER_BIN');
  });

  it('finds Debian\'s /usr/sbin binary with an empty PATH and no NATS_SERVER_BIN', () => {
    const found = findNatsServer({ PATH: '' });
    accessSync(found, constants.X_OK);
    if (existsSync('/usr/sbin/nats-server')) expect(found).to.equal('/usr/sbin/nats-server');
  });
});

describe('lib/testing: startNatsServer', () => {
  let server: NatsServer | undefined;
  let nc: NatsConnection | undefined;
  afterEach(async () => {
    await nc?.close();
    nc = undefined;
    await server?.stop();
    server = undefined;
  });

  it('serves the monitoring endpoints at monitorUrl with monitor: true', async () => {
    server = await startNatsServer({ monitor: true });
    expect(server.monitorUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    const varz = await getJson(`${server.monitorUrl}/varz`);
    expect(varz.port).to.equal(server.port);
  });

  it('answers $JS.API.INFO with jetstream: true', async () => {
    server = await startNatsServer({ jetstream: true });
    nc = await connect({ servers: server.url });
    const info = await jsApi(nc, '$JS.API.INFO');
    expect(info.error).to.equal(undefined);
    expect(info.type).to.equal('io.nats.jetstream.api.v1.account_info_response');
  });

  it('keeps the folder and JetStream data across kill and restart, and removes the folder on stop', async () => {
    server = await startNatsServer({ jetstream: true });
    const dir = server.dir!;
    expect(existsSync(dir)).to.equal(true);
    nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
    const created = await jsApi(nc, '$JS.API.STREAM.CREATE.KEEP', { name: 'KEEP', subjects: ['keep.>'], storage: 'file' });
    expect(created.error).to.equal(undefined);
    await server.kill();
    expect(existsSync(dir)).to.equal(true);
    await server.restart();
    let info: any;
    await waitFor(async () => {
      try { info = await jsApi(nc!, '$JS.API.STREAM.INFO.KEEP'); } catch { return false; } // reconnecting
      return true;
    }, 'JetStream to answer after the restart', 10_000);
    expect(info.error).to.equal(undefined);
    expect(info.config.name).to.equal('KEEP');
    await nc.close();
    nc = undefined;
    await server.stop();
    server = undefined;
    expect(existsSync(dir)).to.equal(false);
  });

  it('starts again with its config after stop, in a new folder that the next stop removes', async () => {
    server = await startNatsServer({ config: 'max_payload: 4096' });
    const dir = server.dir!;
    await server.stop();
    expect(existsSync(dir)).to.equal(false);
    await server.restart();
    nc = await connect({ servers: server.url });
    expect(nc.info?.max_payload).to.equal(4096);
    await nc.close();
    nc = undefined;
    await server.stop();
    server = undefined;
    expect(existsSync(dir)).to.equal(false);
  });

  it('removes its folder when it fails to start, and says why', async () => {
    await withTmpdir(async (dir) => {
      const err = await rejection(startNatsServer({ jetstream: true, config: 'this is { not a valid config' }));
      expect(err.message).to.match(/exited before accepting connections/);
      expect(readdirSync(dir)).to.deep.equal([]);
    });
  });

  it('kills its servers and removes their folders when the test process exits without stopping them', async () => {
    const testing = join(__dirname, '..', 'lib', 'testing');
    // A running server and a killed one (its folder kept for a restart that never comes).
    const script = `
      const { existsSync } = require('node:fs');
      const { startNatsServer } = require(${JSON.stringify(testing)});
      (async () => {
        const running = await startNatsServer({ jetstream: true });
        const killed = await startNatsServer({ jetstream: true });
        await killed.kill();
        const seen = [running, killed].map((s) => ({ port: s.port, dir: s.dir, existed: existsSync(s.dir) }));
        console.log(JSON.stringify(seen));
        process.exit(0);
      })().catch((err) => { console.error(err); process.exit(1); });`;
    await withTmpdir(async (dir) => {
      const out = await new Promise<string>((resolve, reject) => {
        execFile(process.execPath, ['-e', script], { env: { ...process.env, TMPDIR: dir }, timeout: 15_000 }, (err, stdout, stderr) => {
          if (err) reject(new Error(`${err.message}\n${stderr}`)); else resolve(stdout);
        });
      });
      const seen = JSON.parse(out) as { port: number; dir: string; existed: boolean }[];
      expect(seen.map((s) => s.existed)).to.deep.equal([true, true]);
      expect(seen.every((s) => s.dir.startsWith(dir))).to.equal(true);
      expect(readdirSync(dir)).to.deep.equal([]);
      // SIGKILL is sent at exit; the kernel ends the process an instant later.
      await waitFor(async () => !(await accepting(seen[0].port)), 'the orphaned nats-server to be gone');
    });
  });
});

describe('lib/testing: startNatsCluster', () => {
  let cluster: NatsCluster | undefined;
  const conns: NatsConnection[] = [];
  afterEach(async () => {
    for (const c of conns.splice(0)) await c.close();
    await cluster?.stop();
    cluster = undefined;
  });

  it('routes messages again after a node is killed and restarted', async function () {
    this.timeout(40_000);
    cluster = await startNatsCluster(3);
    await cluster.kill(1);
    expect(await accepting(cluster.servers[1].port)).to.equal(false);
    await cluster.restart(1);
    // Only node 1's URL, and no gossiped ones: the publish must cross a route from node 1.
    const pub = await connect({ servers: cluster.urls[1], ignoreClusterUpdates: true });
    conns.push(pub);
    const sub = await connect({ servers: cluster.urls[0], ignoreClusterUpdates: true });
    conns.push(sub);
    expect(pub.getServer()).to.contain(String(cluster.servers[1].port));
    expect(sub.getServer()).to.contain(String(cluster.servers[0].port));
    const got: string[] = [];
    sub.subscribe('routes.check', { callback: (_e, m) => { got.push(dec(m.data)); } });
    await sub.flush();
    // Interest crosses the route asynchronously: publish until node 0's client hears it.
    await waitFor(async () => {
      pub.publish('routes.check', enc('over the route'));
      await pub.flush();
      await new Promise((r) => setTimeout(r, 20));
      return got.length > 0;
    }, 'a message from node 1 to reach node 0', 10_000);
    expect(got[0]).to.equal('over the route');
  });
});

import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { buildComponents, type Components } from '../lib/components';
import { Codes, REFUSED_ID } from '../lib/errors';
import type { Context } from '../lib/context';
import { silentLogger, type Logger } from '../lib/logger';
import { natsUrl } from './support/nats';
import { rejection, sleep, waitFor } from './support/wait';

/** Counts the messages on `subject` seen by a connection of its own. */
async function counter(subject: string, queue?: string): Promise<{ nc: NatsConnection; count: () => number }> {
  const nc = await connect({ servers: natsUrl() });
  let n = 0;
  nc.subscribe(subject, { queue, callback: () => { n++; } });
  await nc.flush();
  return { nc, count: () => n };
}

/** A queue-group member in a child process (test/fixtures/queue-node.ts); resolves once subscribed. */
function queueNode(topic: string, queue: string): Promise<{ proc: ChildProcess; handled: Promise<number> }> {
  const proc = spawn(process.execPath, [join(__dirname, 'fixtures', 'queue-node.js'), natsUrl(), topic, queue], { stdio: ['ignore', 'pipe', 'inherit'] });
  const onExit = () => proc.kill('SIGKILL');
  process.once('exit', onExit);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  const handled = new Promise<number>((resolve, reject) => proc.once('exit', () => {
    process.removeListener('exit', onExit);
    const m = /handled (\d+)/.exec(out);
    if (m) resolve(Number(m[1])); else reject(new Error(`queue node exited without a count: ${out}`));
  }));
  handled.catch(() => undefined);
  return waitFor(() => out.includes('ready'), 'queue node ready', 10_000).then(() => ({ proc, handled }));
}

describe('graceful stop', function () {
  this.timeout(40_000);

  it('flushes what was published: stop right after 100,000 publishes delivers all 100,000', async () => {
    const topic = `flush.${process.pid}`;
    const seen = await counter(topic);
    const c = buildComponents({ address: natsUrl() });
    for (let i = 0; i < 100_000; i++) await c.client.publish(topic, i);
    await c.close();
    await waitFor(() => seen.count() === 100_000, '100,000 events delivered', 10_000).catch(() => undefined);
    expect(seen.count()).to.equal(100_000);
    await seen.nc.close();
  });

  it('SIGTERM of a queue member mid-stream loses 0 events (3 runs of 3,000)', async () => {
    for (let run = 0; run < 3; run++) {
      const topic = `qstop.${process.pid}.${run}`;
      const child = await queueNode(topic, 'workers');
      const other = await counter(topic, 'workers');
      const pub = await connect({ servers: natsUrl() });
      for (let i = 0; i < 3_000; i++) {
        pub.publish(topic, String(i));
        if (i === 1_500) child.proc.kill('SIGTERM');
        if (i % 100 === 0) await sleep(2);
      }
      await pub.flush();
      const handled = await child.handled;
      await waitFor(() => handled + other.count() >= 3_000, 'every event handled', 5_000).catch(() => undefined);
      expect(handled, 'the stopped member handled some').to.be.above(0);
      expect(handled + other.count(), `run ${run}: events handled by the two members`).to.equal(3_000);
      await pub.close();
      await other.nc.close();
    }
  });

  it('does not wait for a handler whose caller already timed out; aborts ctx.signal and logs what is left at the end of the grace', async () => {
    const logs: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (o: object | string, m?: string) => { logs.push(typeof o === 'string' ? o : m ?? ''); } };
    const c = buildComponents({ address: natsUrl(), stopGrace: 1_500 });
    const s = c.server({ name: `grace-${process.pid}`, logger });
    const aborted: unknown[] = [];
    const hang = (_: unknown, ctx: Context) => new Promise((_resolve, reject) => {
      ctx.signal.addEventListener('abort', () => { aborted.push(ctx.signal.reason); reject(ctx.signal.reason); });
    });
    // A handler that ignores its signal, so it is still running when its caller has long given up.
    let releaseLate!: (v: unknown) => void;
    s.handle('G.late', () => new Promise((resolve) => { releaseLate = resolve; }));
    await s.start();
    const caller = buildComponents({ address: natsUrl() });
    // Its caller gives up after 200 ms: the stop must not wait for it.
    const late = rejection(caller.client.call(`grace-${process.pid}`, 'G.late', {}, { timeout: 200 }));
    await sleep(300);
    expect((await late).code).to.equal(Codes.Timeout);
    let t0 = Date.now();
    await s.stop();
    expect(Date.now() - t0, 'stop with only a late handler running').to.be.below(1_000);
    expect(logs.join('\n')).to.match(/1 handler\(s\) still running \(1 past their deadline\)/);
    // A handler within its deadline is waited for, until the grace period ends; then its signal aborts.
    const s2 = c.server({ name: `grace2-${process.pid}`, logger });
    s2.handle('G.long', hang);
    await s2.start();
    const long = rejection(caller.client.call(`grace2-${process.pid}`, 'G.long', {}, { timeout: 5_000 }));
    await sleep(200);
    t0 = Date.now();
    await s2.stop();
    const took = Date.now() - t0;
    expect(took).to.be.at.least(1_400).and.below(4_000);
    expect(aborted.map((e) => (e as { code?: number }).code)).to.deep.equal([Codes.Unavailable]);
    releaseLate(null);
    expect(logs.at(-1)).to.match(/1 handler\(s\) still running \(0 past their deadline\) after the grace period of 1500 ms/);
    const answer = await long;
    expect(answer.code).to.equal(Codes.Unavailable);
    expect(answer.detail, 'the handler\'s own answer, not a closed socket').to.match(/stopped before the handler finished/);
    await caller.close();
    await c.close();
  });

  it('a stopping server refuses new requests with 503 micro.server.refused, which callers re-send to another node', async () => {
    const c = buildComponents({ address: natsUrl(), stopGrace: 2_000 });
    const name = `refuse-${process.pid}`;
    let release!: () => void;
    const s = c.server({ name, id: `${name}-a` });
    s.handle('R.hold', () => new Promise<void>((r) => { release = r; }));
    s.handle('R.who', () => 'a');
    await s.start();
    const held = c.client.call(name, 'R.hold', {}, { timeout: 5_000 });
    await waitFor(() => release !== undefined, 'the held call running');
    const stopping = s.stop();
    await sleep(50);
    const address = s.service().nodes[0].address;
    const err = await rejection(c.client.call(name, 'R.who', {}, { address, retries: 0 }));
    expect(err.code).to.equal(Codes.Unavailable);
    expect(err.id).to.equal(REFUSED_ID);
    release();
    await held;
    await stopping;
    await c.close();
  });
});

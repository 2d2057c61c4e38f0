/**
 * In-process probe of the server's request path, without a client or the network's noise: feeds nats.js's
 * own message processing (`ProtocolHandler.processMsg`, not public API: a measuring tool only) with the
 * message a micro-nats client sends (compact `Micro-Call` head, `Micro-Socket`), or with a plain request to a
 * raw nats.js responder in the same process; replies are real publishes. Prints CPU µs per request, median
 * of 7 rounds. Needs a nats-server on 127.0.0.1:4222 (or the URL in $NATS_URL).
 * Run: npx tsc -p . ; node dist/bench/server-probe.js micro|raw [requests per event-loop turn, default 64]
 */
import 'reflect-metadata';
import { dirname, join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { bootstrap, Handler, Service } from '../index';

type Proto = { processMsg(m: object, d: Uint8Array): void; subscriptions: { subs: Map<number, { sid: number; subject: string }> } };
const { ProtocolHandler } = require(join(dirname(require.resolve('@nats-io/nats-core')), 'protocol.js'));
const seen: Proto[] = [];
const processMsg = ProtocolHandler.prototype.processMsg;
ProtocolHandler.prototype.processMsg = function (this: Proto, m: object, d: Uint8Array) {
  if (!seen.includes(this)) seen.push(this);
  return processMsg.call(this, m, d);
};

@Service('probe')
class Probe {
  @Handler({ request: Object }) async hello(req: { name: string }) { return { msg: `Hello ${req.name}` }; }
}

const te = new TextEncoder();
const td = new TextDecoder();

async function main(): Promise<void> {
  const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const mode = process.argv[2] === 'raw' ? 'raw' : 'micro';
  const perTurn = Number(process.argv[3] ?? 64);
  const app = await bootstrap({ services: [Probe], address: url, argv: [], env: {}, logLevel: 'error' });
  await app.client.call('probe', 'Probe.hello', { name: 'x' });
  const appProto = seen[0];
  const nc = await connect({ servers: url });
  nc.subscribe('probe.raw', { callback: (_e, m) => { const r = JSON.parse(td.decode(m.data)); m.respond(te.encode(JSON.stringify({ msg: `Hello ${r.name}` }))); } });
  await nc.flush();
  const proto = mode === 'raw' ? (nc as unknown as { protocol: Proto }).protocol : appProto;
  const subs = [...proto.subscriptions.subs.values()];
  const sub = mode === 'raw' ? subs.find((s) => s.subject === 'probe.raw')! : subs.find((s) => s.subject.startsWith('_INBOX') && !s.subject.endsWith('.*'))!;
  const body = te.encode('{"name":"John"}');
  const msgs = Array.from({ length: perTurn }, (_, i) => {
    const hdr = mode === 'raw' ? new Uint8Array(0) : te.encode(`NATS/1.0\r\nMicro-Call: 5000000000 a${i} Probe.hello\r\nMicro-Socket: 1\r\n\r\n`);
    const data = new Uint8Array(hdr.length + body.length);
    data.set(hdr);
    data.set(body, hdr.length);
    return { sid: sub.sid, subject: te.encode(sub.subject), reply: te.encode(`_INBOX.probe.${i}`), hdr: hdr.length || -1, size: data.length, data };
  });
  const n = Math.max(perTurn, perTurn === 1 ? 40_000 : 400_000);
  const rounds: number[] = [];
  for (let r = 0; r < 9; r++) {
    const c0 = process.cpuUsage();
    for (let k = 0; k < n; k += perTurn) {
      for (const m of msgs) proto.processMsg(m, m.data);
      await new Promise(setImmediate);
    }
    const c = process.cpuUsage(c0);
    rounds.push((c.user + c.system) / n);
  }
  const kept = rounds.slice(2).sort((a, b) => a - b);
  console.log(`${mode}, ${perTurn} per turn: ${kept[3].toFixed(2)} µs/request (min ${kept[0].toFixed(2)})`);
  process.exit(0);
}

main().catch((err) => { console.error(err); process.exit(1); });

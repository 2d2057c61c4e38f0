/** `publish` and `subscribe`: events on the broker, with their headers. */
import type { Command } from 'commander';
import type { Event as BrokerEvent } from 'micro-nats';
import { collectMetadata, parseCount, readBody } from '../input';
import { note, out, outJson } from '../output';
import { run, untilSignal } from '../run';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The body as JSON when it parses, as text when it is UTF-8, else base64 (`encoding` says which). */
export function decodeBody(body: Uint8Array): { body: unknown; encoding: 'json' | 'text' | 'base64' } {
  let text: string;
  try {
    text = decoder.decode(body);
  } catch {
    return { body: Buffer.from(body).toString('base64'), encoding: 'base64' };
  }
  try {
    return { body: JSON.parse(text), encoding: 'json' };
  } catch {
    return { body: text, encoding: 'text' };
  }
}

function printEvent(e: BrokerEvent, json: boolean | undefined): void {
  const m = e.message();
  const { body, encoding } = decodeBody(m.body);
  if (json) return outJson({ topic: e.topic(), header: m.header, body, encoding });
  const lines = [`${new Date().toISOString()}  ${e.topic()}`];
  for (const [k, v] of Object.entries(m.header)) lines.push(`  ${k}: ${v}`);
  lines.push(`  ${encoding === 'json' ? JSON.stringify(body) : String(body)}`);
  out(lines.join('\n'));
}

export function eventCommands(program: Command, add: (c: Command) => Command): void {
  add(program.command('publish').description('publish an event to a topic')
    .argument('<topic>', 'topic (a NATS subject), e.g. user.created')
    .argument('<event>', 'event body: JSON, @file.json, or - for stdin')
    .option('--metadata <k=v>', 'event metadata (a header), repeatable', collectMetadata))
    .action((topic: string, event: string, _o, cmd: Command) => run(cmd, async (app, f, payload) => {
      await app.client.publish(topic, payload, f.metadata ? { metadata: f.metadata } : {});
      if (f.json) outJson({ topic, published: true });
      else out(`published to ${topic}`);
    }, { prepare: () => readBody(event, 'event') }));

  add(program.command('subscribe').description('print events of a topic with their headers as they arrive, until Ctrl-C')
    .argument('<topic>', 'topic; wildcards * and > allowed')
    .option('--queue <group>', 'join this queue group (share events with its other members)')
    .option('--count <n>', 'exit after this many events', parseCount('--count')))
    .action((topic: string, _o, cmd: Command) => run(cmd, async (app, f) => {
      const signal = untilSignal();
      let seen = 0;
      let enough!: () => void;
      const counted = new Promise<void>((r) => { enough = r; });
      const sub = await app.broker.subscribe(topic, (e) => {
        if (f.count !== undefined && seen >= f.count) return;
        printEvent(e, f.json);
        if (f.count !== undefined && ++seen >= f.count) enough();
      }, f.queue ? { queue: f.queue } : {});
      note(`subscribed to ${topic}${f.queue ? ` in queue group ${f.queue}` : ''}; Ctrl-C to stop`);
      try {
        await Promise.race([counted, signal.done]);
      } finally {
        signal.dispose();
        await sub.unsubscribe();
      }
    }));
}

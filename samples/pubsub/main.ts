/**
 * Events with @Subscribe: a queue group shares events among replicas (each event handled once),
 * a subscription without a queue fans out (every replica gets every event), and publish metadata
 * travels as NATS headers into the subscriber's ctx.metadata.
 *
 * Run: node dist/samples/pubsub/main.js [--registry_address … --transport_address … --broker_address …]
 */
import 'reflect-metadata';
import { Container, inject } from 'inversify';
import { IsEmail, IsString, MinLength } from 'class-validator';
import { bootstrap, MicroError, Service, Subscribe, type App, type BootstrapOptions, type Context, type Event } from 'micro-nats';

export class UserSignedUp {
  @IsString() @MinLength(1) name!: string;
  @IsEmail() email!: string;
}

/** What the handlers did: stands in for sending mail and writing an audit trail. */
export class Journal {
  readonly mails: Record<string, string[]> = {};
  readonly audits: Record<string, string[]> = {};
  tenant?: string;
  readonly rejected: MicroError[] = [];
}

/** The name of the replica an instance runs in, bound in each replica's container. */
const REPLICA = Symbol.for('samples.pubsub.replica');

@Service('mailer')
class Mailer {
  constructor(@inject(REPLICA) private readonly replica: string, @inject(Journal) private readonly journal: Journal) {}

  // A queue group: each signup gets ONE welcome mail, however many replicas run.
  @Subscribe('user.signedup', { queue: 'mailer' })
  async welcome(evt: UserSignedUp, ctx: Context) {
    (this.journal.mails[this.replica] ??= []).push(evt.email);
    this.journal.tenant = ctx.metadata['x-tenant'];   // metadata keys are case-insensitive
  }
}

@Service('audit')
class Audit {
  constructor(@inject(REPLICA) private readonly replica: string, @inject(Journal) private readonly journal: Journal) {}

  // No queue: every replica receives every signup and keeps a complete trail of its own.
  @Subscribe('user.signedup')
  async record(evt: UserSignedUp) {
    (this.journal.audits[this.replica] ??= []).push(evt.email);
  }
}

/** Where NATS is, as bootstrap reads it (default: MICRO_* env and go-micro flags, else nats://127.0.0.1:4222). */
export type NatsConfig = Pick<BootstrapOptions, 'address' | 'argv' | 'env'>;

export async function main(nats: NatsConfig = {}, print: (line: string) => void = console.log): Promise<Journal> {
  const journal = new Journal();
  const replica = (name: string) => {
    const container = new Container();
    container.bind(REPLICA).toConstantValue(name);
    container.bind(Journal).toConstantValue(journal);
    // The error handler gets events whose handler threw or whose payload failed validation.
    return bootstrap({ ...nats, services: [Mailer, Audit], container,
      errorHandler: (e: Event) => { journal.rejected.push(e.error() as MicroError); } });
  };
  const apps: App[] = [await replica('replica-1'), await replica('replica-2')];
  const publisher = await bootstrap({ ...nats });   // a pure client, like a sign-up web front end
  apps.push(publisher);
  try {
    print('Two replicas run the mailer and the audit service: replica-1 and replica-2.');
    for (let i = 1; i <= 10; i++) {
      await publisher.client.publish('user.signedup', { name: `user${i}`, email: `user${i}@example.com` },
        { metadata: { 'X-Tenant': 'acme' } });
    }
    await publisher.client.publish('user.signedup', { name: 'eve', email: 'not-an-email' });
    print('Published 10 user.signedup events with metadata X-Tenant: acme, and 1 invalid one.');

    const count = (r: Record<string, string[]>) => Object.values(r).reduce((n, l) => n + l.length, 0);
    await until(() => count(journal.mails) >= 10 && count(journal.audits) >= 20 && journal.rejected.length >= 3, 'the events');
  } finally {
    // stop() drains: every event already delivered is handled before the counts below are read.
    for (const app of apps) await app.stop();
  }

  const [m1, m2] = ['replica-1', 'replica-2'].map((r) => journal.mails[r]?.length ?? 0);
  const unique = new Set(Object.values(journal.mails).flat()).size;
  print(`\nQueue group "mailer": each event handled once across the replicas (the split varies)`);
  print(`  replica-1 sent ${m1} welcome mails, replica-2 sent ${m2}: ${m1 + m2} in all, ${unique} different users`);
  const [a1, a2] = ['replica-1', 'replica-2'].map((r) => journal.audits[r]?.length ?? 0);
  print('No queue (audit): every replica gets every event');
  print(`  replica-1 recorded ${a1} signups, replica-2 recorded ${a2}`);
  print(`Metadata: the mailer read ctx.metadata['x-tenant'] = ${journal.tenant}`);
  const why = journal.rejected[0]?.errors?.map((e) => Object.values(e.constraints).join('; ')).join('; ');
  print(`The invalid event reached no handler: ${journal.rejected.length} subscriptions (1 mailer + 2 audit) `
    + `reported ${journal.rejected[0]?.code} to the error handler: ${why}`);
  return journal;
}

/** Polls `cond` until it holds; throws after `ms`. */
async function until(cond: () => boolean, what: string, ms = 5_000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
  }
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(`pubsub sample failed: ${err.message}`);
    process.exit(1);
  });
}

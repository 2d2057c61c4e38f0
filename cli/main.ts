#!/usr/bin/env node
/**
 * `micro-nats`: the command line of micro-nats. Lists, describes, calls and watches services; publishes
 * and subscribes to events; checks health and stats. Built on the package's public API as a pure client.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { connectionOptions } from './connection';
import { EXIT_HELP, Exit } from './exit';
import { report } from './run';
import { eventCommands } from './commands/events';
import { healthCommand } from './commands/health';
import { registryCommands } from './commands/registry';
import { rpcCommands } from './commands/rpc';
import { statsCommand } from './commands/stats';

const EXAMPLES = `
Examples:
  micro-nats services
  micro-nats describe greeter
  micro-nats call greeter Greeter.hello '{"name":"John"}'
  micro-nats call greeter Greeter.hello @request.json --timeout 2s --metadata x-user=ann
  micro-nats stream greeter Greeter.count '{"to":3}' --json
  micro-nats publish user.created '{"id":1,"name":"Ann"}'
  micro-nats subscribe 'user.>' --queue audit
  micro-nats --server nats://10.0.0.1:4222 health greeter

Connection: -s/--server (or --address) before or after the command; after call and stream, --address
names a node, so give NATS there with -s/--server. Otherwise MICRO_ADDRESS, then NATS_URL, then
nats://127.0.0.1:4222.

${EXIT_HELP}`;

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The program with every command; exported so its help can be checked without spawning. */
export function program(): Command {
  const p = new Command('micro-nats')
    .description('Inspect, call and watch micro-nats (and go-micro) services on NATS')
    .version(version())
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXAMPLES);
  connectionOptions(p);
  const add = (c: Command, o?: { address?: boolean }) => connectionOptions(c, o).addHelpText('after', `\n${EXIT_HELP}`);
  registryCommands(p, add);
  rpcCommands(p, add);
  eventCommands(p, add);
  healthCommand(p, add);
  statsCommand(p, add);
  return p;
}

/** Exits once stdout and stderr are flushed: a connection attempt that timed out can leave a socket open. */
function exit(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

if (require.main === module) {
  const argv = process.argv;
  program().parseAsync(argv).catch((err: unknown) => {
    process.exitCode = report(err, argv.includes('--json'));
  }).finally(() => exit(Number(process.exitCode ?? Exit.Ok)));
}

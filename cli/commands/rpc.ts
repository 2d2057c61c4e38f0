/** `call` and `stream`: one request to an endpoint, printing the response or each item as it arrives. */
import type { Command } from 'commander';
import type { CallOptions } from 'micro-nats';
import { collectMetadata, parseDuration, readBody } from '../input';
import { out, outJson } from '../output';
import { run, type Flags } from '../run';

function requestOptions(f: Flags): CallOptions {
  return {
    ...(f.timeout !== undefined && { timeout: f.timeout }),
    ...(f.metadata && { metadata: f.metadata }),
    ...(f.address !== undefined && { address: f.address }),
    ...(f.version !== undefined && { version: f.version }),
  };
}

/** Pretty JSON for people; a string result printed as is. */
function human(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2) ?? 'null';
}

function requestFlags(cmd: Command, timeoutHelp: string): Command {
  return cmd
    .argument('<service>', 'service name, e.g. greeter')
    .argument('<endpoint>', 'endpoint, e.g. Greeter.hello')
    .argument('[request]', 'request body: JSON, @file.json, or - for stdin (default {})')
    .option('--timeout <duration>', timeoutHelp, parseDuration('--timeout'))
    .option('--metadata <k=v>', 'request metadata (a header), repeatable', collectMetadata)
    .option('--address <node>', 'call this node address (e.g. _INBOX.abc) directly, bypassing node selection')
    .option('--version <version>', 'only nodes of this service version');
}

export function rpcCommands(program: Command, add: (c: Command, o?: { address?: boolean }) => Command): void {
  add(requestFlags(program.command('call').description('call an endpoint and print its response'),
    'whole-call budget, e.g. 500ms, 5s (default 5s)'), { address: false })
    .action((service: string, endpoint: string, request: string | undefined, _o, cmd: Command) => run(cmd, async (app, f, body) => {
      const response = await app.client.call(service, endpoint, body, requestOptions(f));
      if (f.json) outJson(response ?? null);
      else out(human(response));
    }, { nodeAddress: true, prepare: () => readBody(request) }));

  add(requestFlags(program.command('stream').description('call a streaming endpoint and print each item as it arrives'),
    'most to wait for each item, e.g. 5s (default 5s)'), { address: false })
    .action((service: string, endpoint: string, request: string | undefined, _o, cmd: Command) => run(cmd, async (app, f, body) => {
      for await (const item of app.client.stream(service, endpoint, body, requestOptions(f))) {
        if (f.json) outJson(item ?? null);
        else out(human(item));
      }
    }, { nodeAddress: true, prepare: () => readBody(request) }));
}

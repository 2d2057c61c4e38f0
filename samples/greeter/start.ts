/**
 * `npm start`: the greeter end to end. Finds NATS (or starts a private nats-server for the run), starts
 * the service process, runs the client process, then stops the service gracefully. Every wait is bounded.
 */
import 'reflect-metadata';
import { connect } from 'node:net';
import { join } from 'node:path';
import { resolveConfig } from 'micro-nats';
import { findNatsServer, startNatsServer, type NatsServer } from 'micro-nats/testing';
import { runChild, type Child } from './child';

export const DEFAULT_NATS = 'nats://127.0.0.1:4222';
const ADDRESS_FLAGS = ['transport_address', 'broker_address', 'registry_address'];

/** The NATS addresses set with `--address`, `--*_address`, `MICRO_*ADDRESS` or `NATS_URL`, or undefined when none is. */
export function configuredAddress(argv: readonly string[], env: NodeJS.ProcessEnv): string[] | undefined {
  const given = [...ADDRESS_FLAGS, 'address'].some((f) => argv.some((a) => a === `--${f}` || a.startsWith(`--${f}=`))
    || !!env[`MICRO_${f.toUpperCase()}`]?.trim()) || !!env.NATS_URL?.trim();
  if (!given) return undefined;
  const c = resolveConfig({ argv, env });
  return [...new Set([...c.transportAddress, ...c.brokerAddress, ...c.registryAddress])];
}

export type NatsChoice =
  | { use: 'configured'; servers: string[] }
  | { use: 'default'; servers: string[] }
  | { use: 'private' };

/** A configured address is used as is (its failure is the user's to see); else the default, else a private server. */
export async function chooseNats(o: { configured?: string[]; probe: (url: string) => Promise<boolean> }): Promise<NatsChoice> {
  if (o.configured) return { use: 'configured', servers: o.configured };
  return (await o.probe(DEFAULT_NATS)) ? { use: 'default', servers: [DEFAULT_NATS] } : { use: 'private' };
}

/** Whether a NATS server answers at `url`: it greets every new connection with an `INFO` line. */
export function natsAnswers(url: string, ms = 1_000): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const sock = connect({ host: hostname, port: Number(port || 4222) });
    const done = (ok: boolean) => { clearTimeout(timer); sock.destroy(); resolve(ok); };
    const timer = setTimeout(() => done(false), ms);
    sock.once('data', (d) => done(d.toString().startsWith('INFO')));
    sock.once('error', () => done(false));
  });
}

export async function main(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): Promise<number> {
  console.log('micro-nats greeter sample');
  const choice = await chooseNats({ configured: configuredAddress(argv, env), probe: natsAnswers });
  if (choice.use !== 'private') {
    console.log(`NATS: ${choice.servers.join(', ')} (${choice.use === 'configured' ? 'configured' : 'found at the default address'})`);
    return report(await run(argv, env));
  }
  try {
    findNatsServer(env);
  } catch (err) {
    // findNatsServer says what is wrong: NATS_SERVER_BIN not executable, or no binary found where it looked.
    console.log(`No NATS server answers at ${DEFAULT_NATS}, and none can be started: ${(err as Error).message}\n`
      + 'Or point the sample at a running NATS:\n    npm start -- --address=nats://host:4222');
    return 1;
  }
  const nats = await startNatsServer();
  console.log(`NATS: nothing answers at ${DEFAULT_NATS}, so this run starts a private nats-server at ${nats.url}`
    + ' (stopped at the end).');
  let code = 1;
  try {
    // The children read go-micro's flags, so the private address reaches them the way a user's would.
    code = await run([...argv, ...ADDRESS_FLAGS.map((f) => `--${f}=${nats.url}`)], env);
  } finally {
    await nats.stop();
    console.log('Stopped the private nats-server.');
  }
  return report(code);
}

/** Service up, client run, service stopped; the exit code. */
async function run(flags: string[], env: NodeJS.ProcessEnv): Promise<number> {
  console.log('\nStarting the service process (dist/samples/greeter/service.js)');
  const service = runChild('service', join(__dirname, 'service.js'), flags, env);
  try {
    if (!(await service.waitForLine(/ registered /, 15_000))) {
      console.log('The service did not register (see its output above). Is NATS reachable at that address?');
      return 1;
    }
    console.log('\nRunning the client process (dist/samples/greeter/client.js)');
    const clientCode = await runChild('client', join(__dirname, 'client.js'), flags, env).exit(15_000);

    console.log('\nStopping the service with SIGTERM (graceful: deregister, finish in-flight work, disconnect)');
    const serviceCode = await service.stop('SIGTERM', 12_000);
    console.log(`The service exited with code ${serviceCode}.`);
    return clientCode === 0 && serviceCode === 0 ? 0 : 1;
  } finally {
    await service.stop('SIGKILL', 2_000);   // a no-op when it already exited
  }
}

function report(code: number): number {
  if (code === 0) console.log('\nDone. Next: read samples/greeter/*.ts, then try the other samples (samples/*/README.md).');
  return code;
}

if (require.main === module) {
  main().then((code) => process.exit(code), (err: Error) => {
    console.error(`npm start failed: ${err.message}`);
    process.exit(1);
  });
}

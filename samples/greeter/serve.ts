/**
 * `npm run greeter`: the greeter service, running until Ctrl-C, to try the `micro-nats` command against.
 * It uses the NATS given by go-micro's flags or `MICRO_*` variables, else `nats://127.0.0.1:4222`; when
 * nothing answers there and nothing was configured, it starts a nats-server on that address for as long as
 * it runs, so `npx micro-nats services` finds the greeter at the default address.
 */
import 'reflect-metadata';
import { startNatsServer } from 'micro-nats/testing';
import { main as startService } from './service';
import { configuredAddress, DEFAULT_NATS, natsAnswers } from './start';

export async function serve(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (!configuredAddress(argv, env) && !(await natsAnswers(DEFAULT_NATS))) {
    // Stopped with this process: micro-nats/testing kills its servers at exit.
    const nats = await startNatsServer({ port: Number(new URL(DEFAULT_NATS).port) });
    console.log(`NATS: nothing answered at ${DEFAULT_NATS}, so nats-server runs there (${nats.url}) until this stops.`);
  }
  await startService();
  console.log('Try, in another terminal: npx micro-nats services; Ctrl-C here stops the service.');
}

if (require.main === module) {
  serve().catch((err: Error) => {
    console.error(`greeter could not start: ${err.message}`);
    process.exit(1);
  });
}

/**
 * A client process: finds the greeter through the registry, calls it, publishes an event and lists
 * what is registered. `node dist/samples/greeter/client.js [--registry_address …]`.
 */
import 'reflect-metadata';
import { bootstrap, MicroError } from 'micro-nats';
// A type-only import: the client knows Greeter's method signatures but loads none of its code.
import type { Greeter } from './service';

export async function main(): Promise<void> {
  const app = await bootstrap();                     // no services: a pure client
  try {
    // A proxy by name: `hello` resolves to the endpoint the registry advertises (Greeter.hello).
    const greeter = app.client.proxy<Greeter>('greeter');
    const reply = await greeter.hello({ name: 'John' }, { timeout: 2_000 });
    console.log(`greeter.hello({ name: 'John' }) -> ${JSON.stringify(reply)}`);

    // Validation happens in the service; its 400 arrives here as a MicroError with field errors.
    try {
      await greeter.hello({ name: '' });
    } catch (err) {
      if (!(err instanceof MicroError)) throw err;
      const why = err.errors?.flatMap((e) => Object.values(e.constraints)).join('; ') ?? err.detail;
      console.log(`greeter.hello({ name: '' }) -> ${err.code} ${err.status}: ${why}`);
    }

    await app.client.publish('user.created', { id: 1, name: 'John' });
    console.log('published user.created {"id":1,"name":"John"}');

    // Discovery: every running service answers the registry's broadcast query.
    const services = await app.registry.listServices();
    const names = services.map((s) => `${s.name} ${s.version}`).sort();
    console.log(`services in the registry: ${names.join(', ')}`);
  } finally {
    await app.stop();
  }
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(`client failed: ${err.message}`);
    process.exit(1);
  });
}

/**
 * The greeter service as its own process: `node dist/samples/greeter/service.js [--registry_address …]`.
 * Where NATS is comes from go-micro's flags or `MICRO_*` variables (default nats://127.0.0.1:4222), so
 * the same file runs unchanged against a laptop's nats-server or a cluster.
 */
import 'reflect-metadata';
import { IsInt, IsString, Min, MinLength } from 'class-validator';
import { bootstrap, Handler, Service, Subscribe, type Context } from 'micro-nats';

/** The request of Greeter.hello. A body that fails these rules never reaches the handler: the caller gets 400. */
export class HelloRequest {
  @IsString() @MinLength(1) name!: string;
}

/** The payload of the `user.created` event. */
export class UserCreated {
  @IsInt() @Min(1) id!: number;
  @IsString() name!: string;
}

@Service({ name: 'greeter', version: '1.0.0', metadata: { team: 'core' } })
export class Greeter {
  /** Endpoint `Greeter.hello` (go-micro's `Type.Method` naming). */
  @Handler()
  async hello(req: HelloRequest) {
    return { msg: `Hello ${req.name}` };
  }

  /** The queue group makes each event reach one greeter instance, however many run. */
  @Subscribe('user.created', { queue: 'greeter' })
  async onUserCreated(evt: UserCreated, ctx: Context) {
    console.log(`${ctx.endpoint}: welcome, ${evt.name} (user ${evt.id})`);
  }
}

export async function main(): Promise<void> {
  // `signals: true`: on SIGTERM or Ctrl-C the app deregisters, finishes in-flight requests and exits 0.
  const app = await bootstrap({ services: [Greeter], signals: true });
  process.once('SIGTERM', () => console.log('SIGTERM: deregistering and finishing in-flight work'));
  const svc = app.server!.service();
  console.log(`${svc.name} ${svc.version} registered at ${app.config.registryAddress.join(',')}, `
    + `endpoints: ${svc.endpoints.map((e) => e.name).join(', ')}`);
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(`greeter could not start: ${err.message}`);
    process.exit(1);
  });
}

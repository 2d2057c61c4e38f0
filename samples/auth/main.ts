/**
 * Auth with one decorator: `@Use(AuthGuard)` on the service checks a bearer token sent as metadata
 * (401 without one or with an unknown one), `@Use(requireRole('admin'))` on a method adds a role check
 * (403), and the handler reads the caller from `ctx.state`. The client sends the token with
 * `{ metadata: { authorization: 'Bearer …' } }`; it travels as a header across NATS.
 *
 * Run: node dist/samples/auth/main.js [--registry_address … --transport_address … --broker_address …]
 */
import 'reflect-metadata';
import { Container } from 'inversify';
import { bootstrap, Handler, MicroError, Service, Use, type BootstrapOptions, type Context } from 'micro-nats';
import { AuthGuard, requireRole, TokenStore, userOf } from './guard';

@Use(AuthGuard)
@Service('vault')
export class Vault {
  @Handler()
  async whoami(_req: unknown, ctx: Context) {
    const user = userOf(ctx);
    return { name: user.name, roles: user.roles };
  }

  @Use(requireRole('admin'))
  @Handler()
  async secrets(_req: unknown, ctx: Context) {
    return { secrets: ['launch-code'], readBy: userOf(ctx).name };
  }
}

/** Where NATS is, as bootstrap reads it (default: MICRO_* env and go-micro flags, else nats://127.0.0.1:4222). */
export type NatsConfig = Pick<BootstrapOptions, 'address' | 'argv' | 'env'>;

/** Runs the vault and a client; returns what each attempt got (a result or an error code). */
export async function main(nats: NatsConfig = {}, print: (line: string) => void = console.log): Promise<Record<string, unknown>> {
  const container = new Container();
  container.bind(TokenStore).toConstantValue(new TokenStore({
    'alice-token': { name: 'alice', roles: ['admin'] },
    'bob-token': { name: 'bob', roles: ['reader'] },
  }));
  const vault = await bootstrap({ ...nats, services: [Vault], container });
  const client = await bootstrap({ ...nats });   // another process, in real life
  const got: Record<string, unknown> = {};
  const attempt = async (label: string, endpoint: string, token?: string) => {
    const metadata = token ? { authorization: `Bearer ${token}` } : undefined;
    try {
      got[label] = await client.client.call('vault', endpoint, {}, { metadata });
      print(`${label.padEnd(28)} → ${JSON.stringify(got[label])}`);
    } catch (err) {
      if (!(err instanceof MicroError)) throw err;
      got[label] = err.code;
      print(`${label.padEnd(28)} → ${err.code} ${err.status}: ${err.detail}`);
    }
  };
  try {
    await attempt('whoami, no token', 'Vault.whoami');
    await attempt('whoami, unknown token', 'Vault.whoami', 'mallory-token');
    await attempt('whoami as bob', 'Vault.whoami', 'bob-token');
    await attempt('secrets as bob (reader)', 'Vault.secrets', 'bob-token');
    await attempt('secrets as alice (admin)', 'Vault.secrets', 'alice-token');
  } finally {
    await client.stop();
    await vault.stop();
  }
  return got;
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(`auth sample failed: ${err.message}`);
    process.exit(1);
  });
}

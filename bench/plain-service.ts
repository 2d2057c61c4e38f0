/** Memory baseline of the framework: a service process with one plain handler and no DTOs; reports its idle RSS. */
import 'reflect-metadata';
import { bootstrap, Handler, Service } from '../index';
import { reportIdleRss } from './idle-rss';

@Service('bench-plain')
class Plain {
  @Handler() async hello(req: { name: string }) { return { msg: `Hello ${req.name}` }; }
}

async function main(): Promise<void> {
  const app = await bootstrap({ services: [Plain], address: process.argv[2], argv: [], env: {} });
  await reportIdleRss();
  await app.stop();
}

main().catch((err) => { console.error(err); process.exit(1); });

import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { natsUrl } from './support/nats';

const root = join(__dirname, '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The tsconfig the README's Install section documents: its first json block. */
function documentedTsconfig(): string {
  const install = readFileSync(join(root, 'README.md'), 'utf8').split('\n## Install\n')[1];
  return /```json\n([\s\S]*?)```/.exec(install)![1];
}

const APP = `import 'reflect-metadata';
import { IsString } from 'class-validator';
import { inject } from 'inversify';
import { bootstrap, Handler, Service, TYPES, type Broker } from 'micro-nats';

class HelloRequest { @IsString() name!: string }

@Service('first-day')
class Greeter {
  constructor(@inject(TYPES.Broker) private readonly broker: Broker) {}
  @Handler() hello(req: HelloRequest) { return { msg: 'Hello ' + req.name, at: new Date(0), via: String(this.broker) }; }
}

async function main() {
  const app = await bootstrap({ services: [Greeter], argv: [] });
  const ok = await app.client.proxy(Greeter).hello({ name: 'Ada' });
  const bad = await app.client.call('first-day', 'Greeter.hello', { name: 1 }).catch((e) => e.code);
  await app.stop();
  console.log(JSON.stringify({ ok, bad }));
}
main().catch((err) => { console.error(err); process.exit(1); });
`;

/** The files a fresh clone has (no dist), with the dev dependencies linked in. */
function freshClone(dir: string): void {
  for (const f of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'index.ts', 'LICENSE', 'README.md', 'lib', 'exports', 'decorators', 'cli']) {
    cpSync(join(root, f), join(dir, f), { recursive: true });
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
}

describe('the package, as a user installs it', function () {
  this.timeout(180_000);
  let tmp: string;
  before(() => { tmp = mkdtempSync(join(tmpdir(), 'micro-nats-pack-')); });
  after(() => { if (!process.env.KEEP_TMP) rmSync(tmp, { recursive: true, force: true }); });

  it('npm pack of a fresh clone builds and ships only the library; a new app installs it with its peers, compiles and runs', () => {
    const clone = join(tmp, 'clone');
    mkdirSync(clone);
    freshClone(clone);
    execFileSync(npm, ['pack', '--silent', '--pack-destination', tmp], { cwd: clone, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const tarball = join(tmp, readdirSync(tmp).find((f) => f.endsWith('.tgz'))!);
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
    expect(files).to.include.members(['package/dist/index.js', 'package/dist/index.d.ts', 'package/LICENSE', 'package/README.md',
      'package/package.json', 'package/dist/lib/testing/index.js', 'package/dist/cli/main.js']);
    expect(files.filter((f) => /^package\/dist\/(test|bench|samples)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).to.deep.equal([]);

    const app = join(tmp, 'app');
    mkdirSync(join(app, 'src'), { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'first-day', version: '1.0.0', private: true }));
    writeFileSync(join(app, 'tsconfig.json'), documentedTsconfig());
    writeFileSync(join(app, 'src', 'main.ts'), APP);
    // The README's install command (peers included), offline from the npm cache.
    execFileSync(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball,
      'reflect-metadata', 'inversify', 'class-validator', 'class-transformer', '@types/node@20'], { cwd: app, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(app, 'tsconfig.json')], { encoding: 'utf8' });
    const out = execFileSync(process.execPath, [join(app, 'dist', 'main.js')], {
      cwd: app, encoding: 'utf8', env: { ...process.env, NATS_URL: natsUrl(), MICRO_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(JSON.parse(out.trim())).to.deep.equal({ ok: { msg: 'Hello Ada', at: '1970-01-01T00:00:00.000Z', via: 'nats' }, bad: 400 });
  });
});

import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const fixture = join(root, 'test', 'fixtures', 'no-metadata', 'app.ts');

/** A directory with the fixture, a tsconfig without emitDecoratorMetadata and micro-nats linked as a package. */
function appDir(): string {
  const dir = join(root, '.tmp', 'no-metadata');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(root, join(dir, 'node_modules', 'micro-nats'), 'dir');
  copyFileSync(fixture, join(dir, 'app.ts'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'node16', moduleResolution: 'node16', strict: true, experimentalDecorators: true,
      skipLibCheck: true, outDir: 'out', types: ['node'] },
    include: ['app.ts'],
  }));
  return dir;
}

function expectOutcome(stdout: string): void {
  const out = JSON.parse(stdout.trim().split('\n').pop()!);
  expect(out.forgot).to.match(/^bootstrap: Forgot\.hello takes a parameter, but no type was recorded/);
  expect(out.forgot).to.include('@Handler({ request: <Dto> })').and.include('"emitDecoratorMetadata": true');
  expect(out.valid).to.deep.equal({ message: 'Hello Ada', dto: true });
  expect(out.invalid).to.equal(400);
  expect(out.echo).to.deep.equal({ any: ['thing'] });
  // The invalid event was refused; the valid one arrived whitelisted.
  expect(out.events).to.deep.equal([{ name: 'Bob' }]);
}

describe('DTOs without emitDecoratorMetadata', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => { dir = appDir(); });

  it('compiled by tsc without it: a handler with an unnamed parameter type fails bootstrap; named DTOs validate', () => {
    execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
    expectOutcome(execFileSync(process.execPath, [join(dir, 'out', 'app.js')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  });

  it('run under tsx (types stripped): the same', () => {
    expectOutcome(execFileSync(join(root, 'node_modules', '.bin', 'tsx'), ['app.ts'], { cwd: dir, encoding: 'utf8' }));
  });
});

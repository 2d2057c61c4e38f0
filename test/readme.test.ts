import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/** The ```ts blocks of README.md: each is a complete program and must type-check against the package. */
function tsBlocks(): string[] {
  const md = readFileSync(join(root, 'README.md'), 'utf8');
  return [...md.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

describe('README', () => {
  it('has TypeScript examples, and every one compiles as a program against micro-nats', function () {
    this.timeout(120_000);
    const blocks = tsBlocks();
    expect(blocks.length).to.be.at.least(3);
    const dir = join(root, '.tmp', 'readme');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    // Each block is its own module (`export {}`), so blocks may reuse names.
    blocks.forEach((code, i) => writeFileSync(join(dir, `block-${i + 1}.ts`), `${code}\nexport {};\n`));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      extends: '../../tsconfig.json',
      compilerOptions: { noEmit: true, rootDir: '../..' },
      include: ['*.ts'],
    }));
    let out = '';
    try {
      execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
    } catch (err) {
      out = String((err as { stdout?: string }).stdout ?? err);
    }
    expect(out, out).to.equal('');
  });
});

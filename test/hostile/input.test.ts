/**
 * Input a remote party controls is handled in time linear in its size and within caps: header blocks,
 * DTO bodies. (Sizes are those of the attacks: a 1 MiB header block, a 60 000-key body.)
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { Expose, Type } from 'class-transformer';
import { IsInt, IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';
import { dtoDecoder, MAX_DTO_KEYS } from '../../lib/dto';
import { Codes } from '../../lib/errors';
import { parseHeaderBlock } from '../../lib/nats/headers';
import { MAX_HEADERS } from '../../lib/protocol/mucp';
import { rejection } from '../support/wait';

const MiB = 1024 * 1024;

/** Milliseconds `fn` takes (best of 3: the bound is about complexity, not a slow moment of a loaded machine). */
async function timed(fn: () => unknown): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

describe('Hostile: header blocks', () => {
  it('parses a 1 MiB block of lines without a colon in linear time, and still finds the entry after them', async () => {
    const junk = 'abcdefgh\r\n'.repeat(MiB / 10);
    const block = `NATS/1.0\r\n${junk}Micro-Endpoint: E.call\r\n\r\n`;
    let header: Record<string, string> = {};
    // Searching each line's colon to the end of the block took ~1 s here (quadratic).
    expect(await timed(() => { header = parseHeaderBlock(block).header; })).to.be.below(100);
    expect(header).to.deep.equal({ 'Micro-Endpoint': 'E.call' });
  });

  it('stops one entry past the header limit, which the request head refuses', () => {
    let block = 'NATS/1.0\r\n';
    for (let i = 0; i < 60_000; i++) block += `K${i}: v\r\n`;
    const { header } = parseHeaderBlock(`${block}\r\n`);
    expect(Object.keys(header)).to.have.length(MAX_HEADERS + 1);
  });

  it('keeps the first value of a repeated key and reads a status line', () => {
    const r = parseHeaderBlock('NATS/1.0 503\r\nA: 1\r\nno colon\r\nA: 2\r\nB:x\r\n\r\n');
    expect(r.status).to.equal(503);
    expect(r.header).to.deep.equal({ A: '1', B: 'x' });
  });
});

class Inner { @IsInt() n!: number }
class Order {
  @IsString() name!: string;
  @IsOptional() @IsObject() meta?: Record<string, unknown>;
  @IsOptional() @ValidateNested() @Type(() => Inner) inner?: Inner;
  @IsOptional() @IsString() @Expose({ name: 'user_name' }) userName?: string;
}

describe('Hostile: DTO bodies', () => {
  const decode = dtoDecoder('svc', 'Order.create', Order);

  it('strips 60,000 unknown keys before class-transformer sees them', async () => {
    const body: Record<string, unknown> = { name: 'a', user_name: 'u', inner: { n: 1 } };
    for (let i = 0; i < 60_000; i++) body[`k${i}`] = i;
    let out: any;
    // plainToInstance over the whole body took ~1 s here.
    expect(await timed(async () => { out = await decode(body); })).to.be.below(100);
    expect(out).to.be.instanceOf(Order);
    expect(Object.keys(out).sort()).to.deep.equal(['inner', 'name', 'userName']);
    expect(out.inner).to.be.instanceOf(Inner);
  });

  it('refuses 400 a kept property holding more than the key limit, at once', async () => {
    const meta: Record<string, number> = {};
    for (let i = 0; i < 60_000; i++) meta[`k${i}`] = i;
    let err: any;
    expect(await timed(async () => { err = await rejection(decode({ name: 'a', meta })); })).to.be.below(100);
    expect(err.code).to.equal(Codes.BadRequest);
  });

  it('refuses 400 a body nested deeper than the depth limit', async () => {
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 100; i++) deep = { d: deep };
    const err = await rejection(decode({ name: 'a', meta: deep }));
    expect(err.code).to.equal(Codes.BadRequest);
  });

  it('accepts a body within the limits as before', async () => {
    const meta: Record<string, number> = {};
    for (let i = 0; i < MAX_DTO_KEYS / 2; i++) meta[`k${i}`] = i;
    const out = await decode({ name: 'a', meta }) as Order;
    expect(Object.keys(out.meta!)).to.have.length(MAX_DTO_KEYS / 2);
  });
});

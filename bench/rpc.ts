/** RPC scenarios: the same call made by each caller at a given concurrency and payload. */
import type { NatsConnection } from '@nats-io/transport-node';
import type { App, ServiceClient } from '../index';
import { handRolled, natsRequest } from './clients';
import { runLoad, type LoadResult } from './load';
import type { Bench } from './service';

export type Caller = 'nc.request' | 'hand-rolled' | 'micro-nats' | 'micro-nats DTO';

/** Builds each caller's request function for `endpoint` (hello or echo) with `body`. */
export function callers(nc: NatsConnection, app: App, endpoint: 'hello' | 'echo', body: any): Record<Caller, () => Promise<unknown>> {
  const proxy: ServiceClient<Bench> = app.client.proxy(require('./service').Bench);
  return {
    'nc.request': natsRequest(nc, `bench.raw.${endpoint}`, body),
    'hand-rolled': handRolled(nc, `bench.raw.${endpoint}`, body),
    'micro-nats': endpoint === 'hello' ? () => proxy.hello(body) : () => proxy.echo(body),
    'micro-nats DTO': () => proxy.helloDto(body),
  };
}

/** Runs `names` interleaved for `rounds` rounds; returns every run per caller. */
export async function interleave(fns: Partial<Record<Caller, () => Promise<unknown>>>, names: Caller[], rounds: number,
                                 total: number, concurrency: number, warmup: number,
                                 serverCpu?: () => Promise<number>): Promise<Record<string, LoadResult[]>> {
  const out: Record<string, LoadResult[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (const n of names) {
      const before = await serverCpu?.();
      const res = await runLoad(fns[n]!, total, concurrency, warmup);
      if (serverCpu && before !== undefined) res.serverCpuUs = ((await serverCpu()) - before) / (total + warmup);
      (out[n] ??= []).push(res);
    }
  }
  return out;
}

import { percentile } from './stats';

/** One measured run of a request function. */
export interface LoadResult { rps: number; p50: number; p99: number; cpuUs: number; serverCpuUs?: number }

/**
 * Runs `warmup` then `total` calls of `fn` with `concurrency` callers; returns throughput (req/s), latency
 * percentiles (ms) and the caller process's CPU time per request (µs).
 */
export async function runLoad(fn: () => Promise<unknown>, total: number, concurrency: number, warmup: number): Promise<LoadResult> {
  await drive(fn, warmup, concurrency, undefined);
  const lat = new Float64Array(total);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await drive(fn, total, concurrency, lat);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  lat.sort();
  return { rps: (total / ms) * 1000, p50: percentile(lat, 50), p99: percentile(lat, 99), cpuUs: (cpu.user + cpu.system) / total };
}

async function drive(fn: () => Promise<unknown>, total: number, concurrency: number, lat: Float64Array | undefined): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const t = performance.now();
      await fn();
      if (lat) lat[i] = performance.now() - t;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

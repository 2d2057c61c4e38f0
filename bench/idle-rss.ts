/**
 * Idle RSS of a bench process, twice: 1 s after start (`rss`), and settled (`settled`) once the process has
 * been idle for {@link SETTLE_MS}, by when V8's memory reducer has shrunk the young generation that
 * start-up grew (see bench/RESULTS.md, "What was tried"). Both after a full GC.
 */
export const SETTLE_MS = 20_000;

export async function reportIdleRss(): Promise<void> {
  await new Promise((r) => setTimeout(r, 1_000));
  global.gc?.();
  process.send!({ type: 'rss', rss: process.memoryUsage().rss });
  await new Promise((r) => setTimeout(r, SETTLE_MS - 1_000));
  global.gc?.();
  process.send!({ type: 'settled', rss: process.memoryUsage().rss });
}

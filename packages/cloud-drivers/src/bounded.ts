/**
 * Runs `fn` over `items` with at most `limit` calls in flight: the one bounded-concurrency
 * helper of buildfleet (launches within a pool here, pools and accounts in the provisioner).
 */
export async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, run));
}

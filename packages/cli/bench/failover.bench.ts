import { migrateUp } from '@buildfleet/models';
import { createTestDatabase, prepareTemplate, stopTemplateServer } from '@buildfleet/testdb';
import { runFailover } from './failover/harness';

/**
 * `npm run bench`: the failover run of test/failover.test.ts on a fresh database, ending with
 * one JSON line. Goals: lost 0, duplicates 0, reconnect p95 <= 5 s, stall <= lease + 5 s.
 * Needs root, haproxy and the debusine-worker chroot, as the test does.
 */
async function main(): Promise<void> {
  await prepareTemplate({ name: 'cli-bench', migrate: (url) => migrateUp(url).then(() => undefined) });
  const database = await createTestDatabase();
  try {
    const leaseSeconds = 5;
    const report = await runFailover({ databaseUrl: database.url, leaseSeconds, progress: (line) => process.stderr.write(`${line}\n`) });
    process.stderr.write(`${JSON.stringify(report)}\n`);
    console.log(
      JSON.stringify({
        bench: 'failover',
        replicas: report.replicas,
        requests: report.requests,
        lost: report.lost,
        duplicates: report.duplicates,
        reconnect_p95_ms: report.reconnectP95Ms,
        stall_max_ms: report.stallMaxMs,
        lease_ms: leaseSeconds * 1000,
      }),
    );
  } finally {
    await database.drop();
    await stopTemplateServer();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

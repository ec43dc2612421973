import { createTestDatabase } from '@buildfleet/testdb';
import { type FailoverReport, runFailover } from '../bench/failover/harness';
import { realWorkerAvailable } from '../bench/failover/real-worker';

/**
 * Three `buildfleet serve` replicas on one PostgreSQL behind Debian's haproxy, with the real
 * debusine-worker from the chroot, 20 simulated workers and a dummy pool's simulated instances,
 * all over the real protocol through haproxy; 500 queued noops. One replica is SIGKILLed
 * mid-run, then the other two are restarted one by one. Needs haproxy, root and the chroot
 * (.ci/run sets up all three); run it under `flock /work/chroot.lock` beside other chroot tests.
 */
describe('failover of serve replicas behind haproxy', () => {
  let report: FailoverReport;
  let drop: () => Promise<void> = async () => {};

  beforeAll(async () => {
    if (!realWorkerAvailable()) throw new Error('the failover test needs root and the debusine-worker chroot (.ci/setup-chroot.sh)');
    const database = await createTestDatabase();
    drop = database.drop;
    report = await runFailover({ databaseUrl: database.url, progress: (line) => process.stderr.write(`failover: ${line}\n`) });
    process.stderr.write(`failover: ${JSON.stringify(report)}\n`);
  }, 170_000);
  afterAll(() => drop());

  it('completes every request exactly once (a retry superseding an aborted run counts once)', () => {
    expect({ lost: report.lost, duplicates: report.duplicates }).toEqual({ lost: 0, duplicates: 0 });
  });

  it('has the real debusine-worker take part', () => {
    expect(report.realWorkerCompleted).toBeGreaterThan(0);
  });

  it('never assigns a request to a worker whose session lease had expired', () => {
    expect(report.expiredAssignments).toBe(0);
  });

  it('sees every worker of a killed or restarted replica reconnect through another, and all connected at the end', () => {
    expect(report.notReconnected).toBe(0);
    expect(report.disconnectedAtEnd).toEqual([]);
  });

  it('launches no instance twice and leaves no orphan instance or worker row', () => {
    expect(report.duplicateLaunches).toEqual([]);
    expect(report.orphans).toEqual([]);
  });
});

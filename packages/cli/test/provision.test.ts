import { type PoolLaunchResult } from '../src/commands/pool/launch';
import { type PoolTerminateResult } from '../src/commands/pool/terminate';
import { type ProvisionResult } from '../src/commands/provision/index';
import { type DecisionsListResult } from '../src/commands/decisions/list';
import { cli, cliJson, useCliDatabase } from './helpers';

const db = useCliDatabase();
const API = '--api-url https://debusine.example.net/api';

beforeAll(async () => {
  await cli(`account create --data ${await db.yamlFile({ name: 'dummy', provider_type: 'dummy' })}`);
  await cli('scope create debian');
  const specifications = await db.yamlFile({ provider_type: 'dummy' });
  await cli(`pool create dummy-a --provider-account dummy --architectures amd64 --specifications ${specifications}`);
  const limits = await db.yamlFile({ max_active_instances: 2 });
  await cli(`pool create dummy-small --provider-account dummy --architectures arm64 --specifications ${specifications} --limits ${limits}`);
});

describe('provision', () => {
  it('--dry-run prints the decisions and records, launches and terminates nothing', async () => {
    await cli('work-request create --task noop --scope debian');
    const { stdout, exitCode } = await cli('provision --once --dry-run');
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/^launch\s+LaunchForDemand\s+launch 1 in dummy-a: scope debian has 1 pending request no live instance can take$/m);
    expect(await db.count('provisioning_decisions')).toBe(0);
    expect(await db.query(`select name from workers`)).toEqual([]);
  });

  it('--once launches, showing each launch as it happens, and records the decisions', async () => {
    const { stdout, result } = await cli<ProvisionResult>(`provision --once ${API}`);
    expect(stdout).toMatch(/^launched dummy-a-001 in dummy-a \(instance dummy-\d+\)$/m);
    expect(result?.ticks[0]).toMatchObject({ ran: true, launched: [{ pool: 'dummy-a', worker: 'dummy-a-001' }] });
    const listed = await cliJson<DecisionsListResult>('decisions list --pool dummy-a');
    expect(listed.json.map((d) => d.reason)).toEqual(['LaunchForDemand']);
    const table = await cli('decisions list');
    expect(table.stdout).toMatch(/^Time\s+Kind\s+Reason\s+Pool\s+Message$/m);
    expect(table.stdout).toContain('launch 1 in dummy-a');
  });

  it('refuses to launch without the API URL, naming the flag, and needs exactly one of --once and --loop', async () => {
    const missing = await cli('provision --once');
    expect(missing.exitCode).toBe(2);
    expect(missing.error?.message).toContain('--api-url');
    expect((await cli('provision --dry-run')).exitCode).toBe(2);
    expect((await cli('provision --once --loop --dry-run')).exitCode).toBe(2);
  });
});

describe('pool launch and pool terminate', () => {
  it('launches within the limits and refuses beyond them unless --force', async () => {
    const refused = await cli(`pool launch dummy-small 3 ${API}`);
    expect(refused.exitCode).toBe(1);
    expect(refused.error?.message).toBe(
      'pool dummy-small can launch at most 2 now (max_active_instances or its monthly budget); launch fewer, or with --force',
    );
    const launched = await cli<PoolLaunchResult>(`pool launch dummy-small 2 ${API}`);
    expect(launched.stdout).toMatch(/^launched dummy-small-001 in dummy-small/m);
    expect(launched.stdout).toContain('Launched 2 of 2 in dummy-small.');
    const forced = await cliJson<PoolLaunchResult>(`pool launch dummy-small 1 --force ${API}`);
    expect(forced.json.launched.map((l) => l.worker)).toEqual(['dummy-small-003']);
  });

  it('terminates an idle worker, and refuses an unknown one with exit code 3', async () => {
    const { json, exitCode } = await cliJson<PoolTerminateResult>('pool terminate dummy-small-003');
    expect(exitCode).toBe(0);
    expect(json).toMatchObject({ pool: 'dummy-small', worker: 'dummy-small-003' });
    expect((await cli('pool terminate nobody-001')).exitCode).toBe(3);
    expect((await cli('pool terminate dummy-small-003')).error?.message).toContain('is stopped');
  });
});

import { type ScopeCreateResult } from '../src/commands/scope/create';
import { type ScopeListResult } from '../src/commands/scope/list';
import { type ScopePoolLinkResult } from '../src/commands/scope-pool/link';
import { type ScopePoolListResult } from '../src/commands/scope-pool/list';
import { awsAccount, awsSpecification, cli, cliJson, useCliDatabase } from './helpers';

const db = useCliDatabase();

beforeAll(async () => {
  await cli(`account create --data ${await db.yamlFile(awsAccount())}`);
  const spec = await db.yamlFile(awsSpecification());
  await cli(`pool create shared --provider-account aws-main --architectures amd64 --specifications ${spec}`);
  await cli('scope create debian');
  await cli('scope create team');
  await cli(`pool create team-only --provider-account aws-main --architectures amd64 --specifications ${spec} --no-instance-wide --scope team`);
});

describe('scope create and list', () => {
  it('creates a scope, and updates its label when run again', async () => {
    expect((await cliJson<ScopeCreateResult>('scope create kali --label Kali')).json).toMatchObject({
      created: true,
      scope: { name: 'kali', label: 'Kali' },
    });
    expect((await cliJson<ScopeCreateResult>('scope create kali --label "Kali Linux"')).json).toMatchObject({
      created: false,
      scope: { label: 'Kali Linux' },
    });
  });

  it('refuses a name that is not a lower-case slug with exit 2', async () => {
    const { error, exitCode } = await cli('scope create Bad_Name');
    expect(exitCode).toBe(2);
    expect(error?.message).toContain('name:');
    expect(await db.query(`select 1 from scopes where name = 'Bad_Name'`)).toEqual([]);
  });

  it('lists scopes with their pools', async () => {
    const { json } = await cliJson<ScopeListResult>('scope list');
    expect(json.find((s) => s.name === 'team')?.pools).toEqual(['team-only']);
  });
});

describe('scope-pool', () => {
  it('links a scope to an instance-wide pool with a priority and limits, and updates the link when run again', async () => {
    const limits = await db.yamlFile({ target_latency_seconds: 600 });
    const link = await cliJson<ScopePoolLinkResult>(`scope-pool link debian shared --priority 10 --limits ${limits}`);
    expect(link.exitCode).toBe(0);
    expect(link.json).toEqual({
      scope: 'debian',
      pool: 'shared',
      poolInstanceWide: true,
      priority: 10,
      limits: { target_max_seconds_per_month: null, target_latency_seconds: 600 },
    });
    const again = await cliJson<ScopePoolLinkResult>('scope-pool link debian shared --priority 5');
    expect(again.json).toMatchObject({ priority: 5, limits: { target_latency_seconds: 600 } });
    expect(await db.count('scope_worker_pools')).toBe(2);
  });

  it('lists links, filtered by scope or pool', async () => {
    const all = await cliJson<ScopePoolListResult>('scope-pool list');
    expect(all.json.map((l) => `${l.scope}/${l.pool}`)).toEqual(['debian/shared', 'team/team-only']);
    expect((await cliJson<ScopePoolListResult>('scope-pool list --scope team')).json.map((l) => l.pool)).toEqual(['team-only']);
    expect((await cliJson<ScopePoolListResult>('scope-pool list --pool shared')).json.map((l) => l.scope)).toEqual(['debian']);
  });

  it('refuses to link a pool that serves only one scope to a second scope, with exit 1', async () => {
    const { error, exitCode } = await cli('scope-pool link debian team-only');
    expect(exitCode).toBe(1);
    expect(error?.message).toContain('worker pool "team-only" is not instance-wide and already belongs to another scope');
    expect((await cliJson<ScopePoolListResult>('scope-pool list --pool team-only')).json.map((l) => l.scope)).toEqual(['team']);
  });

  it('refuses bad link limits with exit 2, naming the field, and writes nothing', async () => {
    const { error, exitCode } = await cli(`scope-pool link kali shared --limits ${await db.yamlFile({ target_latency_seconds: 0 })}`);
    expect(exitCode).toBe(2);
    expect(error?.message).toContain('limits.target_latency_seconds');
    expect((await cliJson<ScopePoolListResult>('scope-pool list --scope kali')).json).toEqual([]);
  });

  it('exits 3 when the scope or pool does not exist', async () => {
    expect((await cli('scope-pool link nope shared')).exitCode).toBe(3);
    expect((await cli('scope-pool link debian nope')).exitCode).toBe(3);
  });

  it('unlinks an instance-wide pool, and exits 3 for a link that does not exist', async () => {
    expect((await cli('scope-pool unlink debian shared')).exitCode).toBe(0);
    expect((await cliJson<ScopePoolListResult>('scope-pool list --scope debian')).json).toEqual([]);
    expect((await cli('scope-pool unlink debian shared')).exitCode).toBe(3);
  });

  it('refuses to unlink the one scope of a scope-only pool, with exit 1', async () => {
    const { error, exitCode } = await cli('scope-pool unlink team team-only');
    expect(exitCode).toBe(1);
    expect(error?.message).toContain('serves only scope "team"');
    expect((await cliJson<ScopePoolListResult>('scope-pool list --pool team-only')).json).toHaveLength(1);
  });
});

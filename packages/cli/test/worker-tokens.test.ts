import { hashTokenKey } from '@buildfleet/models';
import { type TokenCreateResult } from '../src/commands/token/create';
import { type WorkerActivateResult } from '../src/commands/worker/activate';
import { type WorkerCreateResult } from '../src/commands/worker/create';
import { type WorkerDeleteResult } from '../src/commands/worker/delete';
import { cli, cliJson, useCliDatabase } from './helpers';

const db = useCliDatabase();

async function enabledOf(worker: string): Promise<boolean | undefined> {
  const [row] = await db.query<{ enabled: boolean }>(
    `select t.enabled from workers w join tokens t on t.id = w.token_id where w.name = $1`,
    [worker],
  );
  return row?.enabled;
}

it('creates a static worker and prints its activation token once, storing only its hash', async () => {
  const { json } = await cliJson<WorkerCreateResult>('worker create builder1.example.org');
  expect(json).toMatchObject({ worker: 'builder1-example-org', expiresInSeconds: 3600 });
  expect(json.activationToken).toMatch(/^[0-9a-f]{64}$/);
  const [row] = await db.query<{ hash: string }>(
    `select t.hash from workers w join tokens t on t.id = w.activation_token_id where w.name = 'builder1-example-org'`,
  );
  expect(row?.hash).toBe(hashTokenKey(json.activationToken));
  const shown = await cli('worker show builder1-example-org --json');
  expect(shown.stdout).not.toContain(json.activationToken);
  expect(shown.stdout).not.toContain(row!.hash);
});

it('refuses a host name that is not one', async () => {
  const { exitCode, error } = await cli('worker create bad_host!');
  expect(exitCode).toBe(2);
  expect(error?.message).toContain('fqdn');
});

it('disables and enables a registered worker’s token', async () => {
  await db.insertConnectedWorker('static-1', {});
  expect(await enabledOf('static-1')).toBe(true);
  expect((await cli('worker disable static-1')).stdout).toContain('Worker "static-1" is disabled.');
  expect(await enabledOf('static-1')).toBe(false);
  expect((await cliJson('worker enable static-1')).json).toEqual({ worker: 'static-1', enabled: true });
  expect(await enabledOf('static-1')).toBe(true);
});

it('says a worker that has not registered has no token to enable', async () => {
  await cli('worker create builder2.example.org');
  const { exitCode, error } = await cli('worker enable builder2-example-org');
  expect(exitCode).toBe(1);
  expect(error?.message).toContain('has not registered yet');
  expect((await cli('worker enable nobody')).exitCode).toBe(3);
});

it('creates a user token, printed once and stored as a hash with its owner', async () => {
  const { json } = await cliJson<TokenCreateResult>('token create --user alice --comment uploads --expires-in 30');
  expect(json.user).toBe('alice');
  const [row] = await db.query<{ user_name: string; enabled: boolean; comment: string }>(
    'select user_name, enabled, comment from tokens where hash = $1',
    [hashTokenKey(json.token)],
  );
  expect(row).toEqual({ user_name: 'alice', enabled: true, comment: 'uploads' });
  expect(new Date(json.expiresAt!).getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
  expect((await cli('token create --user "no spaces"')).exitCode).toBe(2);
});

describe('worker lifecycle', () => {
  async function runningOn(worker: string): Promise<string> {
    await cli('scope create lifecycle');
    const { json } = await cliJson<{ id: string }>('work-request create --task noop --scope lifecycle');
    await db.query(
      `update work_requests set status = 'running', started_at = now(), worker_id = (select id from workers where name = $2) where id = $1`,
      [json.id, worker],
    );
    return json.id;
  }

  it('refuses to create a worker whose name exists with exit 2, pointing at worker activate, and writes nothing', async () => {
    await cli('worker create builder3.example.org');
    const before = await db.count('tokens');

    const { exitCode, error } = await cli('worker create builder3.example.org');

    expect(exitCode).toBe(2);
    expect(error?.message).toContain('buildfleet worker activate builder3-example-org');
    expect(await db.count('tokens')).toBe(before);
  });

  it('activates an existing static worker with a new token, disabling its current one and retrying its running work', async () => {
    await db.insertConnectedWorker('static-2', {});
    const running = await runningOn('static-2');

    const { json } = await cliJson<WorkerActivateResult>('worker activate static-2');

    expect(json.worker).toBe('static-2');
    const [row] = await db.query<{ enabled: boolean; activation: string }>(
      `select t.enabled, a.hash as activation from workers w join tokens t on t.id = w.token_id
         join tokens a on a.id = w.activation_token_id where w.name = 'static-2'`,
    );
    expect(row).toEqual({ enabled: false, activation: hashTokenKey(json.activationToken) });
    const [lost] = await db.query<{ status: string; retried: boolean }>(
      `select status, exists (select 1 from work_requests n where n.supersedes_id = r.id) as retried from work_requests r where r.id = $1`,
      [running],
    );
    expect(lost).toEqual({ status: 'aborted', retried: true });
    expect((await cli('worker activate nobody')).exitCode).toBe(3);
  });

  it('deletes a worker with its tokens, refusing one with running work unless --force, which retries the work', async () => {
    await db.insertConnectedWorker('static-3', {});
    const running = await runningOn('static-3');

    const refused = await cli('worker delete static-3');
    expect(refused.exitCode).toBe(1);
    expect(refused.error?.message).toContain('--force');

    const { json } = await cliJson<WorkerDeleteResult>('worker delete static-3 --force');
    expect(json).toMatchObject({ worker: 'static-3', aborted: [running], terminated: false });
    expect(json.retries).toEqual([{ id: expect.any(String), supersedes: running }]);
    expect(await db.query('select 1 from workers where name = $1', ['static-3'])).toEqual([]);
    expect((await cli('worker delete static-3')).exitCode).toBe(3);
  });
});

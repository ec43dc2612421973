import { hashTokenKey } from '@buildfleet/models';
import { type TokenCreateResult } from '../src/commands/token/create';
import { type WorkerCreateResult } from '../src/commands/worker/create';
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

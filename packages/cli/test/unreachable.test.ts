import { type ErrorResult } from '../src/shared/base-command';
import { cli, cliJson } from './helpers';

// Nothing listens on port 9 (discard) here; the password must never be shown.
const UNREACHABLE = 'postgres://buildfleet:hunter2-db-password@127.0.0.1:9/buildfleet';

beforeAll(() => {
  process.env.DATABASE_URL = UNREACHABLE;
});

it.each(['pool list', 'db status', 'db migrate'])('%s exits 1 with one clear message when DATABASE_URL is unreachable', async (command) => {
  const { error, stdout, stderr, exitCode } = await cli(command);
  expect(exitCode).toBe(1);
  expect(error?.message).toBe(
    'DATABASE_URL: cannot connect to postgres://buildfleet:***@127.0.0.1:9/buildfleet (ECONNREFUSED). ' +
      'Start that PostgreSQL server or fix DATABASE_URL, or unset DATABASE_URL to use the embedded PostgreSQL.',
  );
  expect(`${error?.message}${stdout}${stderr}`).not.toContain('hunter2');
});

it('gives the same error as JSON under --json', async () => {
  const { json, exitCode } = await cliJson<ErrorResult>('account list');
  expect(exitCode).toBe(1);
  expect(json.error).toMatchObject({ name: 'DatabaseUnreachableError', exitCode: 1 });
  expect(json.error.message).not.toContain('hunter2');
});

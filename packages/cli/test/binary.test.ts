import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { migrations } from '@buildfleet/models';
import { type AccountShowResult } from '../src/commands/account/show';
import { stringify } from 'yaml';
import { awsAccount, expectNoSecret, PACKAGE_ROOT, useCliDatabase } from './helpers';

/** The built `buildfleet` binary, as users run it (needs `npm run build` first). */
function buildfleet(args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin', 'run.js'), ...args], { env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

function environment(overrides: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { DATABASE_URL: _unset, ...rest } = process.env;
  return { ...rest, NODE_ENV: 'production', ...overrides };
}

describe('with DATABASE_URL unset', () => {
  let dataDir: string;
  beforeAll(async () => {
    // Under /tmp and traversable: as root, the embedded server runs as the `postgres` user.
    dataDir = await mkdtemp('/tmp/buildfleet-cli-embedded-');
    await chmod(dataDir, 0o755);
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it(
    'migrates and lists pools on an embedded PostgreSQL under BUILDFLEET_DATA_DIR, and stops it after each command',
    async () => {
      const env = environment({ BUILDFLEET_DATA_DIR: dataDir });
      const migrate = await buildfleet(['db', 'migrate'], env);
      expect(migrate).toMatchObject({ code: 0, stderr: '' });
      expect(migrate.stdout).toMatch(/^Applied \d+ migrations?:/);
      for (const { name } of migrations) expect(migrate.stdout).toContain(name);

      const list = await buildfleet(['pool', 'list', '--json'], env);
      expect(list).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(list.stdout)).toEqual([]);

      expect(existsSync(join(dataDir, 'postgres', 'data', 'PG_VERSION'))).toBe(true);
      expect(existsSync(join(dataDir, 'postgres', 'data', 'postmaster.pid'))).toBe(false);
    },
    300_000,
  );
});

describe('with DATABASE_URL set', () => {
  const db = useCliDatabase();

  it('account create --data - reads the account from standard input', async () => {
    const env = environment({ DATABASE_URL: db.url });
    const created = await buildfleet(['account', 'create', '--data', '-'], env, stringify(awsAccount({ name: 'from-stdin' })));
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toBe('Created provider account "from-stdin" (aws).\n');
    expectNoSecret(created.stdout);

    const shown = await buildfleet(['account', 'show', 'from-stdin', '--json'], env);
    expect((JSON.parse(shown.stdout) as AccountShowResult).credentialFields).toEqual(['access_key_id', 'secret_access_key']);
  });

  it('prints bad input to stderr and exits 2', async () => {
    const { code, stdout, stderr } = await buildfleet(['account', 'create', '--data', '-'], environment({ DATABASE_URL: db.url }), 'name: x\n');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('provider_type');
  });

  it('prints one clear line and exits 1 when DATABASE_URL is unreachable', async () => {
    const env = environment({ DATABASE_URL: 'postgres://buildfleet:hunter2-db-password@127.0.0.1:9/buildfleet' });
    const { code, stdout, stderr } = await buildfleet(['pool', 'list'], env);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    // oclif prefixes and wraps the message at the terminal width; unwrapped, it is one sentence pair.
    expect(stderr.replace(/\s*\n ›\s*/g, ' ').trim()).toBe(
      '›   Error: DATABASE_URL: cannot connect to postgres://buildfleet:***@127.0.0.1:9/buildfleet (ECONNREFUSED). ' +
        'Start that PostgreSQL server or fix DATABASE_URL, or unset DATABASE_URL to use the embedded PostgreSQL.',
    );
    expect(stderr).not.toContain('hunter2');
  });
});

import { execFile } from 'node:child_process';
import { copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { type FailRule, type HetznerFake, startHetznerFake } from '@buildfleet/hetzner-fake';
import { startServer } from '@buildfleet/server';
import pino from 'pino';
import { type DecisionsListResult } from '../src/commands/decisions/list';
import { type PoolLaunchResult } from '../src/commands/pool/launch';
import { type PoolTerminateResult } from '../src/commands/pool/terminate';
import { type AccountRotateKeyResult } from '../src/commands/account/rotate-key';
import { type ProvisionResult } from '../src/commands/provision/index';
import { cli, cliJson, useCliDatabase } from './helpers';

/**
 * A provider that echoes the account's credential back in its errors (code, message, details;
 * as given, re-cased, encoded, cut short) must not get it into any output: CLI output, the
 * decisions, pool health, the status pages, the server's log.
 */

const TOKEN = 'HcLoud-Echo-Token-0123456789abcdefGHIJKL-9876543210';
const API = '--api-url https://debusine.example.net/api';

/** The token in any case, in the encodings a provider might use, or any 12-character run of it. */
function leaks(text: string): string | null {
  const lower = text.toLowerCase();
  const token = TOKEN.toLowerCase();
  for (let i = 0; i + 12 <= token.length; i++) if (lower.includes(token.slice(i, i + 12))) return token.slice(i, i + 12);
  const encoded = [Buffer.from(TOKEN).toString('base64'), Buffer.from(TOKEN).toString('hex'), encodeURIComponent(TOKEN)];
  return encoded.find((e) => lower.includes(e.toLowerCase().slice(0, 16))) ?? null;
}

function expectNoLeak(text: string): void {
  expect(leaks(text)).toBeNull();
}

/** One echoing failure per shape: the token in code, message and details, in several forms. */
function echo(form: 'plain' | 'lower' | 'upper' | 'base64' | 'part', rule: Pick<FailRule, 'method' | 'path' | 'status' | 'times'>): FailRule {
  const value = {
    plain: TOKEN,
    lower: TOKEN.toLowerCase(),
    upper: TOKEN.toUpperCase(),
    base64: Buffer.from(TOKEN).toString('base64'),
    part: TOKEN.slice(3, 30),
  }[form];
  return {
    ...rule,
    code: `${rule.status === 422 ? 'invalid_input' : rule.status === 401 ? 'unauthorized' : 'forbidden'}:${value}`,
    message: `the token ${value} was refused`,
    details: { fields: [{ name: value, messages: [`got ${value}`] }], token: value },
  };
}

const db = useCliDatabase();
let fake: HetznerFake;

beforeAll(async () => {
  fake = await startHetznerFake({ token: TOKEN });
  const account = { name: 'hz', provider_type: 'hetzner', configuration: { api_url: fake.url }, credentials: { api_token: TOKEN } };
  expect((await cli(`account create --data ${await db.yamlFile(account)}`)).exitCode).toBe(0);
  await cli('scope create debian');
  const specifications = await db.yamlFile({ server_type: 'cpx22', image_name: 'debian-13', location: 'fsn1' });
  expect((await cli(`pool create hz-pool --provider-account hz --architectures amd64 --specifications ${specifications}`)).exitCode).toBe(0);
  await cli('work-request create --task noop --scope debian');
});
afterAll(() => fake.close());

describe('a provider echoing the credential in its errors', () => {
  it('provision --json reports the failed listing and launch with the credential redacted', async () => {
    fake.failNext(echo('plain', { method: 'GET', path: '/servers', status: 403 }));
    fake.failNext(echo('lower', { method: 'POST', path: '/servers', status: 422 }));

    const { stdout, exitCode, json } = await cliJson<ProvisionResult>(`provision --once ${API}`);

    expect(exitCode).toBe(0);
    expect(json.ticks[0]?.decisions.map((d) => d.reason)).toEqual(expect.arrayContaining(['ListFailed', 'LaunchFailed']));
    expect(json.ticks[0]?.decisions.find((d) => d.reason === 'LaunchFailed')?.message).toContain('[redacted]');
    expectNoLeak(stdout);
  });

  it('pool launch --json prints its documented result, redacted, when every launch fails, and exits 1', async () => {
    fake.failNext(echo('upper', { method: 'POST', path: '/servers', status: 401 }));

    const { stdout, exitCode, json } = await cliJson<PoolLaunchResult>(`pool launch hz-pool 1 --force ${API}`);

    expect(exitCode).toBe(1);
    expect(json).toMatchObject({ pool: 'hz-pool', launched: [], failed: 1 });
    expect(json.decisions.map((d) => d.reason)).toEqual(['ManualLaunch', 'LaunchFailed']);
    expectNoLeak(stdout);
  });

  it('pool launch without --json shows each failure as it happens, redacted', async () => {
    fake.failNext(echo('base64', { method: 'POST', path: '/servers', status: 403 }));

    const { stdout, stderr, exitCode, error } = await cli(`pool launch hz-pool 1 --force ${API}`);

    expect(exitCode).toBe(1);
    expect(stdout).toMatch(/launch of hz-pool-\d+ in hz-pool failed \(auth\)/);
    expectNoLeak(`${stdout}\n${stderr}\n${error?.message}`);
  });

  it('pool terminate --json prints its documented result, redacted, when the provider refuses, and exits 1', async () => {
    const launched = await cliJson<PoolLaunchResult>(`pool launch hz-pool 1 --force ${API}`);
    expect(launched.exitCode).toBe(0);
    fake.failNext(echo('part', { method: 'DELETE', status: 403 }));

    const terminated = await cliJson<PoolTerminateResult>(`pool terminate ${launched.json.launched[0]!.worker}`);

    expect(terminated.exitCode).toBe(1);
    expect(terminated.json.decisions.map((d) => d.reason)).toEqual(['ManualTerminate', 'TerminateFailed']);
    expect(terminated.stdout).toContain('[redacted]');
    expectNoLeak(terminated.stdout);
  });

  it('the recorded decisions and pool health hold no credential, in the database or as the CLI lists them', async () => {
    const decisions = await cliJson<DecisionsListResult>('decisions list --limit 100');
    const pools = await cliJson('pool list');
    const shown = await cliJson('pool show hz-pool');

    expect(decisions.json.filter((d) => d.kind === 'error').length).toBeGreaterThanOrEqual(4);
    for (const outcome of [decisions, pools, shown]) expectNoLeak(outcome.stdout);
    expectNoLeak(JSON.stringify(await db.query('select * from provisioning_decisions')));
    expectNoLeak(JSON.stringify(await db.query('select * from worker_pool_health')));
  });

  it("the server's log and status pages hold no credential", async () => {
    await db.query('delete from worker_pool_health');
    fake.failNext(echo('upper', { method: 'GET', path: '/servers', status: 403 }));
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const server = await startServer({
      port: 0,
      databaseUrl: db.url,
      scheduleIntervalMs: 3_600_000,
      provisionIntervalMs: 3_600_000,
      logger: pino({ level: 'trace' }, sink),
    });
    try {
      for (let i = 0; i < 100 && !lines.some((l) => l.includes('ListFailed')); i++) await new Promise((r) => setTimeout(r, 100));
      expect(lines.join('')).toMatch(/listing instances of account hz failed \(auth\): .*\[redacted\]/);
      const pages = ['decisions/', 'worker-pools/', 'worker-pools/hz-pool/'];
      for (const page of pages) {
        for (const accept of ['text/html', 'application/json']) {
          const response = await fetch(`${server.url}/-/status/${page}`, { headers: { Accept: accept } });
          expect(response.status).toBe(200);
          expectNoLeak(await response.text());
        }
      }
    } finally {
      await server.close();
    }
    expectNoLeak(lines.join(''));
  });
});

describe('credentials at rest', () => {
  /** The whole database as pg_dump writes it (schema and data). */
  const dump = async () => (await promisify(execFile)('pg_dump', ['--dbname', db.url], { maxBuffer: 64 * 1024 * 1024 })).stdout;

  it('a pg_dump of the database holds no credential', async () => {
    const text = await dump();

    expect(text).toContain('COPY public.provider_accounts');
    expect(text).toMatch(/\tbf1\.[0-9a-f]{16}\./);
    expectNoLeak(text);
  });

  it('account rotate-key --generate encrypts every account with a new key, and the provider still accepts the credential', async () => {
    const keyFile = join(tmpdir(), `buildfleet-cli-rotate-${process.pid}.key`);
    await copyFile(process.env.BUILDFLEET_SECRET_KEY_FILE!, keyFile);
    const configured = process.env.BUILDFLEET_SECRET_KEY_FILE;
    process.env.BUILDFLEET_SECRET_KEY_FILE = keyFile;
    try {
      const [before] = await db.query<{ sealed: string }>(`select sealed_credentials as sealed from provider_accounts where name = 'hz'`);

      const { json, exitCode } = await cliJson<AccountRotateKeyResult>('account rotate-key --generate');

      expect(exitCode).toBe(0);
      expect(json).toMatchObject({ generated: true, keyFile, resealed: ['hz'] });
      const [after] = await db.query<{ sealed: string }>(`select sealed_credentials as sealed from provider_accounts where name = 'hz'`);
      expect(after!.sealed.split('.')[1]).toBe(json.keyId);
      expect(after!.sealed).not.toBe(before!.sealed);
      await db.query('delete from worker_pool_health');
      expect((await cliJson<PoolLaunchResult>(`pool launch hz-pool 1 --force ${API}`)).json.launched).toHaveLength(1);
      expectNoLeak(await dump());
    } finally {
      process.env.BUILDFLEET_SECRET_KEY_FILE = configured;
    }
  });

  it('with DATABASE_URL and no key file, storing credentials fails naming BUILDFLEET_SECRET_KEY_FILE, and nothing is written', async () => {
    const configured = process.env.BUILDFLEET_SECRET_KEY_FILE;
    delete process.env.BUILDFLEET_SECRET_KEY_FILE;
    try {
      const account = { name: 'hz-2', provider_type: 'hetzner', credentials: { api_token: TOKEN } };
      const { exitCode, stdout } = await cliJson(`account create --data ${await db.yamlFile(account)}`);

      expect(exitCode).toBe(1);
      expect(stdout).toContain('set BUILDFLEET_SECRET_KEY_FILE to a file holding a key');
      expect(await db.query(`select name from provider_accounts where name = 'hz-2'`)).toEqual([]);
      expect((await cli('account list')).exitCode).toBe(0);
    } finally {
      process.env.BUILDFLEET_SECRET_KEY_FILE = configured;
    }
  });
});

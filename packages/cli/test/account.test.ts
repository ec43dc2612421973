import { type AccountCreateResult } from '../src/commands/account/create';
import { type AccountListResult } from '../src/commands/account/list';
import { type AccountShowResult } from '../src/commands/account/show';
import { type ErrorResult } from '../src/shared/base-command';
import { awsAccount, cli, cliJson, expectNoSecret, hetznerAccount, SECRETS, useCliDatabase } from './helpers';

const db = useCliDatabase();

beforeAll(async () => {
  await cli(`account create --data ${await db.yamlFile(hetznerAccount())}`);
});

describe('account create', () => {
  it('creates the account, and updates the same one when run again with the same name', async () => {
    const first = await cliJson<AccountCreateResult>(`account create --data ${await db.yamlFile(awsAccount())}`);
    expect(first.exitCode).toBe(0);
    expect(first.json).toMatchObject({ created: true, account: { name: 'aws-main', providerType: 'aws' } });

    const changed = awsAccount({ configuration: { region_name: 'us-east-1' } });
    const second = await cli<AccountCreateResult>(`account create --data ${await db.yamlFile(changed)}`);
    expect(second.exitCode).toBe(0);
    expect(second.stdout).toContain('Updated provider account "aws-main" (aws).');
    expect(second.result).toMatchObject({ created: false, account: { configuration: { region_name: 'us-east-1' } } });
    expect(await db.query(`select name from provider_accounts where name = 'aws-main'`)).toHaveLength(1);
  });

  it.each([
    ['a misspelled field', awsAccount({ credentails: {} }), 'credentails', 'did you mean "credentials"?'],
    ['an unknown credential field', awsAccount({ credentials: { access_key_id: 'x', secret_access_key: 'y', token: 'z' } }), 'credentials.token', 'unknown field'],
    ['a missing credential', awsAccount({ credentials: { access_key_id: 'x' } }), 'credentials.secret_access_key', 'required'],
    ['an unknown provider', awsAccount({ provider_type: 'gce' }), 'provider_type', ''],
  ])('refuses %s with exit 2, naming the field, and writes nothing', async (_case, data, field, hint) => {
    const before = await db.count('provider_accounts');
    const { error, exitCode } = await cli(`account create --data ${await db.yamlFile({ ...data, name: 'bad-account' })}`);
    expect(exitCode).toBe(2);
    expect(error?.message).toContain(`${field}:`);
    expect(error?.message).toContain(hint);
    expect(await db.count('provider_accounts')).toBe(before);
  });

  it('reports invalid YAML with the flag, line and column, without quoting the text (it may hold secrets)', async () => {
    const text = `name: bad-yaml\nprovider_type: aws\ncredentials: {access_key_id: ${SECRETS.accessKeyId}, secret_access_key: [${SECRETS.secretAccessKey}\n`;
    const { error, stdout, stderr, exitCode } = await cli(`account create --data ${await db.yamlFile(text)}`);
    expect(exitCode).toBe(2);
    expect(error?.message).toMatch(/--data: YAML error at line \d+, column \d+: /);
    expectNoSecret(`${error?.message}${stdout}${stderr}`);
    expect(await db.query(`select 1 from provider_accounts where name = 'bad-yaml'`)).toEqual([]);
  });

  it('refuses an empty file, naming the flag', async () => {
    const { error, exitCode } = await cli(`account create --data ${await db.yamlFile('# nothing here\n')}`);
    expect(exitCode).toBe(2);
    expect(error?.message).toContain('--data: is empty');
  });

  it('refuses a file that does not exist, naming the flag', async () => {
    const { error, exitCode } = await cli('account create --data /nonexistent/account.yaml');
    expect(exitCode).toBe(2);
    expect(error?.message).toContain('--data: cannot read /nonexistent/account.yaml (ENOENT)');
  });

  it('gives the error as JSON with each field under --json', async () => {
    const { json, exitCode } = await cliJson<ErrorResult>(
      `account create --data ${await db.yamlFile(awsAccount({ name: 'x', regoin: 'eu' }))}`,
    );
    expect(exitCode).toBe(2);
    expect(json.error).toMatchObject({ name: 'ValidationError', exitCode: 2, issues: [{ field: 'regoin' }] });
  });
});

describe('account list and show', () => {
  it('never print a credential value, in JSON or as text', async () => {
    const list = await cliJson<AccountListResult>('account list');
    expect(list.json.map((a) => a.name)).toEqual(['aws-main', 'hetzner-main']);
    const show = await cliJson<AccountShowResult>('account show aws-main');
    expect(show.json.credentialFields).toEqual(['access_key_id', 'secret_access_key']);
    const text = [await cli('account list'), await cli('account show aws-main'), await cli('account show hetzner-main')];
    for (const { stdout, stderr } of [list, show, ...text]) expectNoSecret(stdout + stderr);
  });

  it('show names which credential fields are set', async () => {
    const { stdout } = await cli('account show hetzner-main');
    expect(stdout).toMatch(/Credentials set:\s+api_token/);
  });

  it('show exits 3 for an unknown account', async () => {
    const { error, exitCode } = await cli('account show nope');
    expect(exitCode).toBe(3);
    expect(error?.message).toContain('provider account "nope" does not exist');
  });
});

describe('account delete', () => {
  it('refuses while a pool uses the account, then deletes it once the pool is gone', async () => {
    await cli(`pool create uses-hetzner --provider-account hetzner-main --architectures amd64 --specifications ${await db.yamlFile({ server_type: 'cx32', image_name: 'debian-13' })}`);
    const refused = await cli('account delete hetzner-main');
    expect(refused.exitCode).toBe(1);
    expect(refused.error?.message).toContain('used by pools uses-hetzner');

    await cli('pool delete uses-hetzner');
    expect((await cli('account delete hetzner-main')).exitCode).toBe(0);
    expect(await db.query(`select 1 from provider_accounts where name = 'hetzner-main'`)).toEqual([]);
  });

  it('exits 3 for an unknown account', async () => {
    expect((await cli('account delete nope')).exitCode).toBe(3);
  });
});

import { cli, cliJson, useCliDatabase } from './helpers';

/**
 * Every bounded number a command takes (lifetimes, limits, priorities, intervals, counts) names
 * its range in the help text, and a value outside it exits 2 naming the flag and the range,
 * before anything is written.
 */

const db = useCliDatabase();
const API = '--api-url https://debusine.example.net/api';

beforeAll(async () => {
  await cli(`account create --data ${await db.yamlFile({ name: 'dummy', provider_type: 'dummy' })}`);
  await cli('scope create debian');
  await cli(`pool create dummy-a --provider-account dummy --architectures amd64 --specifications ${await db.yamlFile({ provider_type: 'dummy' })}`);
});

const OUT_OF_RANGE = ['1000000000000', '1e10', '2147483648', '-1', '1.5', 'ten'];

/** [command, its arguments and other flags, the flag, its range as the help shows it, values it must refuse] */
const BOUNDED: [string, string, string, string, string[]][] = [
  ['decisions list', '', '--limit', '1 to 10000', [...OUT_OF_RANGE, '0', '10001']],
  ['work-request list', '', '--limit', '1 to 1000', [...OUT_OF_RANGE, '0', '1001']],
  ['scope-pool link', 'debian dummy-a', '--priority', '-2147483648 to 2147483647', ['2147483648', '-2147483649', '1e10', '1.5']],
  ['work-request create', '--task noop --scope debian', '--priority', '-2147483648 to 2147483647', ['2147483648', '1e3']],
  ['work-request create', '--task noop --scope debian', '--priority-adjustment', '-2147483648 to 2147483647', ['-2147483649']],
  ['worker create', 'builder.example.org', '--token-lifetime', '60 to 604800 seconds', ['604801', '3660000000', '10000000000', '59', '1e10']],
  ['pool launch', `dummy-a 1 ${API}`, '--token-lifetime', '60 to 604800 seconds', ['3660000000', '10000000000', '59']],
  ['provision', `--once ${API}`, '--token-lifetime', '60 to 604800 seconds', ['10000000000']],
  ['provision', '--loop --dry-run', '--interval', '1 to 86400 seconds', ['0', '86401', '1e10']],
  ['token create', '--user alice', '--expires-in', '1 to 3650 days', ['0', '3651', '36500', '1e10']],
  ['serve', '', '--port', '0 to 65535', ['65536', '-1']],
  ['serve', '', '--provision-interval', '1 to 86400 seconds', ['0', '1000000000000']],
  ['serve', '', '--max-worker-requests', '1 to 1000', ['0', '1001', '1e10']],
  ['image prune', '--target hetzner', '--keep', '0 to 1000', ['-1', '1001']],
];

describe.each(BOUNDED)('%s %s %s', (command, rest, flag, range, values) => {
  it(`shows its range (${range}) in the help`, async () => {
    const help = (await cli(`${command} --help`)).stdout.replace(/\s+/g, ' ');

    expect(help).toContain(`${flag}=N`);
    expect(help).toMatch(new RegExp(`${flag}=N .{0,120}?\\(${range.replace(/[-]/g, '\\-')}`));
  });

  it.each(values)(`refuses ${flag} %s with exit 2, naming the flag and the range, writing nothing`, async (value) => {
    const count = 'select (select count(*) from scope_worker_pools) + (select count(*) from tokens) + (select count(*) from work_requests) as n';
    const before = await db.query(count);

    const { exitCode, json } = await cliJson<{ error: { message: string } }>(`${command} ${rest} ${flag} ${value}`);

    expect(exitCode).toBe(2);
    expect(json.error.message).toContain(flag);
    expect(json.error.message).toContain(`is not a whole number from ${range}`);
    expect(await db.query(count)).toEqual(before);
  });
});

it('pool launch names the range of COUNT and refuses one past it with exit 2', async () => {
  const refused = await cliJson<{ error: { message: string } }>(`pool launch dummy-a 1001 ${API}`);

  expect(refused.exitCode).toBe(2);
  expect(refused.json.error.message).toContain('is not a whole number from 1 to 1000');
  expect((await cli('pool launch --help')).stdout).toMatch(/COUNT\s+How many instances to launch\. \(1 to 1000\)/);
});

it('accepts the bounds themselves', async () => {
  expect((await cli('scope-pool link debian dummy-a --priority 2147483647')).exitCode).toBe(0);
  expect((await cli('decisions list --limit 10000')).exitCode).toBe(0);
  expect((await cli(`worker create bound.example.org --token-lifetime 604800`)).exitCode).toBe(0);
});

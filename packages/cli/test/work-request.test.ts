import { type WorkRequestCreateResult } from '../src/commands/work-request/create';
import { type WorkRequestListResult } from '../src/commands/work-request/list';
import { type WorkRequestShowResult } from '../src/commands/work-request/show';
import { type WorkRequestAbortResult } from '../src/commands/work-request/abort';
import { type WorkRequestRetryResult } from '../src/commands/work-request/retry';
import { type ErrorResult } from '../src/shared/base-command';
import { cli, cliJson, useCliDatabase } from './helpers';

const db = useCliDatabase();

beforeAll(async () => {
  await cli('scope create debian');
  await cli('scope create kali');
});

/** Rows of the tables `work-request create` writes to, to show that a refusal wrote nothing. */
async function written() {
  return { requests: await db.count('work_requests'), requirementSets: await db.count('requirement_sets') };
}

describe('work-request create', () => {
  it('stores the requirements of the task, its data and each --requirement, and show returns the same request', async () => {
    const sbuild = { input: { source_artifact: 1 }, environment: 'debian/match:codename=trixie', host_architecture: 'arm64' };
    const data = await db.yamlFile({ ...sbuild, worker_requirements: ['cpus>=4'] });
    const created = await cliJson<WorkRequestCreateResult>(
      `work-request create --task sbuild --scope debian --data ${data} --requirement memory_gib>=16 --requirement site:paris --priority 5 --priority-adjustment -2`,
    );
    expect(created.exitCode).toBe(0);
    expect(created.json).toMatchObject({
      scope: 'debian',
      status: 'pending',
      taskType: 'Worker',
      taskName: 'sbuild',
      taskData: { ...sbuild, worker_requirements: ['cpus>=4'] },
      priority: { base: 5, adjustment: -2, effective: 3 },
      requirements: 'arch:arm64 available:sbuild executor:unshare site:paris task:sbuild worker-type:external cpus>=4 memory_gib>=16',
      worker: null,
    });

    const shown = await cliJson<WorkRequestShowResult>(`work-request show ${created.json.id}`);
    expect(shown.json).toEqual(created.json);
    const { stdout } = await cli(`work-request show ${created.json.id}`);
    expect(stdout).toMatch(/^Requirements:\s+arch:arm64 available:sbuild executor:unshare site:paris task:sbuild worker-type:external cpus>=4 memory_gib>=16$/m);
    expect(stdout).toMatch(/^Priority:\s+3 \(5 - 2\)$/m);
  });

  it('requires what the task type needs of a Server task, and prints the request as text', async () => {
    const data = await db.yamlFile({
      collection: 'debian',
      url: 'http://deb.debian.org/debian',
      suite: 'trixie',
      components: ['main'],
      architectures: ['amd64'],
    });
    const { stdout, result, exitCode } = await cli<WorkRequestCreateResult>(
      `work-request create --task aptmirror --task-type Server --scope kali --data ${data}`,
    );
    expect(exitCode).toBe(0);
    expect(result?.requirements).toBe('task:server:aptmirror worker-type:celery');
    expect(stdout).toContain(`Created work request ${result?.id}.`);
    expect(stdout).toMatch(/^Task:\s+aptmirror \(Server\)$/m);
  });

  it.each([
    ['a minimum that is not a number', 'memory_gib>=lots', '"memory_gib>=lots": the value after ">=" must be a non-negative number, e.g. memory_gib>=16'],
    ['a minimum without a name', '>=5', '">=5": a minimum needs a lower-case name before ">="'],
    ['"=" instead of ">="', 'memory_gib=16', '"memory_gib=16": a requirement on a value is a minimum: write name>=value, e.g. memory_gib>=16'],
    ['a bare "=5"', '=5', 'write name>=value'],
    ['an empty requirement', '""', 'empty requirement; give a tag such as site:paris or a minimum such as memory_gib>=16'],
    ['a tag with a space', '"site paris"', 'is not a tag name'],
    ['a minimum of 400 nines', `cpus>=${'9'.repeat(400)}`, 'the value after ">=" must be at most 1000000000'],
  ])('refuses %s with exit 2, naming the --requirement, and writes nothing', async (_case, requirement, message) => {
    const before = await written();
    const { error, exitCode } = await cli(
      `work-request create --task noop --scope debian --requirement site:paris --requirement ${requirement}`,
    );
    expect(exitCode).toBe(2);
    expect(error?.message).toContain('--requirement[1]: ');
    expect(error?.message).toContain(message);
    expect(await written()).toEqual(before);
  });

  it('gives each bad field as JSON under --json, named as the flag or the YAML path', async () => {
    const data = await db.yamlFile({ worker_requirements: ['memory_gib>=big'] });
    const { json, exitCode } = await cliJson<ErrorResult>(
      `work-request create --task Bad --scope debian --data ${data} --requirement =5`,
    );
    expect(exitCode).toBe(2);
    expect(json.error).toMatchObject({ name: 'ValidationError', exitCode: 2 });
    expect(json.error.issues?.map((i) => i.field)).toEqual(['--task']);

    const inData = await cliJson<ErrorResult>(`work-request create --task noop --scope debian --data ${data}`);
    expect(inData.json.error.issues?.map((i) => i.field)).toEqual(['task_data.worker_requirements[0]']);
  });

  it('exits 3 for an unknown scope, and writes nothing', async () => {
    const before = await written();
    const { error, exitCode } = await cli('work-request create --task noop --scope nope --requirement site:nowhere');
    expect(exitCode).toBe(3);
    expect(error?.message).toContain('scope "nope" does not exist; create it with `buildfleet scope create`');
    expect(await written()).toEqual(before);
  });

  it.each([
    ['invalid YAML', 'backend: [unshare\n', /--data: YAML error at line \d+, column \d+: /],
    ['a list instead of a mapping', '- unshare\n', /--data: must be a mapping/],
    ['a bootstrap task without its architecture', 'bootstrap_options: {variant: minbase}\n', /task_data\.bootstrap_options\.architecture: required/],
    ['a field mmdebstrap does not define', 'bootstrap_options: {architecture: amd64}\nmirror: x\n', /task_data\.mirror: unknown field/],
  ])('refuses --data with %s with exit 2, and writes nothing', async (_case, text, message) => {
    const before = await written();
    const { error, exitCode } = await cli(`work-request create --task mmdebstrap --scope debian --data ${await db.yamlFile(text)}`);
    expect(exitCode).toBe(2);
    expect(error?.message).toMatch(message);
    expect(await written()).toEqual(before);
  });

  it.each([
    ['a task type that does not run on workers', '--task-type Internal', 'Expected --task-type=Internal to be one of: Worker, Server, Signing'],
    ['a priority that is not an integer', '--priority 1.5', '"1.5" is not a whole number from -2147483648 to 2147483647'],
    ['a priority beyond the integer range', '--priority 2147483648', '"2147483648" is not a whole number from -2147483648 to 2147483647'],
  ])('refuses %s with exit 2', async (_case, flag, message) => {
    const { error, exitCode } = await cli(`work-request create --task noop --scope debian ${flag}`);
    expect(exitCode).toBe(2);
    expect(error?.message).toContain(message);
  });

  it('refuses an unknown task with exit 2, naming the known ones, and writes nothing', async () => {
    const before = await written();
    for (const task of ['frobnicate', 'constructor', '__proto__']) {
      const { error, exitCode } = await cli(`work-request create --task ${task} --scope debian`);
      expect(exitCode).toBe(2);
      expect(error?.message).toContain(`--task: unknown Worker task "${task}"; known Worker tasks: assemblesignedsource, autopkgtest,`);
    }
    expect(await written()).toEqual(before);
  });

  it('requires --task and --scope', async () => {
    const { error, exitCode } = await cli('work-request create --task noop');
    expect(exitCode).toBe(2);
    expect(error?.message).toContain('Missing required flag scope');
  });
});

describe('work-request list and show', () => {
  beforeAll(async () => {
    const data = await db.yamlFile({ input: { source_artifact: 1 }, environment: 'trixie', host_architecture: 'amd64' });
    await cli(`work-request create --task sbuild --scope kali --priority 100 --data ${data}`);
  });

  it('lists requests newest first, filtered by scope and status, a page at a time', async () => {
    const all = await cliJson<WorkRequestListResult>('work-request list');
    const ids = all.json.workRequests.map((r) => Number(r.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(all.json.workRequests[0]).toMatchObject({ taskName: 'sbuild', scope: 'kali' });

    const kali = await cliJson<WorkRequestListResult>('work-request list --scope kali');
    expect(kali.json.workRequests.map((r) => r.taskName)).toEqual(['sbuild', 'aptmirror']);
    const first = await cliJson<WorkRequestListResult>('work-request list --scope kali --limit 1');
    expect(first.json.workRequests.map((r) => r.taskName)).toEqual(['sbuild']);
    const next = await cliJson<WorkRequestListResult>(`work-request list --scope kali --limit 1 --before ${first.json.next}`);
    expect(next.json).toEqual({ workRequests: [expect.objectContaining({ taskName: 'aptmirror' })], next: null });
    expect((await cli('work-request list --scope kali --limit 1')).stdout).toContain(`More: --before ${first.json.next}`);
    expect((await cliJson<WorkRequestListResult>('work-request list --status running')).json.workRequests).toEqual([]);
    expect((await cli('work-request list --status running')).stdout).toBe('No work requests.\n');
  });

  it('prints a table', async () => {
    const { stdout } = await cli('work-request list --scope kali');
    expect(stdout).toMatch(/^Id\s+Scope\s+Status\s+Task\s+Priority\s+Requirements\s+Worker\s+Created$/m);
    expect(stdout).toMatch(/^\d+\s+kali\s+pending\s+Worker\/sbuild\s+100\s+arch:amd64 available:sbuild executor:unshare task:sbuild worker-type:external\s+-\s+\S+$/m);
  });

  it('refuses an unknown status with exit 2', async () => {
    const { error, exitCode } = await cli('work-request list --status done');
    expect(exitCode).toBe(2);
    expect(error?.message).toContain('Expected --status=done to be one of: pending, running, completed, aborted, blocked');
  });

  it('show exits 2 for an id that is not a number and 3 for an unknown one', async () => {
    const bad = await cli('work-request show abc');
    expect(bad.exitCode).toBe(2);
    expect(bad.error?.message).toContain('id: must be a work request number');
    const unknown = await cli('work-request show 999999');
    expect(unknown.exitCode).toBe(3);
    expect(unknown.error?.message).toContain('work request "999999" does not exist');
  });
});

describe('work-request abort and retry', () => {
  const create = async () => (await cliJson<WorkRequestShowResult>('work-request create --task noop --scope debian')).json.id;

  it('aborts with the reason shown by show, then retries as a request that supersedes it', async () => {
    const id = await create();

    const aborted = await cliJson<WorkRequestAbortResult>(`work-request abort ${id} --reason obsolete`);
    expect(aborted.json).toEqual([expect.objectContaining({ id, status: 'aborted', errors: [{ message: 'obsolete', code: 'aborted' }] })]);
    const retried = await cliJson<WorkRequestRetryResult>(`work-request retry ${id}`);
    expect(retried.json).toMatchObject({ status: 'pending', supersedes: id, retryCount: 1 });

    const { stdout } = await cli(`work-request show ${id}`);
    expect(stdout).toMatch(new RegExp(`^Superseded by:\\s+${retried.json.id}$`, 'm'));
    expect(stdout).toMatch(/^Errors:\n {2}- message: obsolete\n {4}code: aborted$/m);
  });

  it('exits 1 for a finished request or a second retry, 3 for an unknown one, 2 for a bad id, and writes nothing', async () => {
    const id = await create();
    const other = await create();
    await cli(`work-request abort ${id}`);
    await cli(`work-request retry ${id}`);

    expect((await cli(`work-request abort ${other} ${id}`)).exitCode).toBe(1);
    expect((await cli(`work-request retry ${id}`)).exitCode).toBe(1);
    expect((await cli(`work-request retry ${other}`)).error?.message).toContain('is pending: only failed or aborted');
    expect((await cli(`work-request abort ${other} 999999`)).exitCode).toBe(3);
    expect((await cli('work-request abort x')).exitCode).toBe(2);
    expect((await cliJson<WorkRequestShowResult>(`work-request show ${other}`)).json.status).toBe('pending');
  });
});

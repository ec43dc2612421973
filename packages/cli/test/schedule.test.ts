import { type ScheduleResult } from '../src/commands/schedule/index';
import { type ScheduleDemandResult } from '../src/commands/schedule/demand';
import { type WorkRequestCreateResult } from '../src/commands/work-request/create';
import { type WorkRequestShowResult } from '../src/commands/work-request/show';
import { type WorkRequestListResult } from '../src/commands/work-request/list';
import { type WorkerTagResult } from '../src/commands/worker/tag';
import { type WorkerUntagResult } from '../src/commands/worker/untag';
import { type WorkerShowResult } from '../src/commands/worker/show';
import { awsAccount, awsSpecification, cli, cliJson, useCliDatabase } from './helpers';

const db = useCliDatabase();

/** What debusine-worker reports when it can run noop tasks. */
const NOOP_WORKER_METADATA = { 'system:worker_type': 'external', 'noop:version': 1 };

beforeAll(async () => {
  await cli('scope create debian');
  await db.insertConnectedWorker('static-1', NOOP_WORKER_METADATA, { concurrency: 2 });
});

async function createRequest(flags: string): Promise<string> {
  const { json, exitCode } = await cliJson<WorkRequestCreateResult>(`work-request create --task noop --scope debian ${flags}`);
  expect(exitCode).toBe(0);
  return json.id;
}

describe('worker tag and untag', () => {
  it('schedule --once assigns a request needing site:paris only once the worker is tagged site:paris', async () => {
    const id = await createRequest('--requirement site:paris');
    expect((await cliJson<ScheduleResult>('schedule --once')).json).toEqual({ assignments: [], unassigned: 1 });

    const tagged = await cliJson<WorkerTagResult>('worker tag static-1 site:paris');
    expect(tagged.json).toEqual({ worker: 'static-1', adminTags: ['site:paris'] });

    const pass = await cliJson<ScheduleResult>('schedule --once');
    expect(pass.json).toEqual({
      assignments: [{ workRequestId: id, workerId: expect.any(String) as string, workerName: 'static-1' }],
      unassigned: 0,
    });
    expect((await cliJson<WorkRequestShowResult>(`work-request show ${id}`)).json.worker).toBe('static-1');
  });

  it('after worker untag, the worker takes other work but no longer work needing site:paris', async () => {
    const untagged = await cli<WorkerUntagResult>('worker untag static-1 site:paris');
    expect(untagged.result).toEqual({ worker: 'static-1', adminTags: [] });
    expect(untagged.stdout).toBe('Admin tags of worker "static-1": -\n');

    const paris = await createRequest('--requirement site:paris --priority 10');
    const anywhere = await createRequest('');
    const { stdout, result } = await cli<ScheduleResult>('schedule --once');
    expect(result?.assignments.map((a) => a.workRequestId)).toEqual([anywhere]);
    expect(result?.unassigned).toBe(1);
    expect(stdout).toMatch(new RegExp(`^Work request\\s+Worker\\n${anywhere}\\s+static-1$`, 'm'));
    expect(stdout).toContain('1 pending work request(s) stay unassigned');
    expect((await cliJson<WorkRequestShowResult>(`work-request show ${paris}`)).json.worker).toBeNull();
  });

  it('a numeric admin tag replaces the value of the same name, and untag removes it by name', async () => {
    await cli('worker tag static-1 memory_gib=8 rack:b2');
    const { stdout } = await cli('worker tag static-1 memory_gib=32');
    expect(stdout).toBe('Admin tags of worker "static-1": rack:b2, memory_gib=32\n');
    expect((await cliJson<WorkerShowResult>('worker show static-1')).json.numericTags).toEqual({ memory_gib: 32 });
    expect((await cliJson<WorkerUntagResult>('worker untag static-1 memory_gib rack:b2')).json.adminTags).toEqual([]);
  });

  it('refuses a bad tag with exit 2 and changes nothing', async () => {
    await cli('worker tag static-1 site:lyon');
    const { error, exitCode } = await cli('worker tag static-1 site:paris memory_gib=lots');
    expect(exitCode).toBe(2);
    expect(error?.message).toContain('tags[1]: "memory_gib=lots": the value after "=" must be a non-negative number');
    expect((await cliJson<WorkerShowResult>('worker show static-1')).json.adminTags).toEqual(['site:lyon']);
    await cli('worker untag static-1 site:lyon');
  });

  it('exits 3 for an unknown worker, and 2 without a tag', async () => {
    const unknown = await cliJson<{ error: { exitCode: number; message: string } }>('worker tag nope site:paris');
    expect(unknown.exitCode).toBe(3);
    expect(unknown.json.error.message).toContain('worker "nope" does not exist');
    expect((await cli('worker untag static-1')).exitCode).toBe(2);
  });
});

describe('schedule', () => {
  it('refuses to run without --once, with exit 2', async () => {
    const { error, exitCode } = await cli('schedule');
    expect(exitCode).toBe(2);
    expect(error?.message).toContain('Missing required flag once');
  });

  it('prints that it assigned nothing when no worker is free', async () => {
    await db.query(`update workers set concurrency = 1 where name = 'static-1'`);
    await createRequest('');
    const { stdout } = await cli('schedule --once');
    expect(stdout).toMatch(/^Assigned no work requests\.\n\n\d+ pending work request\(s\) stay unassigned/);
  });
});

describe('schedule demand', () => {
  beforeAll(async () => {
    await cli(`account create --data ${await db.yamlFile(awsAccount())}`);
    const spec = await db.yamlFile(awsSpecification());
    await cli(`pool create paris --provider-account aws-main --architectures amd64 --tags site:paris --specifications ${spec}`);
    await cli(`pool create paris-old --provider-account aws-main --architectures amd64 --tags site:paris --no-enabled --specifications ${spec}`);
    await cli(`pool create lyon --provider-account aws-main --architectures amd64 --tags site:lyon --specifications ${spec}`);
    await cli('scope-pool link debian paris-old --priority 5');
  });

  it('groups the work no worker can take by scope and requirement set, with the pools that could serve it', async () => {
    const queued = await cliJson<WorkRequestListResult>('work-request list --status pending');
    const unassigned = queued.json.workRequests.filter((r) => r.worker === null);
    const { json, exitCode } = await cliJson<ScheduleDemandResult>('schedule demand');
    expect(exitCode).toBe(0);
    expect(json).toEqual([
      {
        scope: 'debian',
        requirementSet: { id: expect.any(String) as string, key: 'site:paris task:noop worker-type:external', tags: ['site:paris', 'task:noop', 'worker-type:external'], minimums: {} },
        pending: 1,
        maxPriority: 10,
        oldestCreatedAt: expect.any(String) as string,
        workRequestIds: [unassigned.find((r) => r.requirements.includes('site:paris'))!.id],
        pools: [
          { name: 'paris-old', enabled: false, priority: 5, instanceWide: true },
          { name: 'paris', enabled: true, priority: null, instanceWide: true },
        ],
        excludedWorkers: [],
      },
      expect.objectContaining({ requirementSet: expect.objectContaining({ key: 'task:noop worker-type:external' }) as unknown, pending: 1 }),
    ]);
  });

  it('prints one row per group, marking disabled pools', async () => {
    const { stdout } = await cli('schedule demand');
    expect(stdout).toMatch(/^Scope\s+Requirements\s+Pending\s+Oldest\s+Pools$/m);
    expect(stdout).toMatch(/^debian\s+site:paris task:noop worker-type:external\s+1\s+\S+\s+paris-old \(disabled\), paris$/m);
    expect(stdout).toMatch(/^debian\s+task:noop worker-type:external\s+1\s+\S+\s+paris-old \(disabled\), lyon, paris$/m);
  });

  it('plans without writing: what it counts as met stays unassigned until schedule --once', async () => {
    const unassigned = async () =>
      (await cliJson<WorkRequestListResult>('work-request list --status pending')).json.workRequests.filter((r) => r.worker === null).length;
    await db.query(`update workers set concurrency = 5 where name = 'static-1'`);
    expect((await cliJson<ScheduleDemandResult>('schedule demand')).json.map((d) => d.requirementSet.key)).toEqual([
      'site:paris task:noop worker-type:external',
    ]);
    expect(await unassigned()).toBe(2);
    expect((await cliJson<ScheduleResult>('schedule --once')).json).toMatchObject({ assignments: [{ workerName: 'static-1' }], unassigned: 1 });
    expect(await unassigned()).toBe(1);
  });

  it('says so when there is no unmet demand', async () => {
    await cli('worker tag static-1 site:paris');
    await cli('schedule --once');
    const { stdout, result } = await cli<ScheduleDemandResult>('schedule demand');
    expect(result).toEqual([]);
    expect(stdout).toBe('No unmet demand: a free worker can take every pending work request.\n');
  });
});

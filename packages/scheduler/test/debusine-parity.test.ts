import { type WorkerType } from '@buildfleet/models';
import { assignNextForWorker, describeUnmetDemand, readDispatchSnapshot, runDispatchPass, type WorkRequestInput } from '../src';
import { addPool, addRequest, addScope, addWorker, resetDatabase, useDatabase, type WorkerOptions } from './fixtures';
import { taskData } from './task-data';

/**
 * Counterparts of Debusine's own `can_run_on` tests (of sbuild, autopkgtest, mmdebstrap,
 * simplesystemimagebuild, sign, debsign and the base task), run through buildfleet's public
 * paths: the worker reports the metadata of the Debusine test, the request is created with
 * its task data, and one dispatch pass either gives the request to the worker or does not.
 * Each case is titled with the Debusine test it mirrors.
 */

const ctx = useDatabase();

beforeEach(async () => {
  await resetDatabase(ctx.db);
  await addScope(ctx.db, 'debian');
});

const external = (metadata: Record<string, unknown>) => ({
  'system:worker_type': 'external',
  'system:architectures': ['amd64'],
  ...metadata,
});
const signing = (metadata: Record<string, unknown>) => ({ 'system:worker_type': 'signing', ...metadata });

const SBUILD = external({ 'sbuild:version': 1, 'sbuild:available': true, 'executor:unshare:available': true });
const AUTOPKGTEST = external({ 'autopkgtest:version': 1, 'autopkgtest:available': true, 'executor:unshare:available': true });
const MMDEBSTRAP = external({ 'mmdebstrap:version': 1, 'mmdebstrap:available': true });
const SSIB = external({ 'simplesystemimagebuild:version': 1, 'simplesystemimagebuild:available': true });
const SSIB_DATA = {
  ...taskData('mmdebstrap'),
  bootstrap_options: { architecture: 'amd64' },
  disk_image: { format: 'qcow2', partitions: [{ size: 2, filesystem: 'ext4' }] },
};
const UEFI_SIGN = { taskType: 'Signing', taskName: 'sign', taskData: { purpose: 'uefi', unsigned: [2], key: '1' } } as const;
const DEBSIGN = { taskType: 'Signing', taskName: 'debsign', taskData: { unsigned: 2, key: '1' } } as const;

type Request = Pick<WorkRequestInput, 'taskType' | 'taskName' | 'taskData'>;

const sbuild = (overrides: Record<string, unknown> = {}): Request => ({ taskName: 'sbuild', taskData: taskData('sbuild', overrides) });

it.each<[string, Record<string, unknown>, Request, boolean]>([
  // debusine/tasks/tests/test_sbuild.py
  ['test_can_run_mismatched_task_version', { ...SBUILD, 'sbuild:version': 2 }, sbuild(), false],
  ['test_can_run_on_sbuild_not_available', { ...SBUILD, 'sbuild:available': false }, sbuild(), false],
  ['test_can_run_return_true_unshare', SBUILD, sbuild({ backend: 'unshare' }), true],
  ['test_can_run_on_unshare_requires_unshare', { ...SBUILD, 'executor:unshare:available': false }, sbuild({ backend: 'unshare' }), false],
  ['test_can_run_on_incus', { ...SBUILD, 'executor:incus-lxc:available': true, 'autopkgtest:available': true }, sbuild({ backend: 'incus-lxc' }), true],
  [
    'test_can_run_on_incus (a worker whose allowlist is [sbuild] still has autopkgtest installed)',
    { ...SBUILD, 'executor:incus-lxc:available': true, 'autopkgtest:available': true, 'autopkgtest:version': 1, tasks_allowlist: ['sbuild'] },
    sbuild({ backend: 'incus-lxc' }),
    true,
  ],
  ['test_can_run_on_incus_requires_autopkgtest', { ...SBUILD, 'executor:incus-lxc:available': true }, sbuild({ backend: 'incus-lxc' }), false],
  // debusine/tasks/tests/test_autopkgtest.py
  ['test_can_run_on', AUTOPKGTEST, { taskName: 'autopkgtest', taskData: taskData('autopkgtest', { backend: 'unshare' }) }, true],
  ['test_can_run_on_mismatched_task_version', { ...AUTOPKGTEST, 'autopkgtest:version': 2 }, { taskName: 'autopkgtest', taskData: taskData('autopkgtest') }, false],
  ['test_can_run_on_unshare_not_available', { ...AUTOPKGTEST, 'executor:unshare:available': false }, { taskName: 'autopkgtest', taskData: taskData('autopkgtest') }, false],
  ['test_can_run_on_autopkgtest_not_available', { ...AUTOPKGTEST, 'autopkgtest:available': false }, { taskName: 'autopkgtest', taskData: taskData('autopkgtest') }, false],
  // debusine/tasks/tests/test_mmdebstrap.py
  ['test_can_run_on', MMDEBSTRAP, { taskName: 'mmdebstrap', taskData: taskData('mmdebstrap') }, true],
  ['test_can_run_on_mismatched_task_version', { ...MMDEBSTRAP, 'mmdebstrap:version': 2 }, { taskName: 'mmdebstrap', taskData: taskData('mmdebstrap') }, false],
  ['test_can_run_on_missing_tool', { ...MMDEBSTRAP, 'mmdebstrap:available': false }, { taskName: 'mmdebstrap', taskData: taskData('mmdebstrap') }, false],
  ['test_can_run_on_wrong_architecture', { ...MMDEBSTRAP, 'system:architectures': ['alpha'] }, { taskName: 'mmdebstrap', taskData: taskData('mmdebstrap') }, false],
  // debusine/tasks/tests/test_simplesystemimagebuild.py
  ['test_can_run_on', SSIB, { taskName: 'simplesystemimagebuild', taskData: SSIB_DATA }, true],
  ['test_can_run_on_mismatched_task_version', { ...SSIB, 'simplesystemimagebuild:version': 2 }, { taskName: 'simplesystemimagebuild', taskData: SSIB_DATA }, false],
  ['test_can_run_on_missing_tool', { ...SSIB, 'simplesystemimagebuild:available': false }, { taskName: 'simplesystemimagebuild', taskData: SSIB_DATA }, false],
  ['test_can_run_different_architecture', { ...SSIB, 'system:architectures': ['alpha'] }, { taskName: 'simplesystemimagebuild', taskData: SSIB_DATA }, false],
  [
    'test_can_run_compatible_architecture',
    { ...SSIB, 'system:architectures': ['amd64', 'i386'] },
    { taskName: 'simplesystemimagebuild', taskData: { ...SSIB_DATA, bootstrap_options: { architecture: 'i386' } } },
    true,
  ],
  // debusine/signing/tasks/tests/test_sign.py
  ['test_can_run_on_uefi', signing({ 'signing:sign:version': 1, 'signing:sign:available:uefi': true }), UEFI_SIGN, true],
  ['test_can_run_on_openpgp', signing({ 'signing:sign:version': 1 }), { ...UEFI_SIGN, taskData: { ...UEFI_SIGN.taskData, purpose: 'openpgp' } }, true],
  ['test_can_run_on_mismatched_task_version', signing({ 'signing:sign:version': 2, 'signing:sign:available:uefi': true }), UEFI_SIGN, false],
  ['test_can_run_on_uefi_missing_tool', signing({ 'signing:sign:version': 1, 'signing:sign:available:uefi': false }), UEFI_SIGN, false],
  // debusine/signing/tasks/tests/test_debsign.py
  ['test_can_run_on', signing({ 'signing:debsign:version': 1, 'signing:debsign:available': true }), DEBSIGN, true],
  ['test_can_run_on_mismatched_task_version', signing({ 'signing:debsign:version': 2, 'signing:debsign:available': true }), DEBSIGN, false],
  ['test_can_run_on_missing_tool', signing({ 'signing:debsign:version': 1, 'signing:debsign:available': false }), DEBSIGN, false],
  // debusine/tasks/tests/test_task.py (the base can_run_on)
  [
    'test_can_run_on_no_version (generatekey has no version: a signing worker needs no version key for it)',
    signing({}),
    { taskType: 'Signing', taskName: 'generatekey', taskData: { purpose: 'uefi', description: 'A UEFI key' } },
    true,
  ],
  ['test_can_run_on_with_different_versions', external({ 'noop:version': 2 }), { taskName: 'noop' }, false],
  ['test_can_run_on_type_mismatch', signing({ 'noop:version': 1 }), { taskName: 'noop' }, false],
  [
    'test_can_run_on_architecture_not_available',
    external({ 'lintian:version': 1 }),
    { taskName: 'lintian', taskData: taskData('lintian', { host_architecture: 'arm64' }) },
    false,
  ],
])('%s', async (_debusineTest, metadata, request, assigned) => {
  await addWorker(ctx.db, { name: 'worker', metadata, workerType: metadata['system:worker_type'] as WorkerType });
  await addRequest(ctx.db, request);
  expect((await runDispatchPass(ctx.db)).assignments).toHaveLength(assigned ? 1 : 0);
});

describe("Debusine's scheduler tests (debusine/server/tests/test_scheduler.py)", () => {
  const worker = (name: string, options: Partial<WorkerOptions> = {}) => addWorker(ctx.db, { name, metadata: SBUILD, ...options });
  const pass = async () => (await runDispatchPass(ctx.db)).assignments.map((a) => a.workRequestId).sort();

  it('test_no_work_request_available', async () => {
    await worker('w');
    expect(await pass()).toEqual([]);
  });

  it('test_worker_connected_without_a_work_request', async () => {
    await worker('w1');
    await worker('w2');
    const ids = [await addRequest(ctx.db, sbuild()), await addRequest(ctx.db, sbuild())];
    expect(await pass()).toEqual(ids.sort());
  });

  it('test_worker_connected_with_a_work_request', async () => {
    await worker('w');
    await addRequest(ctx.db, sbuild());
    await pass();
    await addRequest(ctx.db, sbuild());
    expect(await pass()).toEqual([]);
  });

  it('test_worker_not_connected', async () => {
    await worker('w', { connected: false });
    await addRequest(ctx.db, sbuild());
    expect(await pass()).toEqual([]);
  });

  it('test_worker_not_enabled', async () => {
    await worker('w', { enabled: false });
    await addRequest(ctx.db, sbuild());
    expect(await pass()).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, boolean]>([
    ['test_skips_tasks_in_deny_list', { tasks_denylist: ['foobar', 'sbuild', 'baz'] }, false],
    ['test_skips_tasks_not_in_allow_list', { tasks_allowlist: ['foobar', 'baz'] }, false],
    ['test_allowlist_takes_precedence_over_denylist', { tasks_allowlist: ['sbuild'], tasks_denylist: ['sbuild'] }, true],
  ])('%s', async (_debusineTest, lists, assigned) => {
    await worker('w', { metadata: { ...SBUILD, ...lists } });
    await addRequest(ctx.db, sbuild());
    expect(await pass()).toHaveLength(assigned ? 1 : 0);
  });

  it('test_highest_priority_work_request_is_picked_first', async () => {
    await worker('w');
    const ids = [];
    for (const [priorityBase, priorityAdjustment] of [[0, 0], [0, 10], [10, 0], [10, 1]] as const) {
      ids.push(await addRequest(ctx.db, { ...sbuild(), priorityBase, priorityAdjustment }));
    }
    expect(await pass()).toEqual([ids[3]]);
  });

  it('test_oldest_work_request_is_picked_first', async () => {
    await worker('w');
    const now = Date.now();
    const ids = [];
    for (const offset of [1, 0, 2]) ids.push(await addRequest(ctx.db, { ...sbuild(), createdAt: new Date(now + offset * 1000) }));
    expect(await pass()).toEqual([ids[1]]);
  });

  it('test_signing_work_request', async () => {
    await worker('signer', { metadata: signing({}), workerType: 'signing' });
    const id = await addRequest(ctx.db, { taskType: 'Signing', taskName: 'generatekey', taskData: { purpose: 'uefi', description: 'A UEFI key' } });
    expect(await pass()).toEqual([id]);
  });

  it('test_schedule_for_worker_already_pending', async () => {
    await worker('w');
    await addRequest(ctx.db, sbuild());
    await pass();
    await addRequest(ctx.db, sbuild());
    expect(await pass()).toEqual([]);
  });

  it('test_schedule_for_worker_concurrency (the Celery worker, which has no token, takes Server tasks up to its concurrency)', async () => {
    await addWorker(ctx.db, {
      name: 'celery',
      workerType: 'celery',
      withoutToken: true,
      concurrency: 3,
      metadata: { 'system:worker_type': 'celery', 'server:servernoop:version': 1 },
    });
    for (let i = 0; i < 4; i++) await addRequest(ctx.db, { taskType: 'Server', taskName: 'servernoop' });
    expect(await pass()).toHaveLength(3);
    expect(await pass()).toEqual([]);
  });

  it.each([
    ['test_when_work_request_is_locked', 'select id from work_requests for update'],
    ['test_when_worker_is_locked', 'select id from workers for update'],
  ])('%s: the pass skips the locked row and finishes at once, and the next pass assigns it', async (_debusineTest, lock) => {
    await worker('w');
    const id = await addRequest(ctx.db, sbuild());
    const holder = await ctx.db.sequelize.transaction();
    try {
      await ctx.db.sequelize.query(lock, { transaction: holder });
      const stuck = new Promise<'waited'>((resolve) => setTimeout(() => resolve('waited'), 3000).unref());
      expect(await Promise.race([pass(), stuck])).toEqual([]);
    } finally {
      await holder.rollback();
    }
    expect(await pass()).toEqual([id]);
  });

  it('test_with_failing_configure_call (a queued request whose task data no longer validates is closed as configure-failed)', async () => {
    await worker('w');
    const id = await addRequest(ctx.db, sbuild());
    // As if queued before the task data was checked, or by an older buildfleet.
    await ctx.db.sequelize.query(`update work_requests set task_data = '{}'::jsonb where id = $1::bigint`, { bind: [id] });
    expect(await pass()).toEqual([]);
    const [row] = await ctx.db.sequelize.query<{ status: string; result: string; output_data: { errors: { code: string; message: string }[] } }>(
      'select status, result, output_data from work_requests where id = $1::bigint',
      { bind: [id], type: 'SELECT' as never },
    );
    expect(row).toMatchObject({ status: 'completed', result: 'error' });
    expect(row!.output_data.errors).toEqual([
      { code: 'configure-failed', message: expect.stringMatching(/^Failed to configure: .*task_data\.environment: required.*task_data\.input: required/) },
    ]);
    // The worker is free again: the next valid request goes to it.
    const next = await addRequest(ctx.db, sbuild());
    expect(await pass()).toEqual([next]);
  });

  it('test_with_failing_configure_call, worker-initiated: a worker asking for work gets the next valid request, the invalid one closed', async () => {
    const id = await worker('w');
    const invalid = await addRequest(ctx.db, sbuild());
    await ctx.db.sequelize.query(`update work_requests set task_data = '{}'::jsonb where id = $1::bigint`, { bind: [invalid] });
    const valid = await addRequest(ctx.db, sbuild());
    expect((await assignNextForWorker(ctx.db, id))?.id).toBe(valid);
    const [row] = await ctx.db.sequelize.query<{ status: string; code: string }>(
      `select status, output_data -> 'errors' -> 0 ->> 'code' as code from work_requests where id = $1::bigint`,
      { bind: [invalid], type: 'SELECT' as never },
    );
    expect(row).toEqual({ status: 'completed', code: 'configure-failed' });
  });
});

describe('a fleet running mixed worker versions', () => {
  it('leaves work to the workers at the task version buildfleet runs, and unmet demand says which were excluded and why', async () => {
    await addWorker(ctx.db, { name: 'new', metadata: { ...SBUILD, 'sbuild:version': 2 } });
    await addWorker(ctx.db, { name: 'denies', metadata: { ...SBUILD, tasks_denylist: ['sbuild'] } });
    await addWorker(ctx.db, { name: 'no-sbuild', metadata: external({ 'noop:version': 1 }) });
    await addRequest(ctx.db, sbuild());
    const { assignments, unassigned } = await runDispatchPass(ctx.db);
    expect(assignments).toEqual([]);
    expect(unassigned).toBe(1);
    const [demand] = await describeUnmetDemand(ctx.db);
    expect(demand?.excludedWorkers).toEqual([
      { name: 'denies', reason: 'sbuild is in its tasks_denylist' },
      { name: 'new', reason: 'reports sbuild:version 2; buildfleet runs sbuild at version 1' },
    ]);
    await addWorker(ctx.db, { name: 'current', metadata: SBUILD });
    expect((await runDispatchPass(ctx.db)).assignments.map((a) => a.workerName)).toEqual(['current']);
  });
});

describe("Debusine's worker tests (debusine/db/models/tests/test_workers.py)", () => {
  const freeSlots = async () => Object.fromEntries((await readDispatchSnapshot(ctx.db)).freeSlots);
  const connect = (id: string) =>
    ctx.db.sequelize.query(
      `insert into worker_sessions (worker_id, process_id, expires_at) values ($1::bigint, gen_random_uuid(), now() + interval '1 hour')`,
      { bind: [id] },
    );
  const finish = (id: string) =>
    ctx.db.sequelize.query(`update work_requests set status = 'completed', result = 'success', completed_at = now() where id = $1::bigint`, {
      bind: [id],
    });

  it('test_waiting_for_work_request', async () => {
    const worker = await addWorker(ctx.db, { name: 'worker-a', metadata: SBUILD, connected: false });
    expect(await freeSlots()).toEqual({});
    await connect(worker);
    expect(await freeSlots()).toEqual({ [worker]: 1 });
    const id = await addRequest(ctx.db, sbuild());
    await runDispatchPass(ctx.db);
    expect(await freeSlots()).toEqual({});
    await finish(id);
    expect(await freeSlots()).toEqual({ [worker]: 1 });
  });

  it('test_waiting_for_work_request_celery (no token, up to its concurrency)', async () => {
    const celery = await addWorker(ctx.db, {
      name: 'celery',
      workerType: 'celery',
      withoutToken: true,
      concurrency: 3,
      connected: false,
      metadata: { 'system:worker_type': 'celery', 'server:servernoop:version': 1 },
    });
    expect(await freeSlots()).toEqual({});
    await connect(celery);
    expect(await freeSlots()).toEqual({ [celery]: 3 });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await addRequest(ctx.db, { taskType: 'Server', taskName: 'servernoop' }));
    await runDispatchPass(ctx.db);
    expect(await freeSlots()).toEqual({});
    await finish(ids[2]!);
    expect(await freeSlots()).toEqual({ [celery]: 1 });
  });

  it('test_waiting_for_work_request_no_return_disabled_workers', async () => {
    const enabled = await addWorker(ctx.db, { name: 'worker-enabled', metadata: SBUILD });
    await addWorker(ctx.db, { name: 'worker-disabled', metadata: SBUILD, enabled: false });
    expect(await freeSlots()).toEqual({ [enabled]: 1 });
  });

  it('test_waiting_for_work_request_static_first', async () => {
    await addPool(ctx.db, { name: 'test' });
    await addWorker(ctx.db, { name: 'worker-cloud', pool: 'test', metadata: SBUILD, connectedAt: new Date(Date.now() - 60_000) });
    await addWorker(ctx.db, { name: 'worker-static', metadata: SBUILD });
    await addRequest(ctx.db, sbuild());
    expect((await runDispatchPass(ctx.db)).assignments.map((a) => a.workerName)).toEqual(['worker-static']);
  });
});

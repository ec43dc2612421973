import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connectedSinceSql, type Database } from '@buildfleet/models';
import { createWorkRequest, runDispatchPass } from '@buildfleet/scheduler';
import { createUserToken, setWorkerEnabled } from '../src';
import {
  CHROOT,
  CLIENT_CONFIG,
  CONFIG_DIR,
  inChroot,
  mountProc,
  redact,
  requireChroot,
  run,
  WorkerProcess,
  writeWorkerFile,
} from './chroot';
import { addPoolMember, recordingLogger, resetDatabase, row, rows, startApi, useDatabase, waitFor } from './fixtures';

describe('a real debusine-worker in the fleet', () => {
  const database = useDatabase();
  let db: Database;
  const logger = recordingLogger();
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  const worker = new WorkerProcess();
  let mountedProc = false;
  let member: { id: string; activationKey: string };

  const workerRow = () =>
    row<{ name: string; token_id: string | null; activation_token_id: string | null; connected_at: Date | null; tags: string[] }>(
      db,
      `select name, token_id, activation_token_id, ${connectedSinceSql('id')} as connected_at, tags from workers where id = $1`,
      [member.id],
    );

  beforeAll(async () => {
    requireChroot();
    db = database.db;
    await resetDatabase(db);
    api = await startApi(db, { logger });
    member = await addPoolMember(db, 'cloud', 'cloud-001');
    // With a trailing slash, a common way to write it: the worker then sends `/api//1.0/...`.
    writeWorkerFile(`${CONFIG_DIR}/config.ini`, `[General]\napi-url = ${api.apiUrl}/\nlog-level = DEBUG\n`);
    writeWorkerFile(`${CONFIG_DIR}/activation-token`, `${member.activationKey}\n`);
    rmSync(inChroot(`${CONFIG_DIR}/token`), { force: true });
    mountedProc = mountProc();
    worker.start();
  });

  afterAll(async () => {
    await worker.stop().catch(() => {});
    if (mountedProc) execFileSync('umount', [inChroot('proc')]);
    for (const file of ['config.ini', 'activation-token', 'token']) rmSync(inChroot(`${CONFIG_DIR}/${file}`), { force: true });
    rmSync(inChroot(CLIENT_CONFIG), { force: true });
    await api?.close();
  });

  /** waitFor, failing with the end of the worker's (redacted) output to show why. */
  const waitForWorker = <T>(what: string, check: () => Promise<T | undefined>) =>
    waitFor(what, check).catch((error: Error) => {
      throw new Error(`${error.message}\ndebusine-worker output:\n${redact(worker.output).slice(-6000)}`);
    });

  it('registers with its activation token, which is then spent, though its api-url ends in a slash', async () => {
    const registered = await waitForWorker('the worker to register', async () => {
      const current = await workerRow();
      return current.token_id !== null ? current : undefined;
    });
    expect(registered).toMatchObject({ name: 'cloud-001', activation_token_id: null });
    // The worker's own log of the request shows the doubled slash it sent.
    expect(redact(worker.output)).toContain('/api//1.0/worker/register/');
    expect(existsSync(inChroot(`${CONFIG_DIR}/token`))).toBe(true);

    const again = await fetch(`${api!.apiUrl}/1.0/worker/register/`, {
      method: 'POST',
      headers: { token: member.activationKey, 'content-type': 'application/json' },
      body: JSON.stringify({ token: 'f'.repeat(64), fqdn: 'intruder', worker_type: 'external' }),
    });
    expect(again.status).toBe(403);
    expect(again.headers.get('content-type')).toBe('application/problem+json');
  });

  it('connects, holding a live session lease', async () => {
    await waitForWorker('connected_at', async () => (await workerRow()).connected_at ?? undefined);
  });

  it('reports its metadata, which becomes its tags', async () => {
    const tags = await waitForWorker('tags from the metadata', async () => {
      const current = await workerRow();
      return current.tags.includes('task:noop') ? current.tags : undefined;
    });
    expect(tags).toEqual(expect.arrayContaining(['arch:amd64', 'executor:unshare', 'task:noop', 'worker-type:external']));
  });

  it('is given a noop queued with Debusine\'s client, runs it to success, and its runtime is charged to the pool', async () => {
    const key = await createUserToken(db, { user: 'tester', comment: 'worker-api tests' });
    writeFileSync(
      inChroot(CLIENT_CONFIG),
      `[General]\ndefault-server = buildfleet\n\n[server:buildfleet]\napi-url = ${api!.apiUrl}\nscope = debusine\ntoken = ${key}\n`,
      { mode: 0o600 },
    );
    // Not execFileSync: the API serving the client runs in this process.
    const output = await run(
      'chroot',
      [CHROOT, 'python3', '-m', 'debusine.client', '--config-file', CLIENT_CONFIG, 'create-work-request', 'noop', '--workspace', 'System'],
      'result: true\n',
    );
    const id = /work_request_id: (\d+)/.exec(output)?.[1];
    expect(output).toContain('result: success');
    expect(id).toBeDefined();

    const done = await waitForWorker('the noop to complete', async () => {
      const current = await row<{ status: string; result: string; worker_id: string; output_data: { runtime_statistics?: { duration?: number } } }>(
        db,
        'select status, result, worker_id, output_data from work_requests where id = $1',
        [id],
      );
      return current.status === 'completed' ? current : undefined;
    });
    expect(done).toMatchObject({ result: 'success', worker_id: member.id });
    const duration = done.output_data.runtime_statistics?.duration;
    expect(duration).toEqual(expect.any(Number));
    expect(
      await rows(db, `select s.runtime, p.name as pool, sc.name as scope from worker_pool_task_execution_statistics s
                        join worker_pools p on p.id = s.worker_pool_id join scopes sc on sc.id = s.scope_id
                       where s.worker_id = $1`, [member.id]),
    ).toEqual([{ runtime: duration, pool: 'cloud', scope: 'debusine' }]);
    expect(await rows(db, 'select category from artifacts where work_request_id = $1', [id])).toEqual([
      { category: 'debusine:work-request-debug-logs' },
    ]);
  });

  it('uploads the debug log of a failing noop, and reports the failure', async () => {
    const { id } = await createWorkRequest(db, { scope: 'debusine', taskName: 'noop', taskData: { result: false } });
    await runDispatchPass(db);
    await waitForWorker('the failing noop to complete', async () => {
      const current = await row<{ status: string; result: string }>(db, 'select status, result from work_requests where id = $1', [id]);
      return current.status === 'completed' ? current : undefined;
    }).then((current) => expect(current.result).toBe('failure'));
    const [file] = await rows<{ path: string; complete: boolean; content: Buffer }>(
      db,
      `select f.path, f.complete, f.content from artifact_files f join artifacts a on a.id = f.artifact_id where a.work_request_id = $1`,
      [id],
    );
    expect(file).toMatchObject({ path: 'stages.log', complete: true });
    expect(file!.content.length).toBeGreaterThan(0);
  });

  it('closes the session when its token is disabled', async () => {
    await setWorkerEnabled(db, 'cloud-001', false);
    await waitForWorker('the session lease to end', async () => ((await workerRow()).connected_at === null ? true : undefined));
    await waitForWorker('the worker to report its disabled token', async () => (/is disabled/.test(worker.output) ? true : undefined));
  });

  it('reconnects once enabled again, and its session lease ends when it stops', async () => {
    await setWorkerEnabled(db, 'cloud-001', true);
    await waitForWorker('the worker to reconnect', async () => (await workerRow()).connected_at ?? undefined);
    await worker.stop();
    await waitForWorker('the session lease to end', async () => ((await workerRow()).connected_at === null ? true : undefined));
  });

  it('never logged a token key', async () => {
    const workerKey = readFileSync(inChroot(`${CONFIG_DIR}/token`), 'utf8').trim();
    const logged = logger.lines.join('\n');
    expect(logged).toContain('worker cloud-001 connected');
    expect(logged).not.toContain(workerKey);
    expect(logged).not.toContain(member.activationKey);
  });
});

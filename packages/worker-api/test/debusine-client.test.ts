import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type Database } from '@buildfleet/models';
import { createWorkRequest } from '@buildfleet/scheduler';
import { createUserToken } from '../src';
import { CHROOT, inChroot, redact, requireChroot, run, WorkerProcess } from './chroot';
import { addPoolMember, recordingLogger, resetDatabase, row, rows, startApi, useDatabase, waitFor } from './fixtures';

/**
 * trixie's real `debusine` client (debusine-client 0.11.3) against the API, with the real
 * debusine-worker running the work, both from the chroot .ci/setup-chroot.sh builds. The worker
 * has a HOME of its own and /proc in a private mount namespace, so this file can run beside
 * debusine-worker.test.ts. Needs root.
 */
const HOME = '/var/lib/buildfleet-client-test';
const USER_CONFIG = '/tmp/buildfleet-client-user.ini';
const ADMIN_CONFIG = '/tmp/buildfleet-client-admin.ini';
const DOWNLOADS = '/tmp/buildfleet-client-downloads';

describe("trixie's debusine client", () => {
  const database = useDatabase();
  let db: Database;
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  const worker = new WorkerProcess(HOME);

  /** `debusine --config-file CONFIG ARGS...`: its stdout, or a rejection with its stderr. */
  const client = (args: string[], { config = USER_CONFIG, input = '' } = {}) =>
    run('chroot', [CHROOT, 'debusine', '--config-file', config, ...args], input);

  const waitForWorker = <T>(what: string, check: () => Promise<T | undefined>) =>
    waitFor(what, check, 25_000).catch((error: Error) => {
      throw new Error(`${error.message}\ndebusine-worker output:\n${redact(worker.output).slice(-6000)}`);
    });

  const finished = (id: string) =>
    waitForWorker(`work request ${id} to finish`, async () => {
      const current = await row<{ status: string; result: string }>(db, 'select status, result from work_requests where id = $1', [id]);
      return current.status === 'completed' || current.status === 'aborted' ? current : undefined;
    });

  const clientConfig = (key: string) =>
    `[General]\ndefault-server = buildfleet\n\n[server:buildfleet]\napi-url = ${api!.apiUrl}\nscope = debusine\ntoken = ${key}\n`;

  beforeAll(async () => {
    requireChroot();
    db = database.db;
    await resetDatabase(db);
    api = await startApi(db, { logger: recordingLogger() });
    const member = await addPoolMember(db, 'cloud', 'cloud-client');
    const configDir = `${HOME}/.config/debusine/worker`;
    rmSync(inChroot(HOME), { recursive: true, force: true });
    mkdirSync(inChroot(configDir), { recursive: true });
    writeFileSync(inChroot(`${configDir}/config.ini`), `[General]\napi-url = ${api.apiUrl}\nlog-level = DEBUG\n`, { mode: 0o600 });
    writeFileSync(inChroot(`${configDir}/activation-token`), `${member.activationKey}\n`, { mode: 0o600 });
    execFileSync('chroot', [CHROOT, 'chown', '-R', 'debusine-worker:debusine-worker', HOME]);
    writeFileSync(inChroot(USER_CONFIG), clientConfig(await createUserToken(db, { user: 'alice' })), { mode: 0o600 });
    writeFileSync(inChroot(ADMIN_CONFIG), clientConfig(await createUserToken(db, { user: 'root', admin: true })), { mode: 0o600 });
    worker.start();
    await waitForWorker('the worker to report task:noop', async () => {
      const current = await row<{ tags: string[] }>(db, 'select tags from workers where id = $1', [member.id]);
      return current.tags.includes('task:noop') ? true : undefined;
    });
  }, 60_000);

  afterAll(async () => {
    await worker.stop().catch(() => {});
    for (const path of [HOME, USER_CONFIG, ADMIN_CONFIG, DOWNLOADS]) rmSync(inChroot(path), { recursive: true, force: true });
    await api?.close();
  });

  let failed = '';
  let artifact = '';

  it('create-work-request queues a noop that the worker runs; show-work-request shows its result and debug logs', async () => {
    const created = await client(['create-work-request', 'noop', '--workspace', 'System'], { input: 'result: false\n' });
    failed = /work_request_id: (\d+)/.exec(created)![1]!;
    expect(await finished(failed)).toEqual({ status: 'completed', result: 'failure' });
    artifact = (await row<{ id: string }>(db, 'select id from artifacts where work_request_id = $1', [failed])).id;

    const shown = await client(['show-work-request', failed]);

    expect(shown).toMatch(new RegExp(`^id: ${failed}$`, 'm'));
    expect(shown).toMatch(/^status: completed$/m);
    expect(shown).toMatch(/^result: failure$/m);
    expect(shown).toContain('category: debusine:work-request-debug-logs');
    expect(shown).toContain(`id: ${artifact}`);
  });

  it('retry-work-request queues a retry that supersedes the failed request, and the worker runs it', async () => {
    await client(['retry-work-request', failed]);

    const retry = await row<{ id: string; retry_count: number }>(db, 'select id, retry_count from work_requests where supersedes_id = $1', [failed]);
    expect(retry.retry_count).toBe(1);
    expect(await finished(retry.id)).toEqual({ status: 'completed', result: 'failure' });
    await expect(client(['retry-work-request', failed])).rejects.toThrow(`already retried as ${retry.id}`);
  });

  it('list-work-requests lists the most recent first', async () => {
    const listed = await client(['list-work-requests', '--limit', '2']);

    const ids = [...listed.matchAll(/^- id: (\d+)$/gm)].map((m) => m[1]);
    const newest = await rows<{ id: string }>(db, 'select id::text from work_requests order by id desc limit 2');
    expect(newest).toHaveLength(2);
    expect(ids).toEqual(newest.map((r) => r.id));
  });

  it('manage-work-request --set-priority-adjustment works with an admin token and is refused (403) to a user', async () => {
    const { id } = await createWorkRequest(db, { scope: 'debusine', taskName: 'noop', workerRequirements: ['site:nowhere'] });

    await expect(client(['manage-work-request', id, '--set-priority-adjustment', '5'])).rejects.toThrow(/admin token/);
    await client(['manage-work-request', id, '--set-priority-adjustment', '5'], { config: ADMIN_CONFIG });

    expect(await row(db, 'select priority_adjustment from work_requests where id = $1', [id])).toEqual({ priority_adjustment: 5 });
  });

  it('show-artifact shows the debug logs, and download-artifact fetches them, as files or as a tarball', async () => {
    const files = await rows<{ path: string; content: Buffer }>(db, 'select path, content from artifact_files where artifact_id = $1', [artifact]);
    expect(files.length).toBeGreaterThan(0);

    const shown = await client(['show-artifact', artifact]);
    expect(shown).toContain('category: debusine:work-request-debug-logs');
    for (const file of files) expect(shown).toContain(`${file.path}:`);

    mkdirSync(inChroot(`${DOWNLOADS}/files`), { recursive: true });
    await client(['download-artifact', artifact, '--target-directory', `${DOWNLOADS}/files`]);
    for (const file of files) expect(readFileSync(inChroot(`${DOWNLOADS}/files/${file.path}`))).toEqual(file.content);

    mkdirSync(inChroot(`${DOWNLOADS}/tarball`), { recursive: true });
    await client(['download-artifact', artifact, '--tarball', '--target-directory', `${DOWNLOADS}/tarball`]);
    expect(readdirSync(inChroot(`${DOWNLOADS}/tarball`))).toEqual([`artifact-${artifact}.tar.gz`]);
    const listing = execFileSync('tar', ['-tzf', inChroot(`${DOWNLOADS}/tarball/artifact-${artifact}.tar.gz`)], { encoding: 'utf8' });
    expect(listing.trim().split('\n').sort()).toEqual(files.map((f) => f.path).sort());
  });

  it('gets a problem saying so for a call buildfleet does not serve (show-artifact-relations)', async () => {
    await expect(client(['show-artifact-relations', artifact])).rejects.toThrow(/as buildfleet serves it/);
  });
});

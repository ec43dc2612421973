import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { generateTokenKey } from '@buildfleet/models';
import { PACKAGE_ROOT, useCliDatabase } from './helpers';

const db = useCliDatabase();
let child: ChildProcess | undefined;

afterEach(() => {
  if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Starts the built binary's `serve` and resolves with its API URL once it logs that it is serving. */
function serve(args: string[]): Promise<{ apiUrl: string; stopped: Promise<{ code: number | null; stdout: string }> }> {
  const { DATABASE_URL: _unset, ...env } = process.env;
  const started = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin', 'run.js'), 'serve', ...args], {
    env: { ...env, NODE_ENV: 'production', DATABASE_URL: db.url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = started;
  let stdout = '';
  let stderr = '';
  started.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const stopped = new Promise<{ code: number | null; stdout: string }>((resolve) => started.on('close', (code) => resolve({ code, stdout })));
  return new Promise((resolve, reject) => {
    started.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const api = /"api":"([^"]+)"/.exec(stderr)?.[1];
      if (api) resolve({ apiUrl: api, stopped });
    });
    void stopped.then(({ code }) => reject(new Error(`serve exited ${code} before serving: ${stderr}`)));
  });
}

it('serve --no-self-registration refuses workers without an activation token', async () => {
  const { apiUrl, stopped } = await serve(['--port', '0', '--provision-interval', '3600', '--no-self-registration', '--json']);

  const response = await fetch(`${apiUrl}/1.0/worker/register/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: generateTokenKey(), fqdn: 'stranger.example.org', worker_type: 'external' }),
  });

  expect(response.status).toBe(403);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(((await response.json()) as { detail: string }).detail).toContain('activation');
  expect(await db.query(`select name from workers`)).toEqual([]);

  child!.kill('SIGTERM');
  const { code, stdout } = await stopped;
  expect(code).toBe(0);
  expect(JSON.parse(stdout)).toMatchObject({ apiUrl, stoppedAt: expect.any(String) });
}, 60_000);

import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { type Database } from '@buildfleet/models';
import { useTestDatabase } from '@buildfleet/testdb';
import { createStaticWorker, createUserToken } from '@buildfleet/worker-api';
import pino from 'pino';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';
import { type RunningServer, SESSION_COOKIE, startServer } from '../src';

/** Debian's Chromium; never a browser downloaded by Playwright. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const MARKER = 'only-admins-see-this';

const testDb = useTestDatabase();
let running: RunningServer;
let db: Database;
let browser: Browser;
let context: BrowserContext;
let adminKey: string;
let userKey: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium, or set CHROMIUM_PATH`);
  // 127.0.0.1 is not the trusted proxy: its header must be ignored.
  running = await startServer({
    databaseUrl: testDb.url,
    port: 0,
    provision: false,
    logger: pino({ level: 'silent' }),
    signIn: { trustedUserHeader: 'x-remote-user', trustedProxies: ['192.0.2.1'] },
  });
  db = running.db;
  await createStaticWorker(db, 'builder');
  await db.sequelize.query(`update workers set static_metadata = $1::jsonb where name = 'builder'`, { bind: [JSON.stringify({ note: MARKER })] });
  adminKey = await createUserToken(db, { user: 'root', admin: true });
  userKey = await createUserToken(db, { user: 'alice' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}, 60_000);

beforeEach(async () => {
  context = await browser.newContext();
});
afterEach(async () => {
  await context?.close();
});
afterAll(async () => {
  await browser?.close();
  await running?.close();
});

async function workerPageShowsMetadata(): Promise<boolean> {
  const page = await context.newPage();
  await page.goto(`${running.url}/-/status/workers/builder/`);
  return (await page.content()).includes(MARKER);
}

async function signInWith(key: string): Promise<void> {
  const page = await context.newPage();
  await page.goto(`${running.url}/-/status/sign-in/`);
  await page.fill('input[name=token]', key);
  await Promise.all([page.waitForURL('**/-/status/workers/'), page.click('button[type=submit]')]);
}

async function signed(payload: string): Promise<string> {
  const [row] = (await db.sequelize.query('select session_signing_key as key from installation_settings'))[0] as { key: string }[];
  return `${payload}.${createHmac('sha256', Buffer.from(row!.key, 'hex')).update(payload).digest('base64url')}`;
}

it("shows worker metadata to an admin signed in with a token, in a signed HttpOnly SameSite=Strict cookie that expires, until sign-out", async () => {
  expect(await workerPageShowsMetadata()).toBe(false);

  await signInWith(adminKey);

  expect(await workerPageShowsMetadata()).toBe(true);
  const [cookie] = await context.cookies();
  expect(cookie).toMatchObject({ name: SESSION_COOKIE, httpOnly: true, sameSite: 'Strict', path: '/-/status/' });
  expect(cookie!.expires * 1000).toBeGreaterThan(Date.now());
  expect(cookie!.value).not.toContain(adminKey);

  const page = await context.newPage();
  await page.goto(`${running.url}/-/status/sign-in/`);
  await Promise.all([page.waitForURL('**/-/status/sign-in/'), page.click('text=Sign out')]);
  expect(await context.cookies()).toEqual([]);
  expect(await workerPageShowsMetadata()).toBe(false);
});

it('shows no metadata to a user who is not an admin, and refuses a token that is not a user token', async () => {
  await signInWith(userKey);
  expect(await workerPageShowsMetadata()).toBe(false);

  const page = await context.newPage();
  await page.goto(`${running.url}/-/status/sign-in/`);
  await page.click('text=Sign out');
  await page.goto(`${running.url}/-/status/sign-in/`);
  await page.fill('input[name=token]', 'f'.repeat(64));
  await Promise.all([page.waitForURL('**/sign-in/?failed=1'), page.click('button[type=submit]')]);
  expect(await page.textContent('[role=alert]')).toContain('not a valid user token');
});

it('ignores a forged cookie and an expired one', async () => {
  const future = Math.floor(Date.now() / 1000) + 3600;
  const forged = `root.1.${future}.${'A'.repeat(43)}`;
  const expired = await signed(`root.1.${Math.floor(Date.now() / 1000) - 10}`);
  const valid = await signed(`root.1.${future}`);
  const url = `${running.url}/-/status/`;

  for (const [value, shown] of [
    [forged, false],
    [expired, false],
    [valid, true],
  ] as const) {
    await context.clearCookies();
    await context.addCookies([{ name: SESSION_COOKIE, value, url }]);
    expect(await workerPageShowsMetadata()).toBe(shown);
  }
});

it('ignores the trusted user header from an address that is not the trusted proxy', async () => {
  const response = await fetch(`${running.url}/-/status/workers/builder/`, { headers: { 'x-remote-user': 'root' } });
  expect(await response.text()).not.toContain(MARKER);

  const behindProxy = await startServer({
    databaseUrl: testDb.url,
    port: 0,
    provision: false,
    logger: pino({ level: 'silent' }),
    signIn: { trustedUserHeader: 'x-remote-user', trustedProxies: ['127.0.0.1'], private: true },
  });
  try {
    const trusted = await fetch(`${behindProxy.url}/-/status/workers/builder/`, { headers: { 'x-remote-user': 'root' } });
    expect(await trusted.text()).toContain(MARKER);
    const anonymous = await fetch(`${behindProxy.url}/-/status/workers/`, { redirect: 'manual' });
    expect([anonymous.status, anonymous.headers.get('location')]).toEqual([303, '/-/status/sign-in/']);
  } finally {
    await behindProxy.close();
  }
});

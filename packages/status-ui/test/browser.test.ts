import { existsSync, mkdirSync } from 'node:fs';
import { type AddressInfo } from 'node:net';
import { type Server } from 'node:http';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { authFromHeader, hostApp, useDatabase } from './helpers';
import { seedFleet, seedPoolSamples } from './seed';

/** Debian's Chromium; never a browser downloaded by Playwright. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUTPUT = join(__dirname, '..', 'test-output');

const database = useDatabase();
let server: Server;
let browser: Browser;
let page: Page;
let origin: string;
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH`);
  mkdirSync(OUTPUT, { recursive: true });
  await seedFleet(database.db);
  await seedPoolSamples(database.db, 'aws-amd64', new Date());
  const app = hostApp('/-/status', { db: database.db, auth: authFromHeader });
  server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (message) => problems.push(`console ${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

async function visit(path: string, screenshot: string) {
  await page.goto(`${origin}${path}`);
  await page.screenshot({ path: join(OUTPUT, `${screenshot}.png`), fullPage: true });
}

it.each([
  ['/-/status/workers/', 'workers', 'Workers'],
  ['/-/status/worker-pools/', 'worker-pools', 'Worker pools'],
  ['/-/status/worker-pools/aws-amd64/', 'worker-pool', 'Worker pool aws-amd64'],
  ['/-/status/queue/', 'queue', 'Queue'],
  ['/-/status/decisions/', 'decisions', 'Provisioning decisions'],
])('renders %s styled, with no failed request or console message', async (path, screenshot, heading) => {
  problems.length = 0;
  await visit(path, screenshot);
  expect(await page.locator('h1').textContent()).toBe(heading);
  // The stylesheet loaded through <base href>: the header bar has its dark background.
  const backgroundOf = (el: unknown) =>
    (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(el).backgroundColor;
  expect(await page.locator('header.top').evaluate(backgroundOf)).toBe('rgb(36, 50, 74)');
  expect(problems).toEqual([]);
});

it("draws a pool's three charts of the last day inline, laid out, with their lines and no failed request", async () => {
  problems.length = 0;
  await visit('/-/status/worker-pools/aws-amd64/', 'worker-pool-charts');
  const charts = page.locator('section.charts svg');
  expect(await charts.evaluateAll((svgs) => svgs.map((svg) => svg.getAttribute('aria-label')))).toEqual([
    'Pending work this pool could serve',
    'Live instances',
    'Instance hours this month',
  ]);
  for (const chart of await charts.all()) {
    const box = (await chart.boundingBox())!;
    expect(box.width).toBeGreaterThan(600);
    expect(box.height).toBeGreaterThan(200);
    // A drawn line, not an empty chart: its path spans most of the chart's width.
    const line = (await chart.locator('path').boundingBox())!;
    expect(line.width).toBeGreaterThan(400);
  }
  expect(problems).toEqual([]);
});

it('follows a worker link to its detail page, and from there the pool link', async () => {
  problems.length = 0;
  await page.goto(`${origin}/-/status/workers/`);
  await page.locator('a.worker-link', { hasText: 'aws-amd64-001' }).click();
  await page.waitForURL(`${origin}/-/status/workers/aws-amd64-001/`);
  expect(await page.locator('h1').textContent()).toBe('Worker aws-amd64-001');
  await page.screenshot({ path: join(OUTPUT, 'worker.png'), fullPage: true });

  await page.locator('.fields a.pool-link').first().click();
  await page.waitForURL(`${origin}/-/status/worker-pools/aws-amd64/`);
  expect(await page.locator('h1').textContent()).toBe('Worker pool aws-amd64');
  expect(problems).toEqual([]);
});

it('filters and sorts through the form and the column headers', async () => {
  await page.goto(`${origin}/-/status/workers/`);
  await page.selectOption('select[name="filter-status"]', 'running');
  await page.click('form.filters button');
  await page.waitForURL(/filter-status=running/);
  expect(await page.locator('a.worker-link').allTextContents()).toEqual(['aws-amd64-001', 'signer']);
  await page.click('th a:has-text("Name")');
  await page.waitForURL(/order=name.desc/);
  expect(await page.locator('a.worker-link').allTextContents()).toEqual(['signer', 'aws-amd64-001']);
});

it('shows the escaped text of markup in tags instead of running it', async () => {
  let dialogs = 0;
  page.on('dialog', async (dialog) => {
    dialogs += 1;
    await dialog.dismiss();
  });
  await page.goto(`${origin}/-/status/workers/static-idle/`);
  expect(await page.locator('ul.tags li').allTextContents()).toContain('<script>alert(1)</script>');
  expect(dialogs).toBe(0);
});

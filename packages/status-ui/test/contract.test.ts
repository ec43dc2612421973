import request from 'supertest';
import { authFromHeader, baseHrefOf, decodeEntities, hostApp, linksOf, useDatabase } from './helpers';
import { seedFleet, seedPoolSamples } from './seed';

const PAGES = ['workers/', 'workers/static-idle/', 'worker-pools/', 'worker-pools/aws-amd64/', 'queue/', 'decisions/'];

/** The same cases mounted at the root and under a prefix. */
describe.each([
  ['at the root', '/'],
  ['under /-/status', '/-/status'],
])('status UI mounted %s', (_label, mount) => {
  const database = useDatabase();
  const base = mount.endsWith('/') ? mount : `${mount}/`;
  // One clock for every request, so two answers of the same page (the pool page's 24-hour window included) are equal.
  const now = new Date();
  const app = () => hostApp(mount, { db: database.db, auth: authFromHeader, metrics: true, now: () => now });

  beforeAll(async () => {
    await seedFleet(database.db, now);
    await seedPoolSamples(database.db, 'aws-amd64', now);
  });

  it.each(PAGES)('serves %s with a <base href> of the mount point', async (page) => {
    const res = await request(app()).get(`${base}${page}`).expect(200);
    expect(res.type).toBe('text/html');
    expect(baseHrefOf(res.text)).toBe(base);
  });

  it.each(PAGES)('answers %s as JSON for Accept: application/json and for ?format=json', async (page) => {
    const byHeader = await request(app()).get(`${base}${page}`).set('Accept', 'application/json').expect(200);
    expect(byHeader.type).toBe('application/json');
    const byQuery = await request(app()).get(`${base}${page}?format=json`).expect(200);
    expect(byQuery.type).toBe('application/json');
    expect(byQuery.body).toEqual(byHeader.body);
  });

  it('resolves every link of every page reachable from workers/ to a page that answers 200', async () => {
    const seen = new Set<string>();
    const queue = [`${base}workers/`];
    while (queue.length && seen.size < 200) {
      const path = queue.shift()!;
      if (seen.has(path)) continue;
      seen.add(path);
      const res = await request(app()).get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      if (res.type !== 'text/html') continue;
      const pageUrl = new URL(baseHrefOf(res.text)!, 'http://host');
      for (const href of linksOf(res.text)) {
        const target = new URL(href, pageUrl);
        expect(target.pathname.startsWith(base)).toBe(true);
        const next = target.pathname + target.search;
        if (!seen.has(next) && !target.searchParams.has('format')) queue.push(next);
      }
    }
    expect([...seen]).toEqual(
      expect.arrayContaining([
        `${base}workers/static-idle/`,
        `${base}workers/aws-amd64-001/`,
        `${base}worker-pools/aws-amd64/`,
        `${base}worker-pools/hetzner-arm/`,
        `${base}worker-pools/`,
        `${base}queue/`,
        `${base}static/status.css`,
      ]),
    );
  });

  it('redirects its root to the workers page under the mount point', async () => {
    const res = await request(app()).get(base).expect(302);
    expect(res.headers.location).toBe(`${base}workers/`);
  });

  it('answers a page without its trailing slash too, links still resolving through <base href>', async () => {
    const res = await request(app()).get(`${base}workers`).expect(200);
    expect(baseHrefOf(res.text)).toBe(base);
  });

  it('serves its stylesheet from the sub-app', async () => {
    const res = await request(app()).get(`${base}static/status.css`).expect(200);
    expect(res.type).toBe('text/css');
    expect(res.text).toContain('.badge-idle');
  });

  it('serves metrics below the mount point', async () => {
    const res = await request(app()).get(`${base}metrics`).expect(200);
    expect(res.text).toContain('buildfleet_workers{');
  });

  it.each([
    ['an unknown worker', 'workers/no-such-worker/', 'worker "no-such-worker" does not exist'],
    ['an unknown pool', 'worker-pools/no-such-pool/', 'worker pool "no-such-pool" does not exist'],
  ])('answers 404 with a page for %s', async (_what, page, message) => {
    const res = await request(app()).get(`${base}${page}`).expect(404);
    expect(res.type).toBe('text/html');
    expect(decodeEntities(res.text)).toContain(message);
    expect(baseHrefOf(res.text)).toBe(base);
    const json = await request(app()).get(`${base}${page}?format=json`).expect(404);
    expect(json.body).toEqual({ error: 'not_found', message });
  });

  it('leaves the host routes before and after the mount point to the host', async () => {
    await request(app()).get('/host-page').expect(200, 'host');
    await request(app()).get('/after-ui').expect(200, 'host after ui');
  });

  it("renders with its own views even though the host's view settings point elsewhere", async () => {
    const host = app();
    await request(host).get(`${base}workers/`).expect(200);
    expect(host.get('view engine')).toBe('host-engine-that-does-not-exist');
    expect(host.get('views')).toBe('/nonexistent/host/views');
  });
});

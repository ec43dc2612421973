import { register } from 'prom-client';
import request from 'supertest';
import { type StatusUiOptions } from '../src';
import { authFromHeader, decodeEntities, hostApp, SIGNED_IN, useDatabase } from './helpers';
import { numberLabel } from '@buildfleet/charts';
import { createWorker, type Fleet, type SeededSample, seedFleet, seedPoolSamples } from './seed';

const NOW = new Date('2026-03-10T12:00:00Z');
const database = useDatabase();
let fleet: Fleet;

/** What the host's provisioner reports for the month (its accounting is tested there). */
const USAGE = { monthStart: new Date('2026-03-01T00:00:00Z'), pools: { 'aws-amd64': 8140.7, 'hetzner-arm': 9.5 * 86400 } };
const monthlyUsage: NonNullable<StatusUiOptions['monthlyUsage']> = async (now) => {
  expect(now).toEqual(NOW);
  return USAGE;
};

function app(options: Partial<StatusUiOptions> = {}) {
  return hostApp('/-/status', { db: database.db, auth: authFromHeader, now: () => NOW, monthlyUsage, ...options });
}
async function json(path: string, headers: Record<string, string> = {}, options: Partial<StatusUiOptions> = {}) {
  const res = await request(app(options)).get(`/-/status/${path}`).set('Accept', 'application/json').set(headers);
  expect(res.status).toBe(200);
  return res.body;
}
async function html(path: string, options: Partial<StatusUiOptions> = {}) {
  const res = await request(app(options)).get(`/-/status/${path}`).expect(200);
  return res.text;
}
const names = (body: { rows: { name: string }[] }) => body.rows.map((r) => r.name);

beforeAll(async () => {
  fleet = await seedFleet(database.db, NOW);
  // A live instance launched last month: only this month's part counts.
  await createWorker(database.db, {
    name: 'hetzner-arm-002',
    pool: 'hetzner-arm',
    instanceCreatedAt: new Date('2026-02-28T00:00:00Z'),
    connectedAt: new Date('2026-02-28T00:05:00Z'),
  });
});

describe('/workers/', () => {
  it('lists static workers and pool workers with a live instance, hiding stopped pool workers and Celery', async () => {
    expect(names(await json('workers/'))).toEqual(['aws-amd64-001', 'aws-amd64-002', 'hetzner-arm-002', 'signer', 'static-disabled', 'static-idle']);
  });

  it('shows each worker as type, linked name, linked pool, last seen and status', async () => {
    const body = await json('workers/');
    expect(body.rows).toContainEqual({
      name: 'aws-amd64-001',
      type: 'external',
      pool: 'aws-amd64',
      lastSeenAt: new Date(NOW.getTime() - 12_000).toISOString(),
      status: 'running',
      runningWorkRequests: [fleet.runningOnPoolWorker],
    });
    const page = await html('workers/');
    expect(page).toContain('<a class="worker-link" href="workers/aws-amd64-001/">aws-amd64-001</a>');
    expect(page).toContain('<a class="pool-link" href="worker-pools/aws-amd64/">aws-amd64</a>');
    expect(page).toContain(`#${fleet.runningOnPoolWorker}`);
  });

  it('writes last seen as a relative time with the ISO timestamp in its title', async () => {
    const seen = new Date(NOW.getTime() - 3 * 60_000).toISOString();
    expect(await html('workers/')).toContain(`<time datetime="${seen}" title="${seen}">3 min ago</time>`);
  });

  it.each([
    ['static-idle', 'idle', '✓', 'Idle'],
    ['static-disabled', 'disabled', '✕', 'Disabled'],
    ['aws-amd64-002', 'disconnected', '!', 'Disconnected'],
    ['signer', 'running', '▶', 'Running'],
  ])('gives %s a %s badge with an icon and a text label', async (name, status, icon, label) => {
    const body = await json(`workers/?filter-name=${name}`);
    expect(body.rows.find((r: { name: string }) => r.name === name).status).toBe(status);
    const page = await html(`workers/?filter-name=${name}`);
    expect(page).toContain(`<span class="badge badge-${status}"><span class="icon" aria-hidden="true">${icon}</span> ${label}</span>`);
  });

  it.each([
    ['name', ['aws-amd64-001', 'aws-amd64-002', 'hetzner-arm-002', 'signer', 'static-disabled', 'static-idle']],
    ['name.desc', ['static-idle', 'static-disabled', 'signer', 'hetzner-arm-002', 'aws-amd64-002', 'aws-amd64-001']],
    ['type', ['aws-amd64-001', 'aws-amd64-002', 'hetzner-arm-002', 'static-disabled', 'static-idle', 'signer']],
    ['type.desc', ['signer', 'static-idle', 'static-disabled', 'hetzner-arm-002', 'aws-amd64-002', 'aws-amd64-001']],
    ['pool', ['signer', 'static-disabled', 'static-idle', 'aws-amd64-001', 'aws-amd64-002', 'hetzner-arm-002']],
    ['pool.desc', ['hetzner-arm-002', 'aws-amd64-002', 'aws-amd64-001', 'static-idle', 'static-disabled', 'signer']],
    ['last_seen', ['hetzner-arm-002', 'static-disabled', 'static-idle', 'aws-amd64-002', 'signer', 'aws-amd64-001']],
    ['last_seen.desc', ['aws-amd64-001', 'signer', 'aws-amd64-002', 'static-idle', 'static-disabled', 'hetzner-arm-002']],
  ])('sorts by ?order=%s', async (order, expected) => {
    expect(names(await json(`workers/?order=${order}`))).toEqual(expected);
  });

  it.each([
    ['filter-name=AMD64', ['aws-amd64-001', 'aws-amd64-002']],
    ['filter-name=%25', []],
    ['filter-pool=_none', ['signer', 'static-disabled', 'static-idle']],
    ['filter-pool=aws-amd64', ['aws-amd64-001', 'aws-amd64-002']],
    ['filter-pool=no-such-pool', []],
    ['filter-status=disabled', ['static-disabled']],
    ['filter-status=disconnected', ['aws-amd64-002']],
    ['filter-status=running', ['aws-amd64-001', 'signer']],
    ['filter-status=idle', ['hetzner-arm-002', 'static-idle']],
    ['filter-status=stopped', []],
    ['filter-pool=_none&filter-status=running&filter-name=sign', ['signer']],
  ])('filters with ?%s', async (query, expected) => {
    const body = await json(`workers/?${query}`);
    expect(names(body)).toEqual(expected);
    expect(body.pagination.total).toBe(expected.length);
  });

  it('offers in the pool filter only pools that have a listed worker, and static workers', async () => {
    const body = await json('workers/');
    expect(body.poolChoices).toEqual(['aws-amd64', 'hetzner-arm']);
    expect(body.hasStaticWorkers).toBe(true);
  });

  it('keeps the filters in the sort links and the sort in the filter form', async () => {
    const page = decodeEntities(await html('workers/?filter-pool=aws-amd64&order=last_seen.desc'));
    expect(page).toContain('href="workers/?order=last_seen&filter-pool=aws-amd64"');
    expect(page).toContain('<input type="hidden" name="order" value="last_seen.desc">');
    expect(page).toContain('<option value="aws-amd64" selected>');
  });

  it.each([
    ['order=colour', 'order', 'use one of name, type, pool, last_seen'],
    ['order=name.up', 'order', 'optionally followed by .desc'],
    ['filter-status=sleeping', 'filter-status', 'not one of stopped, disabled, disconnected, running, idle'],
    ['page=0', 'page', 'not a page number'],
  ])('refuses ?%s with 400 naming the parameter and the fix', async (query, field, fix) => {
    const res = await request(app()).get(`/-/status/workers/?${query}`).expect(400);
    expect(decodeEntities(res.text)).toContain(fix);
    const body = (await request(app()).get(`/-/status/workers/?${query}&format=json`).expect(400)).body;
    expect(body.issues).toEqual([{ field, message: expect.stringContaining(fix) }]);
  });
});

describe('/workers/<name>/', () => {
  it('shows a stopped pool worker that /workers/ hides', async () => {
    const body = await json('workers/aws-amd64-003/');
    expect(body.worker).toMatchObject({ name: 'aws-amd64-003', status: 'stopped', instanceCreatedAt: null, pool: 'aws-amd64' });
    const page = await html('workers/aws-amd64-003/');
    expect(page).toMatch(/<dt>Instance created<\/dt><dd><span class="muted">Never<\/span>/);
  });

  it('shows the fields, plain and numeric tags, and the public fields of the pool', async () => {
    const body = await json('workers/aws-amd64-001/');
    expect(body.worker).toMatchObject({ name: 'aws-amd64-001', type: 'external', concurrency: 1, tags: [] });
    expect(body.pool).toMatchObject({
      name: 'aws-amd64',
      providerType: 'aws',
      enabled: true,
      instanceWide: true,
      ephemeral: false,
      architectures: ['amd64', 'i386'],
      tags: ['executor:unshare', 'memory_gib=16'],
      limits: { max_active_instances: 2, target_max_seconds_per_month: 36000, max_idle_seconds: 3600 },
    });
    const page = await html('workers/aws-amd64-001/');
    expect(page).toContain('<dt>Architectures</dt><dd>amd64, i386</dd>');
    expect(page).toContain('ImageId: ami-0123456789abcdef0');
    expect(page).toContain('max_active_instances: 2');
    expect(page).toContain('<dt>Image</dt><dd><code>ami-0123456789abcdef0</code></dd>');
    expect(body.worker.image).toBe('ami-0123456789abcdef0');
  });

  it('shows a draining worker as draining, with the reason', async () => {
    const body = await json('workers/aws-amd64-002/');
    expect(body.worker.draining).toEqual({ since: expect.any(String), reason: 'DrainOverBudget' });
    expect(await html('workers/aws-amd64-002/')).toMatch(/<dt>Draining<\/dt><dd>since .*\(DrainOverBudget\): it takes no new work and is terminated once idle<\/dd>/);
    expect((await json('workers/aws-amd64-001/')).worker.draining).toBeNull();
    expect(await html('workers/aws-amd64-001/')).not.toContain('<dt>Draining</dt>');
  });

  it('marks a worker whose instance runs another image than its pool launches', async () => {
    expect(await json('workers/aws-amd64-002/')).toMatchObject({ worker: { image: 'ami-0old' }, imageOutdated: true });
    expect(await html('workers/aws-amd64-002/')).toContain(
      '<dt>Image</dt><dd><code>ami-0old</code> <span class="muted">(outdated: the pool now launches <code>ami-0123456789abcdef0</code>)</span></dd>',
    );
    expect((await json('workers/aws-amd64-001/')).imageOutdated).toBe(false);
    expect((await json('workers/static-idle/')).worker.tags).toEqual(['<script>alert(1)</script>', 'executor:unshare', 'memory_gib=32']);
  });

  it('lists the work requests it served, newest first, 10 per page', async () => {
    const first = await json('workers/aws-amd64-001/');
    expect(first.workRequests).toHaveLength(10);
    expect(first.workRequests[0]).toMatchObject({ id: fleet.runningOnPoolWorker, taskType: 'Worker', taskName: 'sbuild', status: 'running', result: '' });
    expect(first.pagination).toEqual({ page: 1, perPage: 10, total: 13, pages: 2 });
    const second = await json('workers/aws-amd64-001/?page=2');
    expect(second.workRequests).toHaveLength(3);
    expect(second.workRequests.map((r: { status: string }) => r.status)).toEqual(['completed', 'completed', 'completed']);
    expect(await html('workers/aws-amd64-001/')).toContain('href="workers/aws-amd64-001/?page=2" rel="next"');
  });

  it('shows metadata and provider state to an authenticated viewer only', async () => {
    const anonymous = await json('workers/aws-amd64-001/');
    expect(anonymous).not.toHaveProperty('metadata');
    expect(anonymous).not.toHaveProperty('workerPoolData');
    expect(await html('workers/aws-amd64-001/')).not.toContain('i-0abc123def4567890');

    const signedIn = await json('workers/aws-amd64-001/', SIGNED_IN);
    expect(signedIn.workerPoolData).toEqual({ instance_id: 'i-0abc123def4567890' });
    const page = (await request(app()).get('/-/status/workers/aws-amd64-001/').set(SIGNED_IN).expect(200)).text;
    expect(page).toContain('instance_id: i-0abc123def4567890');
  });

  it('merges static over dynamic metadata for an authenticated viewer', async () => {
    const body = await json('workers/static-idle/', SIGNED_IN);
    expect(body.metadata).toEqual({
      'system:host_architecture': 'amd64',
      'system:cpu_count': 8,
      note: '<script>alert(1)</script>',
    });
    expect(body.dynamicMetadataUpdatedAt).toEqual(expect.any(String));
  });

  it('does not show the Celery worker', async () => {
    await request(app()).get('/-/status/workers/celery/').expect(404);
  });
});

describe('/worker-pools/', () => {
  it('lists pools with flags, all worker rows, live instances and the seconds the provisioner accounts this month', async () => {
    const body = await json('worker-pools/');
    expect(body.pools.map((p: Record<string, unknown>) => [p.name, p.providerType, p.enabled, p.workers, p.instances, p.secondsThisMonth])).toEqual([
      ['aws-amd64', 'aws', true, 3, 2, 8140],
      ['hetzner-arm', 'hetzner', false, 2, 1, 9.5 * 86400],
    ]);
    expect(body.pools.map((p: Record<string, unknown>) => [p.image, p.outdatedInstances])).toEqual([
      ['ami-0123456789abcdef0', 1],
      [expect.any(String), 0],
    ]);
  });

  it("shows the pool's image and how many of its instances run an outdated one", async () => {
    const page = await html('worker-pools/aws-amd64/');
    expect(page).toContain('<dt>Image</dt><dd><code>ami-0123456789abcdef0</code></dd>');
    expect(page).toContain('<dt>Outdated instances</dt><dd>1 <span class="muted">(launched from another image; the provisioner replaces them, idle ones first)</span></dd>');
  });

  it('shows no usage when the host passes no monthlyUsage hook, rather than computing its own', async () => {
    const body = await json('worker-pools/', {}, { monthlyUsage: undefined });
    expect(body.pools.map((p: { secondsThisMonth: unknown }) => p.secondsThisMonth)).toEqual([null, null]);
    const pool = await json('worker-pools/aws-amd64/', {}, { monthlyUsage: undefined });
    expect([pool.pool.secondsThisMonth, pool.monthStart]).toEqual([null, null]);
    expect(await html('worker-pools/aws-amd64/', { monthlyUsage: undefined })).toContain('not reported (no provisioner connected)');
  });

  it('marks a pool at its instance limit, with the limit beside the count', async () => {
    const page = await html('worker-pools/');
    expect(page).toContain('<span class="usage over" title="2 of 2">2 <span class="muted">/ 2</span> <span class="badge badge-disabled">at limit</span></span>');
    expect(page).toContain('2 h 16 min <span class="muted">/ 10 h</span>');
  });

  it.each([
    ['workers', ['hetzner-arm', 'aws-amd64']],
    ['workers.desc', ['aws-amd64', 'hetzner-arm']],
    ['enabled', ['hetzner-arm', 'aws-amd64']],
    ['seconds.desc', ['hetzner-arm', 'aws-amd64']],
    ['name.desc', ['hetzner-arm', 'aws-amd64']],
  ])('sorts by ?order=%s', async (order, expected) => {
    expect((await json(`worker-pools/?order=${order}`)).pools.map((p: { name: string }) => p.name)).toEqual(expected);
  });

  it('never shows a provider account name', async () => {
    const body = await json('worker-pools/');
    expect(Object.keys(body.pools[0]).sort()).toEqual([
      'architectures',
      'enabled',
      'ephemeral',
      'image',
      'instanceWide',
      'instances',
      'limits',
      'name',
      'outdatedInstances',
      'providerType',
      'registeredAt',
      'secondsThisMonth',
      'specifications',
      'tags',
      'workers',
    ]);
  });
});

describe('/worker-pools/<name>/', () => {
  it('shows the scope links by priority and every worker of the pool, stopped ones included', async () => {
    const body = await json('worker-pools/aws-amd64/');
    expect(body.scopes).toEqual([
      { scope: 'debian', label: 'Debian <script>alert(1)</script>', priority: 10 },
      { scope: 'kali', label: 'Kali', priority: 1 },
    ]);
    expect(names(body.workers)).toEqual(['aws-amd64-001', 'aws-amd64-002', 'aws-amd64-003']);
    expect(body.workers.rows[2].status).toBe('stopped');
    expect(body.monthStart).toBe('2026-03-01T00:00:00.000Z');
  });

  it('shows the provisioner’s last decisions about the pool as its hook gives them, escaped, and only their public fields', async () => {
    const asked: string[] = [];
    // The provisioner's decisions carry more (tick, scope, count...) than a pool page shows.
    const held = { decidedAt: '2026-03-10T11:59:00.000Z', kind: 'hold', reason: 'PoolAtInstanceLimit', message: 'not launching in aws-amd64: <b>at</b> max_active_instances', tickId: 't' };
    const poolDecisions: NonNullable<StatusUiOptions['poolDecisions']> = async (pool) => {
      asked.push(pool);
      return [
        held,
        { decidedAt: '2026-03-10T11:58:00.000Z', kind: 'launch', reason: 'LaunchForLatency', message: 'launch 2 in aws-amd64: scope debian has 4 pending requests, an estimated 40 min of work for one instance (10 min each: median of recent runs) > target 10 min' },
      ];
    };
    const body = await json('worker-pools/aws-amd64/', {}, { poolDecisions });
    expect(asked).toEqual(['aws-amd64']);
    expect(body.decisions.map((d: { reason: string }) => d.reason)).toEqual(['PoolAtInstanceLimit', 'LaunchForLatency']);
    expect(Object.keys(body.decisions[0]).sort()).toEqual(['decidedAt', 'kind', 'message', 'reason']);
    const page = await html('worker-pools/aws-amd64/', { poolDecisions });
    expect(page).toContain('<code>LaunchForLatency</code>');
    expect(page).toContain('&lt;b&gt;at&lt;/b&gt;');
    expect((await json('worker-pools/aws-amd64/')).decisions).toEqual([]);
  });

  it('filters and sorts its worker table like /workers/', async () => {
    expect(names((await json('worker-pools/aws-amd64/?filter-status=stopped')).workers)).toEqual(['aws-amd64-003']);
    expect(names((await json('worker-pools/aws-amd64/?order=name.desc&filter-name=00')).workers)).toEqual([
      'aws-amd64-003',
      'aws-amd64-002',
      'aws-amd64-001',
    ]);
    const page = decodeEntities(await html('worker-pools/aws-amd64/?filter-status=stopped'));
    expect(page).toContain('href="worker-pools/aws-amd64/?order=name.desc&filter-status=stopped"');
  });
});

describe('/worker-pools/<name>/ charts of the last 24 hours', () => {
  let day: SeededSample[];
  beforeAll(async () => {
    day = await seedPoolSamples(database.db, 'aws-amd64', NOW);
  });

  /** Each inline SVG of the page: its title, legend, y labels, x labels and the points of its line. */
  function charts(page: string) {
    return [...page.matchAll(/<svg [\s\S]*?<\/svg>/g)].map(([svg]) => ({
      title: /aria-label="([^"]*)"/.exec(svg)![1],
      texts: [...svg.matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map((m) => decodeEntities(m[1]!)),
      points: [...(/<path d="([^"]*)"/.exec(svg)?.[1] ?? '').matchAll(/[ML]([\d.]+),([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]),
    }));
  }

  it('answers the samples of the day as JSON, oldest first, leaving out older and later ones', async () => {
    const body = await json('worker-pools/aws-amd64/');
    expect(body.samples.from).toBe('2026-03-09T12:00:00.000Z');
    expect(body.samples.to).toBe(NOW.toISOString());
    expect(body.samples.points).toEqual(
      day.map((s) => ({ at: s.at.toISOString(), pending: s.pending, liveInstances: s.liveInstances, secondsThisMonth: s.secondsThisMonth })),
    );
  });

  it('draws the queue it could serve, its live instances and its hours this month as inline SVG over the day, in UTC', async () => {
    const shown = charts(await html('worker-pools/aws-amd64/'));
    expect(shown.map((c) => c.title)).toEqual(['Pending work this pool could serve', 'Live instances', 'Instance hours this month']);
    // The pool's limits (max_active_instances 2, target 36,000 s) are named in the legends.
    expect(shown.map((c) => c.texts.filter((t) => /^(pending|live|used)/.test(t)))).toEqual([['pending'], ['live (limit 2)'], ['used (target 10 h)']]);
    const top = [Math.max(...day.map((s) => s.pending)), 2, day.at(-1)!.secondsThisMonth / 3600];
    shown.forEach((chart, i) => {
      expect(chart.texts).toEqual(expect.arrayContaining(['2026-03-09 12:00 UTC', '2026-03-10 12:00 UTC', numberLabel(top[i]!)]));
      expect(chart.points).toHaveLength(day.length);
      // 23.5 hours of a 24-hour axis: the first sample is not at the left edge, the last is at the right one.
      expect(chart.points[0]![0]).toBeCloseTo(60 + (510 * 0.5) / 24, 0);
      expect(chart.points.at(-1)![0]).toBe(570);
    });
    // The spike of 12 pending requests, 8.5 hours ago, is the highest point of the queue.
    const spike = day.findIndex((s) => s.pending === 12);
    expect(shown[0]!.points[spike]![1]).toBe(20);
    expect(shown[0]!.points.filter(([, y]) => y === 20)).toHaveLength(1);
    expect(shown.flatMap((c) => c.texts)).not.toEqual(expect.arrayContaining(['99', '77']));
  });

  it('says there are no samples, and draws no chart, for a pool the provisioner has not sampled', async () => {
    const page = await html('worker-pools/hetzner-arm/');
    expect(page).toContain('No samples in the last 24 hours');
    expect(page).not.toContain('<svg');
    expect((await json('worker-pools/hetzner-arm/')).samples.points).toEqual([]);
  });
});

describe('/queue/', () => {
  it('counts pending and running work requests by scope and requirement set, with the oldest pending age', async () => {
    const body = await json('queue/');
    expect(body.rows).toEqual([
      { scope: 'debian', requirements: 'task:debsign worker-type:external', taskNames: ['debsign'], pending: 0, running: 1, oldestPendingAt: null },
      {
        scope: 'debian',
        requirements: 'task:sbuild worker-type:external',
        taskNames: ['sbuild'],
        pending: 2,
        running: 1,
        oldestPendingAt: new Date(NOW.getTime() - 30 * 60_000).toISOString(),
      },
      {
        scope: 'kali',
        requirements: 'task:autopkgtest worker-type:external',
        taskNames: ['autopkgtest'],
        pending: 1,
        running: 0,
        oldestPendingAt: new Date(NOW.getTime() - 12 * 60_000).toISOString(),
      },
    ]);
    expect(body.totals).toEqual({ pending: 3, running: 2, oldestPendingAt: new Date(NOW.getTime() - 30 * 60_000).toISOString() });
    expect(await html('queue/')).toContain('>30 min ago</time></span> oldest pending');
  });

  it('adds the sections of the host\'s queueData hook, for the viewer it is given', async () => {
    const queueData = jest.fn(async (viewer: { authenticated: boolean }) => [
      {
        title: 'Scheduler backlog',
        columns: [{ key: 'task', label: 'Task' }, { key: 'waiting', label: 'Waiting' }],
        rows: [{ task: viewer.authenticated ? 'secret-task' : '<b>sbuild</b>', waiting: 4 }],
      },
    ]);
    const page = await html('queue/', { queueData });
    expect(page).toContain('<h2>Scheduler backlog</h2>');
    expect(page).toContain('<td>&lt;b&gt;sbuild&lt;/b&gt;</td><td>4</td>');
    expect(queueData).toHaveBeenCalledWith({ authenticated: false });
  });
});

describe('/decisions/', () => {
  it('says that no provisioner is connected until the host passes the decisions hook', async () => {
    expect((await json('decisions/')).connected).toBe(false);
    const page = await html('decisions/');
    expect(page).toContain('No provisioner is connected');
    expect(page).not.toContain('href="decisions/"');
  });

  it('renders the provisioner\'s sections and links the page once the hook is passed', async () => {
    const decisions = async () => [
      { title: 'Last run', columns: [{ key: 'pool', label: 'Pool' }, { key: 'action', label: 'Action' }], rows: [{ pool: 'aws-amd64', action: 'launch 2' }] },
    ];
    const page = await html('decisions/', { decisions });
    expect(page).toContain('<td>aws-amd64</td><td>launch 2</td>');
    expect(page).toContain('<a href="decisions/" aria-current="page">Decisions</a>');
  });
});

describe('/metrics', () => {
  it('is not served unless enabled', async () => {
    await request(app()).get('/-/status/metrics').expect(404);
  });

  it('exposes workers by pool and state, pool instances and seconds, and pending work by scope and task', async () => {
    const res = await request(app({ metrics: true })).get('/-/status/metrics').expect(200);
    expect(res.type).toBe('text/plain');
    const lines = res.text.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'buildfleet_workers{pool="aws-amd64",state="running"} 1',
        'buildfleet_workers{pool="aws-amd64",state="stopped"} 1',
        'buildfleet_workers{pool="_none",state="disabled"} 1',
        'buildfleet_workers{pool="_none",state="running"} 1',
        'buildfleet_worker_pool_instances{pool="aws-amd64"} 2',
        `buildfleet_worker_pool_seconds_this_month{pool="hetzner-arm"} ${9.5 * 86400}`,
        'buildfleet_work_requests_pending{scope="debian",requirements="task:sbuild worker-type:external"} 2',
        'buildfleet_work_requests_pending{scope="kali",requirements="task:autopkgtest worker-type:external"} 1',
      ]),
    );
    expect(res.text).not.toContain('pool="celery"');
  });

  it('keeps its metrics out of prom-client\'s global registry', async () => {
    await request(app({ metrics: true })).get('/-/status/metrics').expect(200);
    expect(await register.getMetricsAsJSON()).toEqual([]);
  });
});

describe('the layout', () => {
  it('links Workers, Worker pools and Queue in the footer of every page', async () => {
    const page = await html('queue/');
    expect(page).toMatch(/<footer>[\s\S]*href="workers\/">Workers<[\s\S]*href="worker-pools\/">Worker pools<[\s\S]*href="queue\/">Queue</);
  });

  it('forbids scripts on its pages with a Content-Security-Policy', async () => {
    const res = await request(app()).get('/-/status/workers/').expect(200);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('answers 500 with a page that names no internals when the database fails', async () => {
    const errors: unknown[] = [];
    const broken = { ...database.db, sequelize: { query: async () => { throw new Error('connection to 10.1.2.3 refused'); } } };
    const res = await request(hostApp('/', { db: broken as never, onError: (e) => errors.push(e) })).get('/workers/').expect(500);
    expect(res.text).toContain('The status page could not be built');
    expect(res.text).not.toContain('10.1.2.3');
    expect(errors).toHaveLength(1);
  });
});

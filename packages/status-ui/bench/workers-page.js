'use strict';
/**
 * `npm run bench`: /workers/ with 50,000 worker rows, 45,000 of them stopped pool workers, and a
 * pool page with a day of samples to chart against one with none.
 * Runs against the built package (dist) on a throw-away database of the test server
 * (DATABASE_URL, else the embedded PostgreSQL), serves the UI on 127.0.0.1 and times each
 * request in this process. Ends with one JSON line.
 */
const { performance } = require('node:perf_hooks');
const express = require('express');
const models = require('@buildfleet/models');
const testdb = require('@buildfleet/testdb');
const { statusUi } = require('..');
const { seedLargeFleet } = require('./seed-fleet');

const ACTIVE = 5_000;
const INACTIVE = 45_000;
const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const WARMUP = 5;

const CASES = [
  ['/workers/', 'workers/'],
  ['/workers/?order=last_seen.desc', 'workers/?order=last_seen.desc'],
  ['/workers/?filter-status=idle', 'workers/?filter-status=idle'],
  ['/workers/?filter-name=00042', 'workers/?filter-name=00042'],
  ['/workers/?page=100', 'workers/?page=100'],
  ['/workers/ (JSON)', 'workers/?format=json'],
  ['/worker-pools/bench/ (all 47,500 rows, page 1)', 'worker-pools/bench/'],
  ['/worker-pools/', 'worker-pools/'],
  ['/worker-pools/quiet/ (no samples: no chart)', 'worker-pools/quiet/'],
  ['/worker-pools/charted/ (2,880 samples, 3 charts)', 'worker-pools/charted/'],
  ['/worker-pools/charted/ (JSON)', 'worker-pools/charted/?format=json'],
];
/** A day of samples at the tick's default interval (30 s). */
const DAY_OF_SAMPLES = 2_880;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const percentile = (values, p) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];

async function main() {
  await testdb.prepareTemplate({ name: 'status-ui-bench', migrate: (url) => models.migrateUp(url).then(() => undefined) });
  const database = await testdb.createTestDatabase();
  const db = models.connectDatabase(database.url, 4);
  let server;
  try {
    process.stdout.write(`seeding ${ACTIVE + INACTIVE} workers (${INACTIVE} stopped pool workers)...\n`);
    await models.upsertScope(db, { name: 'bench' });
    await models.upsertProviderAccount(db, { name: 'bench-account', provider_type: 'dummy' });
    await models.upsertWorkerPool(db, {
      name: 'bench',
      providerAccount: 'bench-account',
      architectures: ['amd64'],
      specifications: { provider_type: 'dummy' },
    });
    await seedLargeFleet(db.sequelize, { prefix: 'w', active: ACTIVE, inactive: INACTIVE, pool: 'bench', scope: 'bench' });
    for (const name of ['quiet', 'charted']) {
      await models.upsertWorkerPool(db, { name, providerAccount: 'bench-account', architectures: ['amd64'], specifications: { provider_type: 'dummy' } });
    }
    // The pool pages chart the last 24 hours of the tick's samples: a full day for one pool.
    await db.sequelize.query(
      `insert into worker_pool_samples (worker_pool_id, sampled_at, pending, live_instances, seconds_this_month)
       select p.id, now() - n * interval '30 seconds', (n * 7) % 23, n % 9, 1e6 - n * 100
         from worker_pools p, generate_series(0, $1::int - 1) n where p.name = 'charted'`,
      { bind: [DAY_OF_SAMPLES] },
    );
    const [{ rows }] = await db.sequelize.query('select count(*)::int as rows from workers', { type: 'SELECT' });

    const host = express();
    host.use('/-/status', statusUi({ db, basePath: '/-/status' }));
    server = await new Promise((resolve) => {
      const listening = host.listen(0, '127.0.0.1', () => resolve(listening));
    });
    const origin = `http://127.0.0.1:${server.address().port}/-/status/`;

    const results = [];
    for (const [label, path] of CASES) {
      const times = [];
      for (let i = 0; i < WARMUP + RUNS; i++) {
        const start = performance.now();
        const res = await globalThis.fetch(origin + path);
        const body = await res.text();
        const elapsed = performance.now() - start;
        if (res.status !== 200 || body.length < 100) throw new Error(`${path}: HTTP ${res.status}`);
        if (i >= WARMUP) times.push(elapsed);
      }
      results.push({ label, median: median(times), p95: percentile(times, 0.95) });
    }

    process.stdout.write(`\n${RUNS} requests each after ${WARMUP} warm-up, ${rows} worker rows, ms per request:\n`);
    for (const r of results) {
      process.stdout.write(`  ${r.label.padEnd(50)} median ${r.median.toFixed(1).padStart(6)}   p95 ${r.p95.toFixed(1).padStart(6)}\n`);
    }
    const workersPage = results[0].median;
    const byLabel = (prefix) => results.find((r) => r.label.startsWith(prefix)).median;
    const charted = byLabel('/worker-pools/charted/ (2,880');
    const quiet = byLabel('/worker-pools/quiet/');
    process.stdout.write(
      `${JSON.stringify({
        bench: 'status-ui',
        workers_page_ms: Number(workersPage.toFixed(1)),
        rows,
        pool_page_charts_ms: Number(charted.toFixed(1)),
        pool_page_no_samples_ms: Number(quiet.toFixed(1)),
        samples: DAY_OF_SAMPLES,
      })}\n`,
    );
  } finally {
    if (server) await new Promise((resolve) => server.close(resolve));
    await db.close();
    await database.drop();
    await testdb.stopTemplateServer();
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exitCode = 1;
});

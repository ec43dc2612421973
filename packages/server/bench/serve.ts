/**
 * The `serve` the fleet bench drives, in a process of its own so its CPU time and memory are
 * its own: started on the database named by the parent, it reports its URLs, then answers
 * `rss` with its resident set and `stop` by shutting down as on SIGTERM.
 */
import pino from 'pino';
import { startServer } from '../src';

async function main() {
  const running = await startServer({
    databaseUrl: process.env.BENCH_DATABASE_URL!,
    port: 0,
    provision: false,
    logger: pino({ level: 'warn' }, pino.destination(2)),
    ...(process.env.BENCH_MAX_WORKER_REQUESTS ? { maxWorkerRequests: Number(process.env.BENCH_MAX_WORKER_REQUESTS) } : {}),
  });
  // BENCH_COUNT_STATEMENTS: every statement the process sends (transaction control included),
  // counted by its first words, so the bench can list the statements of one task cycle. Each is
  // counted by its first characters and grouped by words only when asked: normalising every
  // statement as it was sent cost the server 1.5% of its CPU time in a 2,000-worker run.
  const statements = new Map<string, number>();
  if (process.env.BENCH_COUNT_STATEMENTS) {
    // Sequelize reads its `logging` option at each query; its typings do not expose `options`.
    (running.db.sequelize as unknown as { options: { logging: (sql: string) => void } }).options.logging = (sql) => {
      const start = sql.indexOf('): ') + 3; // after Sequelize's `Executing (connection or transaction): `
      const key = sql.slice(start, start + 200);
      statements.set(key, (statements.get(key) ?? 0) + 1);
    };
  }
  const statementsByFirstWords = () => {
    const grouped: Record<string, number> = {};
    for (const [sql, n] of statements) {
      const key = sql.replace(/\s+/g, ' ').slice(0, 90);
      grouped[key] = (grouped[key] ?? 0) + n;
    }
    return grouped;
  };
  process.send!({ type: 'listening', url: running.url, apiUrl: running.apiUrl });
  process.on('message', (message: { type: string }) => {
    if (message.type === 'rss') {
      const usage = process.resourceUsage();
      // The bench forks this process with --expose-gc: a resident set after a full collection
      // measures what is kept, not when the collector last ran (the CPU time is read before it).
      (globalThis as { gc?: () => void }).gc?.();
      process.send!({
        type: 'rss',
        rss: process.memoryUsage().rss,
        heapUsed: process.memoryUsage().heapUsed,
        cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
        statements: statementsByFirstWords(),
      });
    } else if (message.type === 'stop') {
      void running.close().then(() => process.exit(0));
    }
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

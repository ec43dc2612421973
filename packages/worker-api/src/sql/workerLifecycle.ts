import { ConflictError, type Database, getWorker, NotFoundError, type WorkerDetailView } from '@buildfleet/models';
import { abortWorkRequests } from '@buildfleet/scheduler';
import { QueryTypes } from 'sequelize';
import { createActivationToken, DEFAULT_ACTIVATION_TOKEN_LIFETIME_MS, notifyTokenDisabled } from './admin';

export interface WorkerDeletion {
  worker: string;
  /** Pending requests given back to the queue. */
  requeued: string[];
  /** Running requests aborted as a worker failure (with --force), and their retries. */
  aborted: string[];
  retries: { id: string; supersedes: string }[];
}

/**
 * A fresh activation token for an existing static worker (a machine reinstalled, or its token
 * lost): its own token is disabled (its session closes and its running work is retried), any
 * older activation token deleted, and the new key returned, shown once. Pool workers get theirs
 * from their pool at each launch.
 */
export async function activateStaticWorker(
  db: Database,
  name: string,
  options: { activationTokenLifetimeMs?: number } = {},
): Promise<{ worker: WorkerDetailView; activationKey: string }> {
  const [worker] = await db.sequelize.query<{ id: string; pool: boolean }>(
    `select id, worker_pool_id is not null as pool from workers where name = $1::text`,
    { bind: [name], type: QueryTypes.SELECT },
  );
  if (!worker) throw new NotFoundError('worker', name, 'see `buildfleet worker list`');
  if (worker.pool) {
    throw new ConflictError(`worker "${name}" belongs to a pool, which gives it an activation token at each launch`);
  }
  const activationKey = await createActivationToken(db, worker.id, options.activationTokenLifetimeMs ?? DEFAULT_ACTIVATION_TOKEN_LIFETIME_MS);
  return { worker: await getWorker(db, name), activationKey };
}

/**
 * Deletes a worker that runs no instance, with its tokens, closing its sessions. Its pending
 * work goes back to the queue. Running work refuses the deletion unless `force`, which aborts it
 * as a worker failure and retries it. A pool worker's instance must be terminated first (the
 * CLI does it through the pool).
 */
export async function deleteWorker(db: Database, name: string, { force = false }: { force?: boolean } = {}): Promise<WorkerDeletion> {
  return db.sequelize.transaction(async (transaction) => {
    const [worker] = await db.sequelize.query<{ id: string; running: string[]; live: boolean }>(
      `select w.id, w.instance_created_at is not null as live,
              array(select r.id::text from work_requests r where r.worker_id = w.id and r.status = 'running' order by r.id) as running
         from workers w where w.name = $1::text for update`,
      { bind: [name], type: QueryTypes.SELECT, transaction },
    );
    if (!worker) throw new NotFoundError('worker', name, 'see `buildfleet worker list`');
    if (worker.live) throw new ConflictError(`worker "${name}" runs an instance: terminate it through its pool first`);
    if (worker.running.length && !force) {
      throw new ConflictError(
        `worker "${name}" is running work request(s) ${worker.running.join(', ')}: delete with --force to abort and retry them`,
      );
    }
    const lost = await abortWorkRequests(
      db,
      { workerIds: [worker.id] },
      { cause: 'worker-failed', reason: 'The worker was deleted while this request ran on it', transaction },
    );
    const requeued = await db.sequelize.query<{ id: string }>(
      `update work_requests set worker_id = null where worker_id = $1::bigint and status = 'pending' returning id::text`,
      { bind: [worker.id], type: QueryTypes.SELECT, transaction },
    );
    await notifyTokenDisabled(db, worker.id, { transaction });
    await db.sequelize.query(
      `with gone as (delete from workers where id = $1::bigint returning token_id, activation_token_id)
       delete from tokens t using gone where t.id in (gone.token_id, gone.activation_token_id)`,
      { bind: [worker.id], transaction },
    );
    return { worker: name, requeued: requeued.map((r) => r.id), ...lost };
  });
}

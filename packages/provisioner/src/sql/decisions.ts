import { type Database, NotFoundError, ValidationError } from '@buildfleet/models';
import { QueryTypes, type Transaction } from 'sequelize';
import { type Decision, type DecisionKind } from '../decisions';
import { type Reason } from '../reasons';

/** Decisions older than this are deleted as each tick records its own. (30 days) */
const RETENTION_DAYS = 30;

/**
 * Writes a tick's decisions in one statement. A hold identical to one recorded less than
 * `holdDedupeSeconds` ago (same reason, pool, scope, requirement set and count) is skipped,
 * so a pool that stays disabled does not add a row every tick. Returns how many were written.
 */
export async function recordDecisions(
  db: Database,
  tickId: string,
  decisions: Decision[],
  { now, holdDedupeSeconds, transaction }: { now: Date; holdDedupeSeconds: number; transaction?: Transaction },
): Promise<number> {
  if (!decisions.length) return 0;
  const rows = decisions.map((d) => ({
    kind: d.kind,
    reason: d.reason,
    pool: d.pool,
    scope: d.scope,
    requirement_set: d.requirementSet,
    count: d.count,
    worker: d.worker,
    message: d.message.slice(0, 2000),
  }));
  const [row] = await db.sequelize.query<{ recorded: number }>(
    `with deleted as (
       delete from provisioning_decisions where decided_at < $3::timestamptz - $5::integer * interval '1 day'
     ), inserted as (
       insert into provisioning_decisions (tick_id, decided_at, kind, reason, pool, scope, requirement_set, count, worker, message)
       select $2::uuid, $3::timestamptz, d.kind, d.reason, d.pool, d.scope, d.requirement_set, d.count, d.worker, d.message
         from json_to_recordset($1::json)
              as d(kind text, reason text, pool text, scope text, requirement_set text, count integer, worker text, message text)
        where d.kind <> 'hold' or not exists (
                select 1 from provisioning_decisions p
                 where p.kind = 'hold' and p.reason = d.reason and p.pool is not distinct from d.pool
                   and p.scope is not distinct from d.scope and p.requirement_set is not distinct from d.requirement_set
                   and p.count = d.count and p.decided_at > $3::timestamptz - $4::integer * interval '1 second')
       returning 1
     )
     select count(*)::int as recorded from inserted`,
    { bind: [JSON.stringify(rows), tickId, now, holdDedupeSeconds, RETENTION_DAYS], type: QueryTypes.SELECT, transaction },
  );
  return row!.recorded;
}

/** A recorded decision: what was decided (its subject is only in the message), when, in which tick. */
export interface DecisionView extends Omit<Decision, 'subject'> {
  id: string;
  tickId: string;
  decidedAt: string;
}

/** The most recent ticks first (each in the order it decided), of one pool or all. */
export async function listDecisions(db: Database, filter: { pool?: string; limit?: number } = {}): Promise<DecisionView[]> {
  const limit = filter.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw ValidationError.single('decisions', 'limit', 'give a whole number from 1 to 10000');
  }
  if (filter.pool && !(await db.models.WorkerPool.findOne({ where: { name: filter.pool } }))) {
    const [recorded] = await db.sequelize.query(`select 1 from provisioning_decisions where pool = $1::text limit 1`, {
      bind: [filter.pool],
      type: QueryTypes.SELECT,
    });
    if (!recorded) throw new NotFoundError('worker pool', filter.pool, 'see `buildfleet pool list`');
  }
  const rows = await db.sequelize.query<{
    id: string;
    tick_id: string;
    decided_at: Date;
    kind: DecisionKind;
    reason: Reason;
    pool: string | null;
    scope: string | null;
    requirement_set: string | null;
    count: number;
    worker: string | null;
    message: string;
  }>(
    `select id, tick_id, decided_at, kind, reason, pool, scope, requirement_set, count, worker, message
       from provisioning_decisions
      where $1::text is null or pool = $1::text
      order by decided_at desc, id
      limit $2::integer`,
    { bind: [filter.pool ?? null, limit], type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({
    id: r.id,
    tickId: r.tick_id,
    decidedAt: r.decided_at.toISOString(),
    kind: r.kind,
    reason: r.reason,
    pool: r.pool,
    scope: r.scope,
    requirementSet: r.requirement_set,
    count: r.count,
    worker: r.worker,
    message: r.message,
  }));
}

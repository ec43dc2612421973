'use strict';

/**
 * Adds `active + inactive` workers in a few set-based statements: the active ones half static,
 * half live instances of `pool` (two in three connected, every tenth one running a work request
 * of `scope`), the inactive ones stopped workers of `pool`. Shared by the benchmark and the
 * query-count test.
 */
async function seedLargeFleet(sequelize, { prefix, active, inactive, pool, scope }) {
  const total = active + inactive;
  const bind = [prefix, total, active, pool];
  await sequelize.query(
    `insert into tokens (hash, enabled, last_seen_at)
     select encode(sha256(convert_to($1::text || '-' || i, 'UTF8')), 'hex'), i % 17 <> 0,
            case when i % 5 = 0 then null else now() - (i % 900) * interval '1 minute' end
       from generate_series(1, $2::int) i`,
    { bind: bind.slice(0, 2) },
  );
  await sequelize.query(
    `insert into workers (name, worker_type, token_id, worker_pool_id, instance_created_at, tags, numeric_tags)
     select $1::text || '-' || lpad(i::text, 6, '0'),
            case when i % 50 = 0 then 'signing' else 'external' end,
            t.id,
            case when i <= $3::int and i % 2 = 1 then null else (select id from worker_pools where name = $4::text) end,
            case when i <= $3::int and i % 2 = 0 then now() - (i % 300) * interval '1 minute' end,
            array['executor:unshare'], '{"memory_gib": 16}'::jsonb
       from generate_series(1, $2::int) i
       join tokens t on t.hash = encode(sha256(convert_to($1::text || '-' || i, 'UTF8')), 'hex')`,
    { bind: bind.slice(0, 4) },
  );
  // Sessions with live leases, as serving processes would hold them.
  await sequelize.query(
    `insert into worker_sessions (worker_id, process_id, connected_at, expires_at)
     select w.id, gen_random_uuid(), now() - (i % 200) * interval '1 minute', now() + interval '1 hour'
       from generate_series(1, $2::int) i
       join workers w on w.name = $1::text || '-' || lpad(i::text, 6, '0')
      where i <= $3::int and i % 3 <> 0`,
    { bind: bind.slice(0, 3) },
  );
  await sequelize.query(
    `insert into work_requests (scope_id, status, task_name, worker_id, started_at)
     select (select id from scopes where name = $2::text), 'running', 'sbuild', w.id, now()
       from workers w
      where w.name like $1::text || '-%' and w.instance_created_at is not null
        and exists (select 1 from worker_sessions s where s.worker_id = w.id)
        and w.id % 10 = 0`,
    { bind: [prefix, scope] },
  );
  await sequelize.query('analyze tokens, workers, worker_sessions, work_requests');
}

module.exports = { seedLargeFleet };

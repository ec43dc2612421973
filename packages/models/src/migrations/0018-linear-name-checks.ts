import { type Migration } from './types';

/**
 * The checks on names and digests, as PostgreSQL checks them fast. A bounded repetition in a
 * regular expression (`[a-z0-9_-]{1,100}`) makes PostgreSQL's engine expand one state per
 * repeat, and every insert or update of a row runs every check of its table: the task name's
 * check alone cost about 3 µs per written row (a dispatch pass writing 24,000 assignments took
 * 505 ms of PostgreSQL's CPU with it, 440 without), the worker name's about 9 µs. Each check
 * here accepts exactly what it replaces: the same characters with an unbounded repetition, and
 * the length checked on its own.
 */
export const LINEAR_NAME_CHECKS: readonly { table: string; column: string; before: string; after: string }[] = [
  { table: 'scopes', column: 'name', before: `name ~ '^[a-z0-9][a-z0-9_-]{0,99}$'`, after: `name ~ '^[a-z0-9][a-z0-9_-]*$' and length(name) <= 100` },
  { table: 'tokens', column: 'hash', before: `hash ~ '^[0-9a-f]{64}$'`, after: `hash ~ '^[0-9a-f]+$' and length(hash) = 64` },
  {
    table: 'provider_accounts',
    column: 'name',
    before: `name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$'`,
    after: `name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]*$' and length(name) <= 100`,
  },
  { table: 'worker_pools', column: 'name', before: `name ~ '^[a-z0-9][a-z0-9_-]{0,59}$'`, after: `name ~ '^[a-z0-9][a-z0-9_-]*$' and length(name) <= 60` },
  {
    table: 'workers',
    column: 'name',
    before: `name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$'`,
    after: `name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]*$' and length(name) <= 200`,
  },
  { table: 'work_requests', column: 'task_name', before: `task_name ~ '^[a-z0-9_-]{1,100}$'`, after: `task_name ~ '^[a-z0-9_-]+$' and length(task_name) <= 100` },
  { table: 'artifact_files', column: 'sha256', before: `sha256 ~ '^[0-9a-f]{64}$'`, after: `sha256 ~ '^[0-9a-f]+$' and length(sha256) = 64` },
  { table: 'provisioning_decisions', column: 'reason', before: `reason ~ '^[A-Z][A-Za-z]{1,63}$'`, after: `reason ~ '^[A-Z][A-Za-z]+$' and length(reason) <= 64` },
  {
    table: 'installation_settings',
    column: 'installation_id',
    before: `installation_id ~ '^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$'`,
    after: `installation_id ~ '^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$' and length(installation_id) <= 63`,
  },
];

function replaceChecks(check: 'before' | 'after'): string {
  return LINEAR_NAME_CHECKS.map(
    (c) => `alter table ${c.table} drop constraint ${c.table}_${c.column}_check,
  add constraint ${c.table}_${c.column}_check check (${c[check]});`,
  ).join('\n');
}

export const linearNameChecks: Migration = {
  name: '0018-linear-name-checks',
  up: replaceChecks('after'),
  down: replaceChecks('before'),
};

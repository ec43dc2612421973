import { poolServesScopeSql } from './matching';

/**
 * The one statement of a scope's pool preference, which dispatch (which free worker takes a
 * request) and unmet demand (which pools the provisioner grows) both use, so the pools grown
 * for a scope are the pools its work goes to first.
 *
 * Rows `(scope_id, pool_id, rank)` for every pool a scope in `scopeIds` (an SQL expression of
 * type bigint[]) may use: the pools it links, by link priority (highest first), then the other
 * instance-wide pools; ties by pool name. `rank` is 1 for the most preferred. Workers without a
 * pool come before all of them; that is the callers' business.
 */
export function scopePoolOrderSql(scopeIds: string): string {
  return `select s.id as scope_id, p.id as pool_id,
                 row_number() over (partition by s.id order by l.priority desc nulls last, p.name) as rank
            from scopes s
            join worker_pools p on true
            left join scope_worker_pools l on l.worker_pool_id = p.id and l.scope_id = s.id
           where s.id = any(${scopeIds}) and ${poolServesScopeSql('s.id')}`;
}

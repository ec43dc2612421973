/**
 * The queue's order, stated once for both ways work reaches a worker: the bulk dispatch pass
 * and the worker-initiated get-next. Highest effective priority (base + adjustment) first,
 * then the oldest, then the lowest id. `alias` prefixes the columns (`r` → `r.created_at`).
 */
export function effectivePrioritySql(alias = ''): string {
  const at = alias ? `${alias}.` : '';
  return `${at}priority_base + ${at}priority_adjustment`;
}

export function queueOrderSql(alias = ''): string {
  const at = alias ? `${alias}.` : '';
  return `${effectivePrioritySql(alias)} desc, ${at}created_at, ${at}id`;
}

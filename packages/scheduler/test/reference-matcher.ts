import { parseTags, poolCapabilities, type Requirements, type WorkerPoolSpecification } from '@buildfleet/models';
import { workerTagsFromMetadata } from '../src';

/**
 * A deliberately naive matcher, for tests and benchmarks only: it checks every (request,
 * worker) pair in plain JavaScript, the way Debusine's `can_run_on` loop does, to prove the
 * bulk SQL matcher right and to measure it against.
 */
export interface RefPool {
  id: number;
  name: string;
  tags: string[];
  architectures: string[];
  instanceWide: boolean;
  enabled: boolean;
  /** scope id → link priority */
  links: Map<number, number>;
}
export interface RefWorker {
  id: number;
  poolId: number | null;
  metadata: Record<string, unknown>;
  adminTags: string[];
  concurrency: number;
  active: number;
  available: boolean;
  connectedAt: number;
}
export interface RefRequest {
  id: number;
  scopeId: number;
  priority: number;
  createdAt: number;
  requirements: Requirements;
}

function satisfies(tags: Set<string>, numeric: Record<string, number>, requirements: Requirements): boolean {
  return (
    requirements.tags.every((t) => tags.has(t) || tags.has(`${t.split(':')[0]}:*`)) &&
    Object.entries(requirements.minimums).every(([k, v]) => numeric[k] !== undefined && numeric[k]! >= v)
  );
}

function capabilities(pool: RefPool) {
  return poolCapabilities({
    tags: pool.tags,
    architectures: pool.architectures,
    specifications: { provider_type: 'dummy', features: [], boot_delay_seconds: 0, failure_rate: 0 } as WorkerPoolSpecification,
  });
}

function workerTags(worker: RefWorker, pool: RefPool | undefined) {
  const reported = workerTagsFromMetadata(worker.metadata);
  const admin = parseTags(worker.adminTags, 'tags');
  const caps = pool ? capabilities(pool) : undefined;
  return {
    tags: new Set([...reported.plain, ...admin.plain, ...(caps?.workerTags ?? [])]),
    numeric: { ...(caps?.numericTags ?? {}), ...reported.numeric, ...admin.numeric },
  };
}

export function referenceDispatch(pools: RefPool[], workers: RefWorker[], requests: RefRequest[]) {
  const poolById = new Map(pools.map((p) => [p.id, p]));
  const free = new Map(workers.filter((w) => w.available).map((w) => [w.id, w.concurrency - w.active]));
  const preferenceByScope = new Map<number, RefWorker[]>();
  const preference = (scopeId: number) => {
    if (!preferenceByScope.has(scopeId)) {
      const rank = (w: RefWorker) => {
        const pool = w.poolId === null ? undefined : poolById.get(w.poolId);
        const linked = pool?.links.get(scopeId);
        return [w.poolId === null ? 0 : 1, linked === undefined ? Infinity : -linked, pool?.name ?? '', w.connectedAt, w.id];
      };
      const ranked = workers.map((w) => ({ w, r: rank(w) }));
      ranked.sort((a, b) => {
        for (let i = 0; i < a.r.length; i++) if (a.r[i] !== b.r[i]) return a.r[i]! < b.r[i]! ? -1 : 1;
        return 0;
      });
      preferenceByScope.set(scopeId, ranked.map((x) => x.w));
    }
    return preferenceByScope.get(scopeId)!;
  };
  const ordered = [...requests].sort((a, b) => b.priority - a.priority || a.createdAt - b.createdAt || a.id - b.id);
  const assignments = new Map<number, number>();
  const unassigned: RefRequest[] = [];
  for (const request of ordered) {
    // One check per (request, worker) pair, in preference order, until one fits; like
    // Debusine's can_run_on, each check reads the worker's capabilities from its metadata.
    const chosen = preference(request.scopeId).find((w) => {
      if (!((free.get(w.id) ?? 0) > 0)) return false;
      const pool = w.poolId === null ? undefined : poolById.get(w.poolId);
      if (pool && !pool.instanceWide && !pool.links.has(request.scopeId)) return false;
      const { tags, numeric } = workerTags(w, pool);
      return satisfies(tags, numeric, request.requirements);
    });
    if (!chosen) {
      unassigned.push(request);
      continue;
    }
    free.set(chosen.id, free.get(chosen.id)! - 1);
    assignments.set(request.id, chosen.id);
  }
  return { assignments, unassigned };
}

/** Unmet demand, naively: unassigned requests by scope and requirement key, with able pools. */
export function referenceUnmetDemand(pools: RefPool[], unassigned: RefRequest[], key: (r: Requirements) => string) {
  const groups = new Map<string, { scopeId: number; ids: number[]; pools: string[] }>();
  for (const request of unassigned) {
    const id = `${request.scopeId}|${key(request.requirements)}`;
    if (!groups.has(id)) {
      const able = pools.filter((p) => {
        if (!p.instanceWide && !p.links.has(request.scopeId)) return false;
        const caps = capabilities(p);
        return satisfies(new Set(caps.capabilityTags), caps.numericTags, request.requirements);
      });
      groups.set(id, { scopeId: request.scopeId, ids: [], pools: able.map((p) => p.name).sort() });
    }
    groups.get(id)!.ids.push(request.id);
  }
  return groups;
}

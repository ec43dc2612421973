import { isOutdatedImage } from '@buildfleet/models';
import { type Decision, drain, hold, launch, terminate } from './decisions';
import { type InstanceState, type PlannedDrain, type PlannedTermination, type PoolState } from './interfaces';
import { Reason } from './reasons';

export interface RolloutPlan {
  decisions: Decision[];
  terminations: PlannedTermination[];
  /** Busy outdated instances whose replacement has connected: they take no new work, so they go idle and end. */
  drains: PlannedDrain[];
  /** Outdated instances (workers) to launch a replacement for, one launch each. */
  replacing: string[];
}

const oldestFirst = (a: InstanceState, b: InstanceState) =>
  a.instanceCreatedAt.getTime() - b.instanceCreatedAt.getTime() || a.worker.localeCompare(b.worker);

/**
 * Rolling replacement of the instances launched from another image than the pool's. Pure.
 *
 * Launch first, terminate after: each outdated instance gets a replacement of the pool's image
 * (the replacement's row remembers which instance it replaces); once the replacement has
 * connected and the outdated instance is idle, the outdated one is terminated; a busy one then
 * drains (`drain` `ImageOutdated`: dispatch gives it no new work), so it goes idle once its work
 * is done, even under a queue that would keep it busy. So the pool
 * keeps its size, and a new image whose instances never come up replaces nothing. Replacements
 * are launched for idle instances first, then busy ones (oldest first), which are terminated only
 * once their work is done; at most `max_surge` instances of the pool's image boot at a time
 * (those launched for demand count too) and launches never go above `max_active_instances`. A
 * pool at that limit has no room to launch first: there the oldest idle outdated instances go
 * before their replacement, still `max_surge` at a time.
 *
 * While the pool's launches fail (a failure since its last success, or backoff), nothing is
 * launched or terminated for the rollout, and the hold `ImageLaunchFailing` says so: the old
 * instances keep the pool working. Ephemeral and disabled pools, and pools naming no image, have
 * no rollout. `ending` are the workers this tick already terminates for other reasons.
 */
export function planRollout(pool: PoolState, now: Date, ending: ReadonlySet<string>): RolloutPlan {
  const plan: RolloutPlan = { decisions: [], terminations: [], drains: [], replacing: [] };
  const image = pool.image;
  if (pool.ephemeral || !pool.enabled || image === null) return plan;
  const live = pool.instances.filter((i) => !ending.has(i.worker));
  const outdated = live.filter((i) => i.instanceId !== null && isOutdatedImage(i.image, image));
  if (!outdated.length) return plan;

  const { consecutiveFailures, backoffUntil, lastErrorKind } = pool.health;
  if (consecutiveFailures > 0 || (backoffUntil && backoffUntil > now)) {
    plan.decisions.push(
      hold(Reason.ImageLaunchFailing, { pool: pool.name, image, failures: consecutiveFailures, lastErrorKind, pending: outdated.length }),
    );
    return plan;
  }

  const current = live.filter((i) => !isOutdatedImage(i.image, image));
  const readyFor = new Set(current.filter((i) => i.connectedAt !== null && i.replaces !== null).map((i) => i.replaces!));
  const comingFor = new Set(current.filter((i) => i.replaces !== null).map((i) => i.replaces!));
  const end = (instance: InstanceState, atLimit: boolean) => {
    plan.decisions.push(terminate(Reason.ImageOutdated, { pool: pool.name, worker: instance.worker, image: instance.image!, poolImage: image, atLimit }));
    plan.terminations.push({ pool: pool.name, worker: instance.worker, instanceId: instance.instanceId! });
  };

  const replaced = outdated.filter((i) => readyFor.has(i.worker) && i.activeRequests === 0).sort(oldestFirst);
  for (const instance of replaced) end(instance, false);
  // A busy one would be given work as soon as it finished, and never be idle under a full queue.
  for (const instance of outdated.filter((i) => readyFor.has(i.worker) && i.activeRequests > 0 && !i.drainingSince).sort(oldestFirst)) {
    plan.decisions.push(drain(Reason.ImageOutdated, { pool: pool.name, worker: instance.worker, image: instance.image!, poolImage: image }));
    plan.drains.push({ pool: pool.name, worker: instance.worker, reason: Reason.ImageOutdated });
  }

  const waiting = outdated.filter((i) => !comingFor.has(i.worker));
  const queue = [...waiting.filter((i) => i.activeRequests === 0).sort(oldestFirst), ...waiting.filter((i) => i.activeRequests > 0).sort(oldestFirst)];
  const booting = current.filter((i) => i.connectedAt === null).length;
  const slots = Math.max(0, Math.min(pool.limits.max_surge - booting, queue.length));
  const max = pool.limits.max_active_instances;
  const room = max === null ? slots : Math.max(0, max - (live.length - replaced.length));
  plan.replacing = queue.slice(0, Math.min(slots, room)).map((i) => i.worker);
  if (plan.replacing.length) {
    plan.decisions.push(launch(Reason.ImageOutdated, { pool: pool.name, count: plan.replacing.length, image, replacing: plan.replacing }));
  } else if (slots && !room) {
    for (const instance of queue.filter((i) => i.activeRequests === 0).slice(0, slots)) end(instance, true);
  }
  return plan;
}

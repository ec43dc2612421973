/**
 * @buildfleet/models: the shared vocabulary of buildfleet.
 *
 * Terms:
 * - scope: a tenant (Debusine's scope); work requests belong to one, pools serve one or all.
 * - work request: one task to run on a worker (sbuild, autopkgtest, noop, ...).
 * - worker: a debusine-worker process; static (no pool) or dynamic (in a worker pool).
 * - worker pool: a provider account plus a specification of the instances to launch, with limits.
 * - instance: the cloud machine behind a dynamic worker; `instance_created_at` set means it runs.
 * - tag: a capability name (`executor:unshare`) or numeric value (`memory_gib=16`) of a worker.
 * - requirement set: the tags and numeric minimums a work request needs of its worker.
 * - decision: what the provisioner chose to do (launch, terminate, hold) and why.
 */
export * from './capabilities';
export * from './conflicts';
export * from './database';
export { queryPrepared } from './prepared';
export * from './durations';
export * from './errors';
export * from './hetzner-server-types';
export * from './migrator';
export { migrations, type Migration } from './migrations';
export * from './models';
export * from './own';
export * from './poolImage';
export * from './secretKeys';
export * from './tags';
export * from './tokens';
export * from './validation';
export * from './worker-sessions';
export * from './schemas/common';
export * from './schemas/limits';
export * from './schemas/specifications';
export * from './schemas/accounts';
export * from './admin/accounts';
export * from './admin/images';
export * from './admin/pools';
export * from './admin/scopes';
export * from './admin/workers';
export { violatedConstraint, explainConstraints } from './admin/constraint';

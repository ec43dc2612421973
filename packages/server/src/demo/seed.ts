import {
  type Database,
  linkScopePool,
  upsertProviderAccount,
  upsertScope,
  upsertWorkerPool,
} from '@buildfleet/models';

export const DEMO_POOL = 'demo-dummy';
export const DEMO_ACCOUNT = 'demo';
export const DEMO_SCOPES = ['debian', 'kali'] as const;

/**
 * What `serve --demo` creates, idempotently: two scopes and an instance-wide `dummy` pool whose
 * instances boot in a few seconds, stay at most 8, and are reaped after 20 s idle — short
 * enough to watch the fleet grow and shrink within a minute.
 */
export async function seedDemo(db: Database, { bootDelaySeconds }: { bootDelaySeconds: number }): Promise<void> {
  for (const name of DEMO_SCOPES) await upsertScope(db, { name });
  await upsertProviderAccount(db, { name: DEMO_ACCOUNT, provider_type: 'dummy' });
  await upsertWorkerPool(db, {
    name: DEMO_POOL,
    providerAccount: DEMO_ACCOUNT,
    architectures: ['amd64'],
    tags: ['site:demo'],
    specifications: { provider_type: 'dummy', boot_delay_seconds: bootDelaySeconds },
    limits: { max_active_instances: 8, max_idle_seconds: 20 },
  });
  await linkScopePool(db, { scope: 'debian', pool: DEMO_POOL, priority: 10, limits: { target_latency_seconds: 30 } });
}

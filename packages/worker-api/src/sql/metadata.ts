import { type Database } from '@buildfleet/models';

export async function storeDynamicMetadata(db: Database, workerId: string, metadata: Record<string, unknown>): Promise<void> {
  await db.sequelize.query(
    `update workers set dynamic_metadata = $2::jsonb, dynamic_metadata_updated_at = now() where id = $1::bigint`,
    { bind: [workerId, JSON.stringify(metadata)] },
  );
}

import { type Database } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';

/** The id in every instance's `buildfleet-installation` label, created by migration 0004. */
export async function readInstallationId(db: Database): Promise<string> {
  const [row] = await db.sequelize.query<{ installation_id: string }>(`select installation_id from installation_settings`, {
    type: QueryTypes.SELECT,
  });
  if (!row) throw new Error('installation_settings is empty: run `buildfleet db migrate`');
  return row.installation_id;
}

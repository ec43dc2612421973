import { type DummyCloud, type DummyInstance } from '@buildfleet/cloud-drivers';
import { type Database } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';

interface Row {
  id: string;
  labels: Record<string, string>;
  created_at: Date;
  user_data: string;
}

const ID = /^dummy-([1-9][0-9]{0,17})$/;
const instance = (row: Row): DummyInstance => ({
  id: `dummy-${row.id}`,
  labels: row.labels,
  createdAt: row.created_at,
  userData: row.user_data,
});

/**
 * The dummy provider's pretend cloud, kept in `dummy_instances`: every process (each `serve`
 * replica, `provision --once`) sees the same instances, and ids come from one sequence.
 */
export class DatabaseDummyCloud implements DummyCloud {
  constructor(private readonly db: Database) {}

  async add(fields: Omit<DummyInstance, 'id'>): Promise<DummyInstance> {
    const [row] = await this.db.sequelize.query<Row>(
      `insert into dummy_instances (labels, created_at, user_data) values ($1::jsonb, $2::timestamptz, $3::text)
       returning id, labels, created_at, user_data`,
      { bind: [JSON.stringify(fields.labels), fields.createdAt, fields.userData], type: QueryTypes.SELECT },
    );
    return instance(row!);
  }

  async get(id: string): Promise<DummyInstance | undefined> {
    const key = ID.exec(id)?.[1];
    if (!key) return undefined;
    const [row] = await this.db.sequelize.query<Row>(
      `select id, labels, created_at, user_data from dummy_instances where id = $1::bigint`,
      { bind: [key], type: QueryTypes.SELECT },
    );
    return row ? instance(row) : undefined;
  }

  async remove(id: string): Promise<void> {
    const key = ID.exec(id)?.[1];
    if (key) await this.db.sequelize.query(`delete from dummy_instances where id = $1::bigint`, { bind: [key] });
  }

  async list(): Promise<DummyInstance[]> {
    const rows = await this.db.sequelize.query<Row>(
      `select id, labels, created_at, user_data from dummy_instances order by id`,
      { type: QueryTypes.SELECT },
    );
    return rows.map(instance);
  }
}

import { QueryTypes } from 'sequelize';
import { type Database } from '../database';
import { poolImage } from '../poolImage';
import { type WorkerPoolSpecification } from '../schemas/specifications';

/** Which images buildfleet still needs: the ones pools name, and the ones live instances run. */
export interface ImagesInUse {
  /** Pool names by the image they launch. */
  pools: Record<string, string[]>;
  /** Live instances (booting, connected or not) by the image they were launched from. */
  instances: Record<string, number>;
}

/** What `image prune` must never delete. */
export async function listImagesInUse(db: Database): Promise<ImagesInUse> {
  const pools = await db.sequelize.query<{ name: string; specifications: WorkerPoolSpecification }>(
    `select name, specifications from worker_pools order by name`,
    { type: QueryTypes.SELECT },
  );
  const instances = await db.sequelize.query<{ image_id: string; n: number }>(
    `select image_id, count(*)::int as n from workers
      where instance_created_at is not null and image_id is not null
      group by image_id`,
    { type: QueryTypes.SELECT },
  );
  const inUse: ImagesInUse = { pools: {}, instances: Object.fromEntries(instances.map((i) => [i.image_id, i.n])) };
  for (const pool of pools) {
    const image = poolImage(pool.specifications);
    if (image !== null) inUse.pools[image] = [...(inUse.pools[image] ?? []), pool.name];
  }
  return inUse;
}

import { type Database, formatTags, NotFoundError, parseTags } from '@buildfleet/models';
import { refreshWorkerTags } from './sql/refreshWorkerTags';

/** Adds admin tags to a worker (`worker tag`); returns its admin tags afterwards. */
export async function tagWorker(db: Database, name: string, tags: string[]): Promise<string[]> {
  return changeAdminTags(db, name, (current) => [...current, ...tags], tags);
}

/** Removes admin tags from a worker by name (`memory_gib` removes `memory_gib=16` too). */
export async function untagWorker(db: Database, name: string, tags: string[]): Promise<string[]> {
  parseTags(tags, 'tags', 'worker tags');
  const names = new Set(tags.map((t) => t.split('=')[0]));
  return changeAdminTags(db, name, (current) => current.filter((t) => !names.has(t.split('=')[0])), []);
}

async function changeAdminTags(
  db: Database,
  name: string,
  change: (current: string[]) => string[],
  added: string[],
): Promise<string[]> {
  parseTags(added, 'tags', 'worker tags');
  return db.sequelize.transaction(async (transaction) => {
    const worker = await db.models.Worker.findOne({ where: { name }, transaction, lock: true });
    if (!worker) throw new NotFoundError('worker', name, 'see `buildfleet worker list`');
    // Later values of a numeric tag replace earlier ones.
    const merged = new Map(change(worker.adminTags).map((t) => [t.split('=')[0]!, t]));
    const adminTags = formatTags(parseTags([...merged.values()], 'tags', 'worker tags'));
    await worker.update({ adminTags }, { transaction });
    await refreshWorkerTags(db, [worker.id], transaction);
    return adminTags;
  });
}

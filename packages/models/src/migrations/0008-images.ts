import { type Migration } from './types';

/**
 * Image lifecycle: each launch records the image it used on its worker row (`image_id`), so
 * prune keeps images that live instances run and the planner can replace outdated instances;
 * live rows of existing pools are backfilled with their pool's image. Decisions gain the kind
 * `image`: a pool moved to another image.
 */
export const images: Migration = {
  name: '0008-images',
  up: `
alter table workers add column image_id text check (length(image_id) between 1 and 255);
create index workers_live_image on workers (image_id) where instance_created_at is not null;
update workers w
   set image_id = coalesce(p.specifications #>> '{launch_templates,0,ImageId}', p.specifications ->> 'image_name')
  from worker_pools p
 where p.id = w.worker_pool_id and w.instance_created_at is not null;

alter table provisioning_decisions drop constraint provisioning_decisions_kind_check;
alter table provisioning_decisions add constraint provisioning_decisions_kind_check
  check (kind in ('launch', 'terminate', 'hold', 'error', 'reconcile', 'image'));
`,
  down: `
delete from provisioning_decisions where kind = 'image';
alter table provisioning_decisions drop constraint provisioning_decisions_kind_check;
alter table provisioning_decisions add constraint provisioning_decisions_kind_check
  check (kind in ('launch', 'terminate', 'hold', 'error', 'reconcile'));

drop index workers_live_image;
alter table workers drop column image_id;
`,
};

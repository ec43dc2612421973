import { type Migration } from './types';

/**
 * Availability becomes its own tag: a worker that reports `<what>:available` true (e.g.
 * `sbuild:available`, `signing:sign:available:uefi`) has the tag `available:<what>`
 * (`available:sbuild`, `available:signing:sign:uefi`), which the tasks that check it in
 * Debusine's `can_run_on` require; and a pool that declares no `available:` tag assumes its
 * workers have every tool their image reports (`available:*`), as for `task:` and `executor:`.
 * Both are computed when a pool is written or a worker reports its metadata; this brings
 * existing rows up to date.
 */
export const taskAvailability: Migration = {
  name: '0010-task-availability',
  up: `
update worker_pools
   set capability_tags = array(select distinct t collate "C" from unnest(capability_tags || '{available:*}'::text[]) as t order by 1)
 where not exists (select 1 from unnest(tags) as declared(tag) where declared.tag like 'available:%');

update workers w
   set tags = array(
         select distinct t collate "C" from unnest(w.tags || array(
           select 'available:' || regexp_replace(m.key, ':available(:|$)', '\\1')
             from jsonb_each(w.dynamic_metadata || w.static_metadata) as m(key, value)
            where m.value = 'true'::jsonb and m.key ~ ':available(:|$)' and m.key !~ '^executor:'
              and m.key ~ '^[A-Za-z0-9][A-Za-z0-9_.+-]*(:[A-Za-z0-9_.+-]+)*$'
         )) as t order by 1);
`,
  down: `
update worker_pools set capability_tags = array_remove(capability_tags, 'available:*');
update workers set tags = array(select t from unnest(tags) as t where t not like 'available:%' order by t collate "C");
`,
};

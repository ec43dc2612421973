import { type Migration } from './types';

/**
 * Draining: a worker the provisioner decided to retire once its work is done (its pool's
 * monthly budget is spent) gets no new work from dispatch (`draining_since` set, with the
 * decision's reason) and is terminated when idle. Decisions gain the kind `drain`: a worker
 * started or stopped draining.
 */
export const drainingWorkers: Migration = {
  name: '0016-draining-workers',
  up: `
alter table workers add column draining_since timestamptz;
alter table workers add column draining_reason text check (length(draining_reason) between 1 and 255);
alter table workers add constraint workers_draining_reason check ((draining_since is null) = (draining_reason is null));

alter table provisioning_decisions drop constraint provisioning_decisions_kind_check;
alter table provisioning_decisions add constraint provisioning_decisions_kind_check
  check (kind in ('launch', 'terminate', 'hold', 'error', 'reconcile', 'image', 'drain'));
`,
  down: `
delete from provisioning_decisions where kind = 'drain';
alter table provisioning_decisions drop constraint provisioning_decisions_kind_check;
alter table provisioning_decisions add constraint provisioning_decisions_kind_check
  check (kind in ('launch', 'terminate', 'hold', 'error', 'reconcile', 'image'));

alter table workers drop constraint workers_draining_reason;
alter table workers drop column draining_reason;
alter table workers drop column draining_since;
`,
};

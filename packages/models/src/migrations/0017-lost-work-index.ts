import { type Migration } from './types';

/**
 * The queue page lists the latest requests aborted because their worker was lost, newest
 * first; without an index that read scanned every finished request on each page view.
 */
export const lostWorkIndex: Migration = {
  name: '0017-lost-work-index',
  up: `
create index work_requests_aborted_with_error
  on work_requests (completed_at desc, id desc) where status = 'aborted' and result = 'error';
`,
  down: `
drop index work_requests_aborted_with_error;
`,
};

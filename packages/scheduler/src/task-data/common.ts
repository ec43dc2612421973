import { z } from 'zod';

/**
 * Building blocks of the task data schemas, after Debusine's task data models (pydantic, with
 * extra fields forbidden). Where pydantic would coerce (`5` into `"5"` for a string, `"yes"`
 * into `true`), these refuse: a JSON value must already have the type Debusine declares.
 */

/** A lookup of one collection item or artifact: an id or a lookup string. */
export const lookupSingle = z.union([z.number().int(), z.string()], {
  error: (issue) => (issue.input === undefined ? 'required: give an id or a lookup string' : 'must be an id or a lookup string'),
});

/**
 * A dictionary lookup. Its keys beyond `collection` follow Debusine's lookup syntax
 * (`name`, `name__startswith`, `data__KEY`, `lookup__KEY`, ...), so they are not listed.
 */
const lookupDict = z.looseObject({ collection: lookupSingle });

/** A lookup of several items: one dictionary lookup, or a list of lookups. */
export const lookupMultiple = z.union([lookupDict, z.array(z.union([lookupSingle, lookupDict]))], {
  error: (issue) =>
    issue.input === undefined ? 'required: give a lookup dictionary or a list of lookups' : 'must be a lookup dictionary or a list of lookups',
});

export const BACKENDS = ['auto', 'unshare', 'incus-lxc', 'incus-vm', 'qemu'] as const;

/** What `backend: auto` (or no backend) means, as in Debusine. */
export const DEFAULT_BACKEND = 'unshare';

export const nonNegativeInt = z.number().int('must be a whole number').min(0, 'must be 0 or more');

const url = z.string().refine((text) => URL.canParse(text), 'must be a URL such as http://deb.debian.org/debian');

/**
 * Fields every task accepts: Debusine's `task_configuration`, and buildfleet's own
 * `worker_requirements` (more requirements on the worker, parsed by the scheduler and never
 * passed on to the worker, whose models would refuse it).
 */
export const baseTaskFields = {
  task_configuration: lookupSingle.nullish(),
  worker_requirements: z.unknown().optional(),
};

/** The field buildfleet adds to Debusine's task data. */
export const BUILDFLEET_TASK_DATA_FIELDS = ['worker_requirements'] as const;

/** Fields of every task run in an executor (Debusine's `BaseTaskDataWithExecutor`). */
export const executorTaskFields = {
  ...baseTaskFields,
  backend: z.enum(BACKENDS).optional(),
  environment: lookupSingle.nullish(),
  host_architecture: z.string().nullish(),
};

const SUITE = /^(\w|[./ -])+$/;
const COMPONENT = /^(\w|-)+$/;

/** An extra APT repository (Debusine's `ExtraRepository`): a flat one (suite ending in `/`) has no components. */
const extraRepository = z
  .strictObject({
    url,
    suite: z.string().regex(SUITE, 'must match (\\w|[./ -])+, e.g. trixie'),
    components: z.array(z.string().regex(COMPONENT, 'must match (\\w|-)+, e.g. main')).nullish(),
    signing_key: z.string().nullish(),
  })
  .superRefine((repository, context) => {
    const components = repository.components ?? [];
    if (repository.suite.endsWith('/') && repository.components != null) {
      context.addIssue({ code: 'custom', path: ['components'], message: 'a flat repository (suite ending in "/") has no components' });
    } else if (!repository.suite.endsWith('/') && components.length === 0) {
      context.addIssue({ code: 'custom', path: ['components'], message: 'required: give the components, e.g. [main]' });
    }
  });

export const extraRepositoriesField = { extra_repositories: z.array(extraRepository).nullish() };

/** A date and time, as an ISO 8601 string (or a Unix time, as pydantic accepts). */
export const dateTime = z.union([z.iso.datetime({ offset: true, local: true }), z.number()], {
  error: 'must be a date and time such as 2026-01-31T12:00:00Z',
});

export { url };

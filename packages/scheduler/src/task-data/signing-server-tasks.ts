import { z } from 'zod';
import { baseTaskFields, dateTime, lookupMultiple, lookupSingle, url } from './common';

/** Task data of Debusine's Signing tasks (run by a signing worker), after its task data models. */

export const KEY_PURPOSES = ['uefi', 'openpgp'] as const;

export const SIGNING_TASK_DATA = {
  debsign: z.strictObject({ ...baseTaskFields, unsigned: lookupSingle, key: z.string() }),
  generatekey: z.strictObject({ ...baseTaskFields, purpose: z.enum(KEY_PURPOSES), description: z.string() }),
  noop: z.strictObject({ ...baseTaskFields, result: z.boolean().optional() }),
  sign: z.strictObject({ ...baseTaskFields, purpose: z.enum(KEY_PURPOSES), unsigned: lookupMultiple, key: z.string() }),
  signrepositoryindex: z.strictObject({
    ...baseTaskFields,
    suite_collection: lookupSingle,
    unsigned: lookupSingle,
    mode: z.enum(['detached', 'clear'], { error: 'must be "detached" or "clear"' }),
    signed_name: z.string().refine((name) => !name.includes('/'), 'must be a single path segment (no "/")'),
  }),
} as const;

/** Task data of Debusine's Server tasks (run by its Celery worker), after its task data models. */

const derivedCollection = {
  ...baseTaskFields,
  base_collection: lookupSingle,
  derived_collection: lookupSingle,
  child_task_data: z.record(z.string(), z.unknown()).nullish(),
  force: z.boolean().optional(),
};

export const SERVER_TASK_DATA = {
  aptmirror: z
    .strictObject({
      ...baseTaskFields,
      collection: z.string(),
      url,
      suite: z.string(),
      components: z.array(z.string()).nullish(),
      architectures: z.array(z.string()),
      signing_key: z.string().nullish(),
    })
    .refine((data) => data.suite.endsWith('/') === (data.components == null), {
      path: ['components'],
      message: 'a flat repository (suite ending in "/") has no components; any other needs them',
    }),
  cloud_provisioning: z.strictObject({ ...baseTaskFields }),
  copycollectionitems: z.strictObject({
    ...baseTaskFields,
    copies: z
      .array(
        z.strictObject({
          task_configuration: baseTaskFields.task_configuration,
          source_items: lookupMultiple,
          target_collection: lookupSingle,
          unembargo: z.boolean().optional(),
          replace: z.boolean().optional(),
          name_template: z.string().nullish(),
          variables: z.record(z.string(), z.unknown()).nullish(),
        }),
      )
      .min(1, 'give at least one copy'),
  }),
  create_experiment_workspace: z.strictObject({
    ...baseTaskFields,
    experiment_name: z.string().regex(/^[A-Za-z][A-Za-z0-9+._]*$/, 'use letters, digits and "+._", starting with a letter'),
    public: z.boolean().optional(),
    owner_group: z.string().nullish(),
    workflow_template_names: z.array(z.string()).optional(),
    expiration_delay: z.number().int('must be a whole number of days').nullish(),
  }),
  generatesuiteindexes: z.strictObject({ ...baseTaskFields, suite_collection: lookupSingle, generate_at: dateTime }),
  packageupload: z.strictObject({
    ...baseTaskFields,
    input: z.strictObject({ task_configuration: baseTaskFields.task_configuration, upload: lookupSingle }),
    target: url.refine((text) => /^s?ftp:/.test(text), 'must be an ftp:// or sftp:// URL'),
    delayed_days: z.number().int('must be a whole number of days').nullish(),
  }),
  servernoop: z.strictObject({ ...baseTaskFields, exception: z.boolean().optional(), result: z.boolean().optional() }),
  updatesuitelintiancollection: z.strictObject(derivedCollection),
} as const;

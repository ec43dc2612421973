import { z } from 'zod';
import {
  baseTaskFields,
  dateTime,
  executorTaskFields,
  extraRepositoriesField,
  lookupMultiple,
  lookupSingle,
  nonNegativeInt,
  url,
} from './common';

/**
 * Task data of Debusine's Worker tasks (run by `debusine-worker`), field by field after its
 * task data models: a request whose data the worker would refuse never enters the queue.
 */

const noop = z.strictObject({ ...baseTaskFields, result: z.boolean().optional() });

const sbuild = z
  .strictObject({
    ...executorTaskFields,
    ...extraRepositoriesField,
    input: z.strictObject({ source_artifact: lookupSingle, extra_binary_artifacts: lookupMultiple.optional() }),
    host_architecture: z.string(),
    environment: lookupSingle,
    build_components: z.array(z.enum(['any', 'all', 'source'])).optional(),
    binnmu: z
      .strictObject({
        changelog: z.string(),
        suffix: z.string(),
        timestamp: dateTime.nullish(),
        maintainer: z.string().nullish(),
      })
      .nullish(),
    build_profiles: z.array(z.string()).nullish(),
    build_dep_resolver: z.enum(['apt', 'aptitude', 'aspcud', 'xapt']).nullish(),
    aspcud_criteria: z.string().nullish(),
  })
  .refine((data) => !(data.binnmu != null && (data.build_components ?? ['any']).includes('all')), {
    path: ['build_components'],
    message: 'a binNMU cannot build architecture-independent packages: leave out "all"',
  });

const timeout = nonNegativeInt.nullish();

const autopkgtest = z.strictObject({
  ...executorTaskFields,
  ...extraRepositoriesField,
  input: z.strictObject({
    source_artifact: lookupSingle,
    binary_artifacts: lookupMultiple,
    context_artifacts: lookupMultiple.optional(),
  }),
  host_architecture: z.string(),
  environment: lookupSingle,
  include_tests: z.array(z.string()).optional(),
  exclude_tests: z.array(z.string()).optional(),
  debug_level: z.number().int('must be a whole number').min(0).max(3, 'must be from 0 to 3').optional(),
  use_packages_from_base_repository: z.boolean().optional(),
  extra_environment: z.record(z.string(), z.string()).optional(),
  needs_internet: z.enum(['run', 'try', 'skip']).optional(),
  fail_on: z
    .strictObject({ failed_test: z.boolean().optional(), flaky_test: z.boolean().optional(), skipped_test: z.boolean().optional() })
    .optional(),
  timeout: z
    .strictObject({ global: timeout, factor: timeout, short: timeout, install: timeout, test: timeout, copy: timeout })
    .nullish(),
});

const lintian = z.strictObject({
  ...executorTaskFields,
  input: z
    .strictObject({ source_artifact: lookupSingle.nullish(), binary_artifacts: lookupMultiple.optional() })
    .refine((input) => input.source_artifact != null || isNonEmptyLookup(input.binary_artifacts), {
      message: 'give source_artifact or binary_artifacts',
    }),
  output: z
    .strictObject({
      source_analysis: z.boolean().optional(),
      binary_all_analysis: z.boolean().optional(),
      binary_any_analysis: z.boolean().optional(),
    })
    .optional(),
  target_distribution: z.string().optional(),
  include_tags: z.array(z.string()).optional(),
  exclude_tags: z.array(z.string()).optional(),
  fail_on_severity: z.enum(['error', 'warning', 'info', 'pedantic', 'experimental', 'overridden', 'none']).optional(),
});

const blhc = z.strictObject({
  ...executorTaskFields,
  input: z.strictObject({ artifact: lookupSingle }),
  extra_flags: z.array(z.enum(['--all', '--bindnow', '--buildd', '--color', '--debian', '--line-numbers', '--pie'])).optional(),
});

const debdiff = z.strictObject({
  ...executorTaskFields,
  input: z
    .strictObject({
      source_artifacts: z.array(lookupSingle).length(2, 'give exactly two').nullish(),
      binary_artifacts: z.array(lookupMultiple).length(2, 'give exactly two').nullish(),
    })
    .refine((input) => (input.source_artifacts == null) !== (input.binary_artifacts == null), {
      message: 'give exactly one of source_artifacts or binary_artifacts',
    }),
  extra_flags: z
    .array(z.enum(['--dirs', '--nocontrol', '--wdiff-source-control', '--show-moved', '--diffstat', '--apply-patches', '--ignore-space']))
    .optional(),
  host_architecture: z.string(),
  environment: lookupSingle,
});

const piuparts = z.strictObject({
  ...executorTaskFields,
  ...extraRepositoriesField,
  input: z.strictObject({ binary_artifacts: lookupMultiple }),
  host_architecture: z.string(),
  base_tgz: lookupSingle,
  environment: lookupSingle,
});

/** Tasks that only run with backend `auto`. */
const autoBackendOnly = { backend: z.literal('auto', { error: 'only "auto" is accepted' }).optional() };

const extractforsigning = z.strictObject({
  ...executorTaskFields,
  ...autoBackendOnly,
  environment: lookupSingle,
  input: z.strictObject({ template_artifact: lookupSingle, binary_artifacts: lookupMultiple }),
});

const assemblesignedsource = z.strictObject({
  ...executorTaskFields,
  ...autoBackendOnly,
  environment: lookupSingle,
  template: lookupSingle,
  signed: lookupMultiple,
});

const makesourcepackageupload = z.strictObject({
  ...executorTaskFields,
  environment: lookupSingle,
  input: z.strictObject({ source_artifact: lookupSingle }),
  since_version: z.string().nullish(),
  target_distribution: z.string().nullish(),
});

const mergeuploads = z.strictObject({
  ...baseTaskFields,
  backend: executorTaskFields.backend,
  environment: lookupSingle.nullish(),
  input: z.strictObject({ uploads: lookupMultiple }),
});

const keyring = z.strictObject({
  url: url.refine(
    (text) => !text.startsWith('file:') || /^file:\/\/(\/usr\/share\/keyrings\/|\/usr\/local\/share\/keyrings\/)/.test(text),
    'a file:// keyring must be under /usr/share/keyrings/ or /usr/local/share/keyrings/',
  ),
  sha256sum: z.string().optional(),
  install: z.boolean().optional(),
});

const bootstrapRepository = z
  .strictObject({
    mirror: z.string(),
    suite: z.string(),
    types: z
      .array(z.enum(['deb', 'deb-src']))
      .min(1)
      .refine((types) => new Set(types).size === types.length, 'list each type once')
      .optional(),
    components: z
      .array(z.string())
      .refine((components) => new Set(components).size === components.length, 'list each component once')
      .nullish(),
    check_signature_with: z.enum(['system', 'external', 'no-check']).optional(),
    keyring_package: z.string().nullish(),
    keyring: keyring.nullish(),
  })
  .refine((repository) => repository.check_signature_with !== 'external' || repository.keyring != null, {
    path: ['keyring'],
    message: 'required when check_signature_with is "external"',
  });

function bootstrapOptions<V extends z.ZodType>(variant: V) {
  return z.strictObject({
    architecture: z.string(),
    variant: variant.nullish(),
    extra_packages: z.array(z.string()).optional(),
    use_signed_by: z.boolean().optional(),
  });
}

const systemBootstrapFields = {
  ...baseTaskFields,
  bootstrap_repositories: z.array(bootstrapRepository).min(1, 'give at least one repository'),
  customization_script: z.string().nullish(),
};

const MMDEBSTRAP_VARIANTS = [
  'buildd', 'minbase', '-', 'apt', 'custom', 'debootstrap', 'essential', 'extract', 'important', 'required', 'standard',
] as const;

const mmdebstrap = z.strictObject({
  ...systemBootstrapFields,
  bootstrap_options: bootstrapOptions(z.enum(MMDEBSTRAP_VARIANTS)),
});

const simplesystemimagebuild = z.strictObject({
  ...systemBootstrapFields,
  bootstrap_options: bootstrapOptions(z.enum(['buildd', 'minbase'])),
  disk_image: z.strictObject({
    format: z.enum(['raw', 'qcow2']),
    filename: z.string().optional(),
    kernel_package: z.string().nullish(),
    bootloader: z.string().nullish(),
    partitions: z
      .array(z.strictObject({ size: z.number().int('must be a whole number of GiB'), filesystem: z.string(), mountpoint: z.string().optional() }))
      .min(1, 'give at least one partition'),
  }),
});

/** Whether a multiple lookup names anything (an empty list does not). */
function isNonEmptyLookup(lookup: unknown): boolean {
  return lookup !== undefined && !(Array.isArray(lookup) && lookup.length === 0);
}

/** The task data schema of each Worker task, by Debusine's task name. */
export const WORKER_TASK_DATA = {
  assemblesignedsource,
  autopkgtest,
  blhc,
  debdiff,
  extractforsigning,
  lintian,
  makesourcepackageupload,
  mergeuploads,
  mmdebstrap,
  noop,
  piuparts,
  sbuild,
  simplesystemimagebuild,
} as const;

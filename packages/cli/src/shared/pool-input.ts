import { type WorkerPoolInput } from '@buildfleet/models';
import { readYamlFlags } from './yaml-input';

/** Parsed flags of `pool create` / `pool update` (see `poolFlags`). */
export interface PoolFlagValues {
  'provider-account'?: string;
  enabled?: boolean;
  architectures?: string[];
  tags?: string[];
  specifications?: string;
  limits?: string;
  'instance-wide'?: boolean;
  ephemeral?: boolean;
  scope?: string;
}

/** The pool fields the flags give (absent flags stay undefined), with the YAML files read. */
export async function poolInputFromFlags(flags: PoolFlagValues): Promise<Partial<WorkerPoolInput>> {
  const documents = await readYamlFlags({ specifications: flags.specifications, limits: flags.limits });
  return {
    providerAccount: flags['provider-account'],
    enabled: flags.enabled,
    architectures: flags.architectures,
    tags: flags.tags,
    specifications: documents.specifications,
    limits: documents.limits,
    instanceWide: flags['instance-wide'],
    ephemeral: flags.ephemeral,
    scope: flags.scope,
  };
}

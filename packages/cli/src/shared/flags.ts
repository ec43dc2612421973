import { Flags } from '@oclif/core';

/** A comma-separated list (`amd64,arm64`); blanks around items are dropped. */
export const commaList = Flags.custom<string[]>({
  helpValue: 'a,b',
  parse: async (input) =>
    input
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== ''),
});

/** A YAML document: a file name, or "-" for standard input. Read with `readYamlFlags`. */
export const yamlFile = Flags.custom<string>({ helpValue: 'FILE|-' });

/** `--provider-account NAME` of `pool create` (required) and `pool update`. */
export const providerAccount = Flags.custom<string>({
  helpValue: 'NAME',
  summary: 'Name of the provider account the pool launches instances with.',
});

/**
 * The other flags of `pool create` and `pool update` (Debusine's `worker_pool create`, plus
 * `--scope`). None has a default: an absent flag leaves the field as it is, or to models' default.
 */
export function poolFlags({ creating }: { creating: boolean }) {
  const onCreate = (text: string) => (creating ? ` ${text}` : '');
  return {
    enabled: Flags.boolean({
      allowNo: true,
      summary: `Let the provisioner launch instances for this pool.${onCreate('(Default: enabled)')}`,
    }),
    architectures: commaList({ summary: 'Debian architectures of the instances, comma-separated (e.g. amd64,arm64).' }),
    tags: commaList({
      summary: `Tags the pool's workers get, comma-separated; plain or numeric (memory_gib=16).${onCreate('(Default: none)')}`,
    }),
    specifications: yamlFile({ summary: "YAML specification of the instances, for the account's provider." }),
    limits: yamlFile({
      summary: `YAML limits: max_active_instances, target_max_seconds_per_month, max_idle_seconds.${onCreate('(Default: no limits, max_idle_seconds 3600)')}`,
    }),
    'instance-wide': Flags.boolean({
      allowNo: true,
      summary: `Serve every scope (linked with \`scope-pool link\`); --no-instance-wide serves only --scope.${onCreate('(Default: instance-wide)')}`,
    }),
    ephemeral: Flags.boolean({
      allowNo: true,
      summary: `Terminate each instance after one work request.${onCreate('(Default: not ephemeral)')}`,
    }),
    scope: Flags.string({ helpValue: 'NAME', summary: 'The one scope a pool that is not instance-wide serves.' }),
  };
}

/** `--limits` of a scope's link to a pool. */
export const scopeLinkLimits = yamlFile({
  summary: "YAML limits of this scope in this pool: target_max_seconds_per_month, target_latency_seconds.",
});

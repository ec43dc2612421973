import { Args, Errors, Flags } from '@oclif/core';
import { ExitCode } from './failure';

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

/** The range of PostgreSQL's `integer`, which priority columns use. */
export const INTEGER_RANGE = { min: -(2 ** 31), max: 2 ** 31 - 1 } as const;

/**
 * Longest activation token lifetime a flag accepts: 7 days, in seconds, ample for a slow boot or
 * a hand-installed worker, and within what worker-api accepts (24 days). (604800)
 */
export const MAX_TOKEN_LIFETIME_SECONDS = 7 * 86_400;

interface Bounds {
  min: number;
  max: number;
  /** Shown after the range: "seconds", "days". */
  unit?: string;
}

function describeRange({ min, max, unit }: Bounds): string {
  return `${min} to ${max}${unit ? ` ${unit}` : ''}`;
}

/** `input` as a whole number within `bounds`, or a bad-input error (exit 2) that gives the range. */
function parseBounded(input: string, bounds: Bounds): number {
  const text = input.trim();
  const value = /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < bounds.min || value > bounds.max) {
    throw new Errors.CLIError(`"${input}" is not a whole number from ${describeRange(bounds)}`, { exit: ExitCode.BadInput });
  }
  return value;
}

/**
 * A flag taking a whole number from `min` to `max`, both in its help text: `summary` gets
 * " (min to max; default …)". Anything else (a fraction, 1e12, a number past `max`) is refused
 * naming the flag and the range, and the command exits 2 before touching anything.
 */
export function boundedInteger({ summary, defaultText, ...bounds }: Bounds & { summary: string; defaultText?: string }) {
  return Flags.custom<number>({
    helpValue: 'N',
    summary: `${summary} (${describeRange(bounds)}${defaultText === undefined ? '' : `; default ${defaultText}`})`,
    parse: async (input) => parseBounded(input, bounds),
  });
}

/** The same for an argument: its range goes into its description. */
export function boundedIntegerArg({ description, ...bounds }: Bounds & { description: string }) {
  return Args.custom<number>({
    description: `${description} (${describeRange(bounds)})`,
    parse: async (input) => parseBounded(input, bounds),
  });
}

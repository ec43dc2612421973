import { launchWorkers, type ManualLaunchResult } from '@buildfleet/provisioner';
import { Args, Errors, Flags } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { ExitCode } from '../../shared/failure';
import { boundedIntegerArg } from '../../shared/flags';
import { bootstrapFlags, bootstrapOptions, eventLine } from '../../shared/provision-flags';

export type PoolLaunchResult = ManualLaunchResult;

export default class PoolLaunch extends BuildfleetCommand {
  static override summary = 'Launch instances in a worker pool now.';
  static override description =
    'Claims worker rows (reusing stopped ones), gives each a fresh activation token and launches its instance, showing each launch as it happens. Exits 1 when every launch failed, after printing its result (with --json, the same result as on success). Refuses, launching nothing, when the pool is disabled, backing off after failures, or has no room for all of them under max_active_instances or its monthly budget, unless --force. Waits for a provisioning tick in progress.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> hetzner-cx32 3 --api-url https://debusine.example.net/api',
    '<%= config.bin %> <%= command.id %> aws-spot 1 --force --json',
  ];
  static override args = {
    pool: Args.string({ description: 'Name of the pool.', required: true }),
    count: boundedIntegerArg({ min: 1, max: 1000, description: 'How many instances to launch.' })({ required: true }),
  };
  static override flags = {
    force: Flags.boolean({ summary: 'Launch even if the pool is disabled, backing off, full or over budget.' }),
    ...bootstrapFlags,
  };

  async run(): Promise<PoolLaunchResult> {
    const { args, flags } = await this.parse(PoolLaunch);
    const bootstrap = await bootstrapOptions(flags);
    if (!bootstrap) {
      throw new Errors.CLIError('--api-url: give the API URL launched workers register with (or set BUILDFLEET_API_URL)', {
        exit: ExitCode.BadInput,
      });
    }
    const result = await this.withDatabase((db) =>
      launchWorkers(db, args.pool, args.count, {
        bootstrap,
        force: flags.force,
        onEvent: (event) => {
          const line = eventLine(event);
          if (line && !this.jsonEnabled()) this.log(line);
        },
      }),
    );
    if (!this.jsonEnabled()) {
      this.log(`Launched ${result.launched.length} of ${args.count} in ${result.pool}${result.failed ? `; ${result.failed} failed` : ''}.`);
    }
    if (result.failed && !result.launched.length) this.partlyFailed(result, `every launch in ${result.pool} failed; see the decisions above`);
    return result;
  }
}

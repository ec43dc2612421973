import { setTimeout as sleep } from 'node:timers/promises';
import { tick, type TickResult } from '@buildfleet/provisioner';
import { Errors, Flags } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { ExitCode } from '../../shared/failure';
import { bootstrapFlags, bootstrapOptions, eventLine } from '../../shared/provision-flags';
import { boundedInteger } from '../../shared/flags';

export interface ProvisionResult {
  ticks: TickResult[];
}

export default class Provision extends BuildfleetCommand {
  static override summary = 'Launch and terminate instances for the pending work: one provisioning tick, or a tick every interval.';
  static override description =
    'Each tick reconciles the instances every provider account runs with the worker rows, plans from the unmet demand, pools, limits, month-to-date usage and task durations, records every decision with its reason, and then launches and terminates, showing each step as it happens. Only one tick runs at a time across processes; another one skips. --dry-run prints the decisions only: nothing is recorded, launched or terminated.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --once --dry-run',
    '<%= config.bin %> <%= command.id %> --once --api-url https://debusine.example.net/api',
    '<%= config.bin %> <%= command.id %> --loop --interval 60',
  ];
  static override flags = {
    once: Flags.boolean({ summary: 'Run one tick and exit.', exactlyOne: ['once', 'loop'] }),
    loop: Flags.boolean({ summary: 'Run a tick every --interval seconds until interrupted (SIGINT or SIGTERM).', exactlyOne: ['once', 'loop'] }),
    interval: boundedInteger({ min: 1, max: 86_400, unit: 'seconds', summary: 'Seconds between the starts of two ticks with --loop.', defaultText: '30' })({ dependsOn: ['loop'] }),
    'dry-run': Flags.boolean({ summary: 'Plan and print the decisions; record, launch and terminate nothing.' }),
    ...bootstrapFlags,
  };

  async run(): Promise<ProvisionResult> {
    const { flags } = await this.parse(Provision);
    const bootstrap = await bootstrapOptions(flags);
    if (!bootstrap && !flags['dry-run']) {
      throw new Errors.CLIError('--api-url: give the API URL launched workers register with (or set BUILDFLEET_API_URL), or use --dry-run', {
        exit: ExitCode.BadInput,
      });
    }
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      return await this.withDatabase(async (db) => {
        const ticks: TickResult[] = [];
        do {
          const started = Date.now();
          const result = await tick(db, {
            ...(bootstrap ? { bootstrap } : {}),
            dryRun: flags['dry-run'],
            onEvent: (event) => {
              const line = eventLine(event);
              if (line && !this.jsonEnabled()) this.log(line);
            },
          });
          ticks.push(result);
          if (!this.jsonEnabled() && !result.decisions.length && (result.ran || flags['dry-run'])) this.log('Nothing to do.');
          if (flags.loop && !stop.signal.aborted) {
            await sleep(Math.max(0, (flags.interval ?? 30) * 1000 - (Date.now() - started)), undefined, { signal: stop.signal }).catch(() => undefined);
          }
        } while (flags.loop && !stop.signal.aborted);
        return { ticks };
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

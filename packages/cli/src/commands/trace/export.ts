import { writeFile } from 'node:fs/promises';
import { ValidationError } from '@buildfleet/models';
import { exportTrace } from '@buildfleet/simulator';
import { Flags } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';

export interface TraceExportResult {
  jobs: number;
  since: string;
  until: string;
  /** The file written; null when the trace went to standard output. */
  output: string | null;
}

const instant = Flags.custom<Date>({
  helpValue: 'ISO-8601',
  parse: async (input) => {
    const at = /^\d{4}-\d{2}-\d{2}/.test(input) ? new Date(input) : new Date(Number.NaN);
    if (Number.isNaN(at.getTime())) throw ValidationError.single('instant', 'instant', `"${input}" is not a date such as 2026-03-01 or 2026-03-01T00:00:00Z`);
    return at;
  },
});

export default class TraceExport extends BuildfleetCommand {
  static override summary = "Write buildfleet's completed work as a trace that `buildfleet simulate --trace` replays.";
  static override examples = [
    '<%= config.bin %> <%= command.id %> --since 2026-03-01 > march.jsonl',
    '<%= config.bin %> <%= command.id %> --since 2026-03-01 --until 2026-04-01 --output march.jsonl --json',
  ];
  static override flags = {
    since: instant({ required: true, summary: 'Work requests created from this instant on (it becomes the trace start).' }),
    until: instant({ summary: 'Work requests created before this instant. (Default: now)' }),
    output: Flags.string({ helpValue: 'FILE', summary: 'Write the trace to FILE. (Default: standard output)' }),
  };

  async run(): Promise<TraceExportResult> {
    const { flags } = await this.parse(TraceExport);
    const until = flags.until ?? new Date();
    if (until <= flags.since) throw ValidationError.single('--until', '--until', 'must be after --since');
    if (this.jsonEnabled() && flags.output === undefined) {
      throw ValidationError.single('--output', '--output', 'with --json the result goes to standard output: give --output FILE for the trace');
    }
    const { trace, jobs } = await this.withDatabase((db) => exportTrace(db, { since: flags.since, until }));
    if (flags.output === undefined) process.stdout.write(trace);
    else {
      try {
        await writeFile(flags.output, trace);
      } catch (error) {
        throw ValidationError.single('--output', '--output', `cannot write ${flags.output}: ${(error as Error).message}`);
      }
      if (!this.jsonEnabled()) this.log(`wrote ${jobs} jobs to ${flags.output}`);
    }
    return { jobs, since: flags.since.toISOString(), until: until.toISOString(), output: flags.output ?? null };
  }
}

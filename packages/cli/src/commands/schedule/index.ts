import { runDispatchPass } from '@buildfleet/scheduler';
import { Flags } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { renderTable } from '../../shared/format';

export interface ScheduleResult {
  assignments: { workRequestId: string; workerId: string; workerName: string }[];
  /** How many pending requests no free worker can take now. */
  unassigned: number;
}

export default class Schedule extends BuildfleetCommand {
  static override summary = 'Assign pending work requests to free workers that meet their requirements.';
  static override description =
    'Runs one dispatch pass: every pending, unassigned request goes, highest priority first, to a connected worker with a free slot whose tags meet its requirements. Safe to run from several processes at once. Only --once exists for now; run it from a timer to schedule continuously.';
  static override examples = ['<%= config.bin %> <%= command.id %> --once', '<%= config.bin %> <%= command.id %> --once --json'];
  static override flags = {
    once: Flags.boolean({ summary: 'Run one dispatch pass and exit.', required: true }),
  };

  async run(): Promise<ScheduleResult> {
    await this.parse(Schedule);
    const pass = await this.withDatabase((db) => runDispatchPass(db));
    const result: ScheduleResult = { assignments: pass.assignments, unassigned: pass.unassigned };
    if (!this.jsonEnabled()) {
      this.log(
        renderTable(
          ['Work request', 'Worker'],
          result.assignments.map((a) => [a.workRequestId, a.workerName]),
          'Assigned no work requests.',
        ),
      );
      if (result.unassigned) {
        this.log(
          `\n${result.unassigned} pending work request(s) stay unassigned: no free worker can take them now (see \`${this.config.bin} schedule demand\`).`,
        );
      }
    }
    return result;
  }
}

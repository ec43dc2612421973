import { createWorkRequest, type WorkRequestView } from '@buildfleet/scheduler';
import { Flags } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { boundedInteger, INTEGER_RANGE, yamlFile } from '../../shared/flags';
import { workRequestDetails } from '../../shared/format';
import { namingFlags, workRequestInputFromFlags } from '../../shared/work-request-input';

export type WorkRequestCreateResult = WorkRequestView;

export default class WorkRequestCreate extends BuildfleetCommand {
  static override summary = 'Queue a work request for the scheduler.';
  static override description = `The task is one of Debusine's Worker, Signing or Server tasks (an unknown name is refused, naming the known ones), and its data must be what Debusine's task data model for it accepts: the fields it defines, with their types, plus buildfleet's "worker_requirements".

The requirements a worker must meet come from the task type and name (an sbuild needs task:sbuild, its host architecture and its executor, e.g. executor:unshare), from "worker_requirements" in the task data, and from each --requirement. A requirement is a tag (site:paris) or a minimum (memory_gib>=16) from 0 to 1000000000.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> --task noop --scope debian',
    '<%= config.bin %> <%= command.id %> --task sbuild --scope debian --data sbuild.yaml --requirement memory_gib>=16 --requirement site:paris --priority 10',
    'echo "{bootstrap_options: {architecture: arm64}, bootstrap_repositories: [{mirror: http://deb.debian.org/debian, suite: trixie, components: [main]}]}" | <%= config.bin %> <%= command.id %> --task mmdebstrap --scope debian --data -',
  ];
  static override flags = {
    task: Flags.string({ helpValue: 'NAME', summary: 'Name of the task (sbuild, autopkgtest, noop, ...).', required: true }),
    'task-type': Flags.option({ options: ['Worker', 'Server', 'Signing'] as const })({
      summary: 'Which kind of worker runs it. (Default: Worker)',
    }),
    data: yamlFile({ summary: 'Task data as YAML: a file, or "-" for standard input. (Default: {})' }),
    requirement: Flags.string({
      helpValue: 'R',
      multiple: true,
      summary: 'A requirement on the worker, e.g. memory_gib>=16 (a minimum from 0 to 1000000000) or site:paris; repeat for more. (Default: none)',
    }),
    scope: Flags.string({ helpValue: 'NAME', summary: 'The scope the work belongs to.', required: true }),
    priority: boundedInteger({ ...INTEGER_RANGE, summary: 'Base priority; higher runs first.', defaultText: '0' })(),
    'priority-adjustment': boundedInteger({ ...INTEGER_RANGE, summary: 'Added to the base priority.', defaultText: '0' })(),
  };

  async run(): Promise<WorkRequestCreateResult> {
    const { flags } = await this.parse(WorkRequestCreate);
    const input = await workRequestInputFromFlags(flags);
    const request = await namingFlags(() => this.withDatabase((db) => createWorkRequest(db, input)));
    if (!this.jsonEnabled()) {
      this.log(`Created work request ${request.id}.\n`);
      this.log(workRequestDetails(request));
    }
    return request;
  }
}

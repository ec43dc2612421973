import { activateStaticWorker } from '@buildfleet/worker-api';
import { Args, Flags } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';

export interface WorkerActivateResult {
  worker: string;
  /** Shown this once: put it in the worker's /etc/debusine/worker/activation-token (mode 0600) and remove its token file. */
  activationToken: string;
  expiresInSeconds: number;
}

export default class WorkerActivate extends BuildfleetCommand {
  static override summary = 'Give an existing static worker a new single-use activation token.';
  static override description =
    "For a reinstalled machine or a lost token: the worker's current token is disabled (its session closes and its running work is retried) and any older activation token revoked. Write the new one to /etc/debusine/worker/activation-token on the machine, remove /etc/debusine/worker/token, and restart debusine-worker: it registers again under the same name. Pool workers get theirs from their pool (exit 1).";
  static override examples = ['<%= config.bin %> <%= command.id %> builder1-example-org'];
  static override args = { name: Args.string({ description: 'Name of the worker.', required: true }) };
  static override flags = {
    'token-lifetime': Flags.integer({ summary: 'Seconds the activation token stays valid.', default: 3600, min: 60 }),
  };

  async run(): Promise<WorkerActivateResult> {
    const { args, flags } = await this.parse(WorkerActivate);
    const { worker, activationKey } = await this.withDatabase((db) =>
      activateStaticWorker(db, args.name, { activationTokenLifetimeMs: flags['token-lifetime'] * 1000 }),
    );
    if (!this.jsonEnabled()) {
      this.log(`New activation token for worker "${worker.name}", shown only now:`);
      this.log(activationKey);
    }
    return { worker: worker.name, activationToken: activationKey, expiresInSeconds: flags['token-lifetime'] };
  }
}

import { createStaticWorker } from '@buildfleet/worker-api';
import { Args } from '@oclif/core';
import { BuildfleetCommand } from '../../shared/base-command';
import { boundedInteger, MAX_TOKEN_LIFETIME_SECONDS } from '../../shared/flags';

export interface WorkerCreateResult {
  worker: string;
  /** Shown this once: put it in the worker's /etc/debusine/worker/activation-token (mode 0600). */
  activationToken: string;
  expiresInSeconds: number;
}

export default class WorkerCreate extends BuildfleetCommand {
  static override summary = 'Register a static worker by its host name and print its single-use activation token.';
  static override description =
    'The token is printed once and stored only as a hash. Write it to /etc/debusine/worker/activation-token (mode 0600, owned by debusine-worker) on the worker; it registers with it, and the token is then spent.';
  static override examples = ['<%= config.bin %> <%= command.id %> builder1.example.org'];
  static override args = {
    fqdn: Args.string({ description: 'Host name of the worker machine.', required: true }),
  };
  static override flags = {
    'token-lifetime': boundedInteger({
      min: 60,
      max: MAX_TOKEN_LIFETIME_SECONDS,
      unit: 'seconds',
      summary: 'Seconds the activation token stays valid.',
      defaultText: '3600',
    })({ default: 3600 }),
  };

  async run(): Promise<WorkerCreateResult> {
    const { args, flags } = await this.parse(WorkerCreate);
    const { worker, activationKey } = await this.withDatabase((db) =>
      createStaticWorker(db, args.fqdn, { activationTokenLifetimeMs: flags['token-lifetime'] * 1000 }),
    );
    if (!this.jsonEnabled()) {
      this.log(`Created worker "${worker.name}". Its activation token, shown only now:`);
      this.log(activationKey);
    }
    return { worker: worker.name, activationToken: activationKey, expiresInSeconds: flags['token-lifetime'] };
  }
}

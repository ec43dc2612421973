import { closeOnSignals, humanLogStream, startDemo, startServer, STATUS_PATH } from '@buildfleet/server';
import { DEFAULT_MAX_WORKER_REQUESTS, DEFAULT_SELF_REGISTRATION } from '@buildfleet/worker-api';
import { Flags } from '@oclif/core';
import pino from 'pino';
import { BuildfleetCommand } from '../shared/base-command';
import { boundedInteger } from '../shared/flags';

export interface ServeResult {
  url: string;
  statusUrl: string;
  apiUrl: string;
  stoppedAt: string;
}

export default class Serve extends BuildfleetCommand {
  static override summary = 'Run buildfleet: the status UI, the worker API, and the scheduling and provisioning loops.';
  static override description =
    'Serves the status UI under /-/status and Debusine\'s worker API under /api, runs a dispatch pass every few seconds and a provisioning tick on its interval, and stops cleanly on SIGINT or SIGTERM, finishing the ticks in flight. Without DATABASE_URL it runs on the embedded PostgreSQL. --demo seeds a dummy pool and a stream of synthetic work, so that the fleet grows and shrinks in the browser within a minute.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --demo',
    '<%= config.bin %> <%= command.id %> --host 0.0.0.0 --port 8080 --api-url https://fleet.example.org/api',
  ];
  static override flags = {
    host: Flags.string({ summary: 'Address to listen on.', default: '127.0.0.1' }),
    port: boundedInteger({ min: 0, max: 65535, summary: 'Port to listen on (0 picks a free one).', defaultText: '8080' })({ default: 8080 }),
    'api-url': Flags.string({ summary: 'API URL launched workers are given, when they reach this server by another name.' }),
    demo: Flags.boolean({ summary: 'Seed a dummy pool and synthetic work, and play the dummy instances\' workers.' }),
    'schedule-interval': boundedInteger({ min: 1, max: 86_400, unit: 'seconds', summary: 'Seconds between dispatch passes.', defaultText: '2' })({ default: 2 }),
    'provision-interval': boundedInteger({ min: 1, max: 86_400, unit: 'seconds', summary: 'Seconds between provisioning ticks.', defaultText: '30' })({ default: 30 }),
    'self-registration': Flags.boolean({
      summary: 'Let workers without an activation token register as static workers an admin must enable.',
      description:
        `Rate-limited to ${DEFAULT_SELF_REGISTRATION.perAddressPerHour} registrations an hour per client address, and refused while ${DEFAULT_SELF_REGISTRATION.maxPendingWorkers} such workers wait to be enabled. --no-self-registration refuses them all: workers then need an activation key from \`worker create\`.`,
      default: true,
      allowNo: true,
    }),
    'session-lease': boundedInteger({
      min: 3,
      max: 3600,
      unit: 'seconds',
      summary: 'Seconds a worker session counts as connected without a renewal; a replica that dies loses its workers within it.',
      defaultText: '30',
    })({ default: 30 }),
    'lost-work-seconds': boundedInteger({
      min: 1,
      max: 86_400,
      unit: 'seconds',
      summary: 'Seconds a worker may stay disconnected with work running before that work is aborted and retried.',
      defaultText: '600',
    })({ default: 600 }),
    'max-worker-requests': boundedInteger({
      min: 1,
      max: 1000,
      summary: 'Worker registrations, metadata reports and get-next calls worked on at once (completions always pass).',
      defaultText: String(DEFAULT_MAX_WORKER_REQUESTS),
    })({ default: DEFAULT_MAX_WORKER_REQUESTS }),
    private: Flags.boolean({ summary: 'Require sign-in (a user token, or the trusted proxy\'s header) for every status page.' }),
    'trusted-user-header': Flags.string({
      helpValue: 'NAME',
      summary: 'Header naming the signed-in user, set by an SSO proxy; believed only from a --trusted-proxy address.',
    }),
    'trusted-proxy': Flags.string({
      helpValue: 'ADDRESS',
      multiple: true,
      summary: 'Address of the proxy whose --trusted-user-header is believed (e.g. 127.0.0.1); repeat for more.',
    }),
    'log-level': Flags.option({ options: ['debug', 'info', 'warn', 'error'] as const, default: 'info' })(),
  };

  async run(): Promise<ServeResult> {
    const { flags } = await this.parse(Serve);
    if (flags['trusted-user-header'] && !flags['trusted-proxy']?.length) {
      this.error('--trusted-user-header needs --trusted-proxy: the header is believed only from the proxy that sets it', { exit: 2 });
    }
    const logger = this.jsonEnabled()
      ? pino({ name: 'buildfleet', level: flags['log-level'] }, process.stderr)
      : pino({ name: 'buildfleet', level: flags['log-level'] }, humanLogStream(process.stdout));
    const running = await startServer({
      host: flags.host,
      port: flags.port,
      ...(flags['api-url'] ? { apiUrl: flags['api-url'] } : {}),
      scheduleIntervalMs: flags['schedule-interval'] * 1000,
      sessionLeaseMs: flags['session-lease'] * 1000,
      lostWorkSeconds: flags['lost-work-seconds'],
      maxWorkerRequests: flags['max-worker-requests'],
      signIn: { private: flags.private, trustedUserHeader: flags['trusted-user-header'], trustedProxies: flags['trusted-proxy'] ?? [] },
      provisionIntervalMs: (flags.demo ? Math.min(flags['provision-interval'], 3) : flags['provision-interval']) * 1000,
      logger,
      ...(flags['self-registration'] ? {} : { selfRegistration: false as const }),
      ...(flags.demo
        ? {
            onListening: async (context) => {
              const demo = await startDemo(context);
              return () => demo.stop();
            },
          }
        : {}),
    });
    const statusUrl = `${running.url}${STATUS_PATH}/workers/`;
    if (!this.jsonEnabled()) this.log(`buildfleet is serving. Open ${statusUrl} (Ctrl-C stops it).`);
    await closeOnSignals(running);
    return { url: running.url, statusUrl, apiUrl: running.apiUrl, stoppedAt: new Date().toISOString() };
  }
}

import { readFile } from 'node:fs/promises';
import { type BootstrapOptions, type Decision, type TickEvent } from '@buildfleet/provisioner';
import { Flags } from '@oclif/core';
import { boundedInteger, MAX_TOKEN_LIFETIME_SECONDS } from './flags';

/** Flags of every command that launches instances: what a launched worker is told at boot. */
export const bootstrapFlags = {
  'api-url': Flags.string({
    helpValue: 'URL',
    env: 'BUILDFLEET_API_URL',
    summary: 'API URL launched workers register with, e.g. https://debusine.example.net/api (env: BUILDFLEET_API_URL).',
  }),
  'token-lifetime': boundedInteger({
    min: 60,
    max: MAX_TOKEN_LIFETIME_SECONDS,
    unit: 'seconds',
    summary: "Lifetime of each launch's activation token.",
    defaultText: '3600',
  })(),
  'daily-builds-source': Flags.string({
    helpValue: 'FILE',
    summary: 'deb822 source of the daily build repository, for pools installing from daily-builds ("Suites: $RELEASE" allowed).',
  }),
};

export async function bootstrapOptions(flags: {
  'api-url'?: string;
  'token-lifetime'?: number;
  'daily-builds-source'?: string;
}): Promise<BootstrapOptions | undefined> {
  if (!flags['api-url']) return undefined;
  return {
    apiUrl: flags['api-url'],
    ...(flags['token-lifetime'] !== undefined ? { activationTokenLifetimeSeconds: flags['token-lifetime'] } : {}),
    ...(flags['daily-builds-source'] ? { dailyBuildsSource: await readFile(flags['daily-builds-source'], 'utf8') } : {}),
  };
}

export function decisionLine(decision: Decision): string {
  return `${decision.kind.padEnd(9)} ${decision.reason.padEnd(20)} ${decision.message}`;
}

/** One line per event worth showing while work runs; null for the rest. Never a secret. */
export function eventLine(event: TickEvent): string | null {
  switch (event.type) {
    case 'skipped':
      return event.message;
    case 'decision':
      return decisionLine(event.decision);
    case 'terminated':
      return `terminated ${event.worker} in ${event.pool}`;
    case 'launch': {
      const p = event.progress;
      if (p.type === 'launched') return `launched ${p.workerName} in ${event.pool} (instance ${p.instanceId})`;
      if (p.type === 'adopted') return `adopted ${p.instanceId} for ${p.workerName} in ${event.pool}`;
      if (p.type === 'failed') return `launch of ${p.workerName} in ${event.pool} failed (${p.error.kind}): ${p.error.message}`;
      if (p.type === 'retrying') return `retrying ${p.workerName} in ${event.pool} in ${p.delayMs} ms (${p.error.kind})`;
      return null;
    }
  }
}

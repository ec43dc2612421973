import { Random } from './random';
import { formatTrace, type TraceJob } from './trace';

export interface GeneratedTask {
  scope: string;
  task: string;
  requirements: string[];
  /** Relative share of the jobs. */
  weight: number;
  /** Median run time; run times are log-normal around it, so a few jobs run far longer. */
  medianSeconds: number;
  /** Log-normal shape: 0.5 is tight, 1.2 long-tailed. */
  sigma: number;
  priority?: number;
}

export interface GeneratorOptions {
  seed: number;
  /** ISO 8601 instant the trace starts at (midnight UTC reads best). */
  start: string;
  days: number;
  /** Jobs per day on average, bursts excluded. */
  jobsPerDay: number;
  tasks: GeneratedTask[];
  /** Bursts per week: many jobs of one kind submitted within ten minutes (a rebuild). (Default: 1) */
  burstsPerWeek?: number;
  /** Jobs in each burst. (Default: 200) */
  burstSize?: number;
}

/**
 * Relative arrival rate by hour of day (UTC): quiet nights, a working-day peak with a dip at
 * lunch, an evening tail. Averages 1.
 */
const HOURLY = [0.25, 0.2, 0.2, 0.2, 0.25, 0.35, 0.6, 1.0, 1.6, 1.9, 2.0, 1.8, 1.3, 1.7, 2.0, 1.9, 1.7, 1.4, 1.1, 0.9, 0.7, 0.55, 0.45, 0.35];
const HOURLY_MEAN = HOURLY.reduce((a, b) => a + b, 0) / 24;
/** Relative rate by day of week, Sunday first: weekdays several times the weekend. Averages 1. */
const WEEKLY = [0.35, 1.2, 1.25, 1.25, 1.2, 1.1, 0.45];
const WEEKLY_MEAN = WEEKLY.reduce((a, b) => a + b, 0) / 7;
const PEAK = Math.max(...HOURLY) / HOURLY_MEAN * (Math.max(...WEEKLY) / WEEKLY_MEAN);

function rate(startMs: number, at: number): number {
  const when = new Date(startMs + at * 1000);
  return (HOURLY[when.getUTCHours()]! / HOURLY_MEAN) * (WEEKLY[when.getUTCDay()]! / WEEKLY_MEAN);
}

/**
 * A synthetic trace: a non-homogeneous Poisson process (thinning) following the daily and
 * weekly curves, bursts at random instants, log-normal run times. The same options give the
 * same bytes.
 */
export function generateTrace(options: GeneratorOptions): string {
  const random = new Random(options.seed);
  const startMs = Date.parse(options.start);
  const horizon = options.days * 86400;
  const weights = options.tasks.map((t) => t.weight);
  const jobs: Omit<TraceJob, 'id'>[] = [];
  const job = (at: number, kind: GeneratedTask): Omit<TraceJob, 'id'> => ({
    type: 'job',
    at: Math.floor(at),
    scope: kind.scope,
    task: kind.task,
    requirements: kind.requirements,
    priority: kind.priority ?? 0,
    duration: Math.max(1, Math.round(random.lognormal(kind.medianSeconds, kind.sigma))),
    outcome: random.next() < 0.05 ? 'failure' : 'success',
  });

  const peakPerSecond = (options.jobsPerDay / 86400) * PEAK;
  for (let at = random.exponential(1 / peakPerSecond); at < horizon; at += random.exponential(1 / peakPerSecond)) {
    if (random.next() * PEAK < rate(startMs, at)) jobs.push(job(at, random.pick(options.tasks, weights)));
  }
  const bursts = Math.round(((options.burstsPerWeek ?? 1) * options.days) / 7);
  for (let b = 0; b < bursts; b++) {
    const at = random.next() * horizon;
    const kind = random.pick(options.tasks, weights);
    for (let i = 0; i < (options.burstSize ?? 200); i++) {
      const when = at + random.next() * 600;
      if (when < horizon) jobs.push(job(when, kind));
    }
  }
  jobs.sort((a, b) => a.at - b.at);
  return formatTrace({
    meta: { type: 'meta', version: 1, source: 'synthetic:diurnal', start: new Date(startMs).toISOString(), days: options.days, seed: options.seed },
    jobs: jobs.map((j, i) => ({ ...j, id: `j${i + 1}` }) as TraceJob),
    faults: [],
  });
}

/** The generator's default workload: a month of Debian-like builds in two scopes. */
export function defaultGeneratorOptions(overrides: Partial<GeneratorOptions> = {}): GeneratorOptions {
  return {
    seed: 42,
    start: '2026-03-01T00:00:00.000Z',
    days: 30,
    jobsPerDay: 180,
    burstsPerWeek: 1,
    burstSize: 150,
    tasks: [
      { scope: 'debian', task: 'sbuild', requirements: ['arch:amd64'], weight: 6, medianSeconds: 420, sigma: 1.0 },
      { scope: 'debian', task: 'lintian', requirements: ['arch:amd64'], weight: 2, medianSeconds: 90, sigma: 0.6 },
      { scope: 'debian', task: 'autopkgtest', requirements: ['arch:amd64'], weight: 2, medianSeconds: 600, sigma: 1.1 },
      { scope: 'ubuntu', task: 'sbuild', requirements: ['arch:arm64'], weight: 1, medianSeconds: 600, sigma: 1.0, priority: 1 },
    ],
    ...overrides,
  };
}

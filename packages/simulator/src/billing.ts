import { startOfMonth } from '@buildfleet/provisioner';

/** How a provider bills an instance: EC2 per second with a 60 s minimum; Hetzner per started hour, capped at the monthly price. */
export type BillingModel = 'aws' | 'hetzner';

export interface Price {
  /** Price of one hour. */
  hourly: number;
  /** Hetzner: the most one server costs in a calendar month. (Default: 672 hours' price, Hetzner's usual ratio) */
  monthlyCap?: number | null;
}

const HOURS_PER_MONTH_CAP = 672;

/**
 * What one instance costs from `start` to `end` (epoch ms) and the seconds billed for it. EC2
 * bills each run per second, at least 60 s. Hetzner bills each started hour, and in each UTC
 * calendar month no more than the monthly price.
 */
export function bill(model: BillingModel, price: Price, start: number, end: number): { billedSeconds: number; cost: number } {
  const seconds = Math.max(0, (end - start) / 1000);
  if (model === 'aws') {
    const billedSeconds = Math.max(60, Math.ceil(seconds));
    return { billedSeconds, cost: (billedSeconds * price.hourly) / 3600 };
  }
  const cap = price.monthlyCap ?? price.hourly * HOURS_PER_MONTH_CAP;
  let billedSeconds = 0;
  let cost = 0;
  let from = start;
  do {
    const monthEnd = nextMonth(from);
    const to = Math.min(end, monthEnd);
    const hours = Math.max(1, Math.ceil((to - from) / 3_600_000));
    billedSeconds += hours * 3600;
    cost += Math.min(hours * price.hourly, cap);
    from = to;
  } while (from < end);
  return { billedSeconds, cost };
}

function nextMonth(at: number): number {
  const month = startOfMonth(new Date(at));
  return Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 1);
}

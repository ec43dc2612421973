import { bill } from '../src';

const at = (iso: string) => Date.parse(iso);

describe('billing', () => {
  it('bills EC2 per second with a 60 second minimum', () => {
    expect(bill('aws', { hourly: 3.6 }, 0, 10_000)).toEqual({ billedSeconds: 60, cost: 0.06 });
    const longer = bill('aws', { hourly: 3.6 }, 0, 90_500);
    expect(longer.billedSeconds).toBe(91);
    expect(longer.cost).toBeCloseTo(0.091);
  });

  it('bills Hetzner per started hour', () => {
    expect(bill('hetzner', { hourly: 0.01, monthlyCap: 5 }, 0, 60_000)).toEqual({ billedSeconds: 3600, cost: 0.01 });
    expect(bill('hetzner', { hourly: 0.01, monthlyCap: 5 }, 0, 3_601_000)).toEqual({ billedSeconds: 7200, cost: 0.02 });
  });

  it('caps a Hetzner server at its monthly price in each calendar month', () => {
    const march = bill('hetzner', { hourly: 0.01, monthlyCap: 5 }, at('2026-03-01T00:00:00Z'), at('2026-04-01T00:00:00Z'));
    expect(march.cost).toBe(5);
    const twoMonths = bill('hetzner', { hourly: 0.01, monthlyCap: 5 }, at('2026-03-01T00:00:00Z'), at('2026-04-01T02:00:00Z'));
    expect(twoMonths.cost).toBeCloseTo(5.02);
  });
});

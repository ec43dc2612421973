import { cheapestAtWait, defaultGeneratorOptions, defaultScenario, generateTrace, parseTrace, sweep, type SweepPoint } from '../src';

const point = (cost: number, p95Wait: number): SweepPoint => ({ policy: 'taskscaler', settings: {}, cost, p95Wait, budgetOvershootPct: 0 });

describe('sweeping a policy', () => {
  it('gives one point per setting, and more idle capacity buys less waiting for more money', () => {
    const trace = parseTrace(generateTrace(defaultGeneratorOptions({ days: 2, jobsPerDay: 100, burstsPerWeek: 0 })));
    const points = sweep(trace, defaultScenario(), ['taskscaler']);
    expect(points).toHaveLength(30);
    const at = (idle_count: number, idle_time: number) =>
      points.find((p) => p.settings.idle_count === idle_count && p.settings.scale_factor === 0 && p.settings.idle_time === idle_time)!;
    expect(at(8, 1800).cost).toBeGreaterThan(at(0, 300).cost);
    expect(at(8, 1800).p95Wait).toBeLessThan(at(0, 300).p95Wait);
  });

  it('compares at equal waiting: the cheapest setting that waits no longer, else the one that waits least', () => {
    const curve = [point(10, 900), point(20, 300), point(40, 60)];
    expect(cheapestAtWait(curve, 400)).toEqual(point(20, 300));
    expect(cheapestAtWait(curve, 1000)).toEqual(point(10, 900));
    expect(cheapestAtWait(curve, 10)).toEqual(point(40, 60));
  });
});

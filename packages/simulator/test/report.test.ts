import { htmlReport, measure, parseTrace, generateTrace, defaultGeneratorOptions, defaultScenario, simulate, buildfleetPolicy, svgChart } from '../src';

describe('the HTML report', () => {
  it('is one self-contained page: figures and SVG charts of queue, fleet by pool and cost, no script or outside file', () => {
    const scenario = defaultScenario();
    const run = simulate(parseTrace(generateTrace(defaultGeneratorOptions({ days: 2, jobsPerDay: 80 }))), scenario, buildfleetPolicy());
    const page = htmlReport(run, measure(run, scenario));
    expect(page.match(/<svg /g)).toHaveLength(3);
    for (const title of ['Pending jobs', 'Live instances by pool', 'Cost so far']) expect(page).toContain(title);
    for (const pool of ['hetzner-cx32', 'aws-c6i', 'aws-c7g']) expect(page).toContain(`>${pool}</text>`);
    expect(page).not.toMatch(/<script|src=|href=/);
  });

  it('draws each series inside the chart, highest value at the top', () => {
    const svg = svgChart('t', [{ name: 'a', points: [[0, 0], [10, 5], [20, 10]] }]);
    const path = /<path d="([^"]+)"/.exec(svg)![1]!;
    const ys = [...path.matchAll(/[ML][\d.]+,([\d.]+)/g)].map((m) => Number(m[1]));
    expect(ys[0]).toBeGreaterThan(ys[1]!);
    expect(ys[1]).toBeGreaterThan(ys[2]!);
    expect(Math.min(...ys)).toBeGreaterThanOrEqual(0);
  });
});

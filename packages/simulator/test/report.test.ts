import { htmlReport, measure, parseTrace, generateTrace, defaultGeneratorOptions, defaultScenario, simulate, buildfleetPolicy } from '../src';

describe('the HTML report', () => {
  it('is one self-contained page: figures and SVG charts of queue, fleet by pool and cost, no script or outside file', () => {
    const scenario = defaultScenario();
    const run = simulate(parseTrace(generateTrace(defaultGeneratorOptions({ days: 2, jobsPerDay: 80 }))), scenario, buildfleetPolicy());
    const page = htmlReport(run, measure(run, scenario));
    expect(page.match(/<svg /g)).toHaveLength(3);
    for (const title of ['Pending jobs', 'Live instances by pool', 'Cost so far']) expect(page).toContain(title);
    for (const pool of ['hetzner-cx32', 'aws-c6i', 'aws-c7g']) expect(page).toContain(`>${pool}</text>`);
    expect(page).toMatch(/>\d{4}-\d\d-\d\d \d\d:\d\d UTC<\/text>/);
    expect(page).not.toMatch(/<script|src=|href=/);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { plan, renderPlanMarkdown } from '../src';

it('README shows the plan the code makes for the defaults (npm run readme regenerates it)', () => {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const section = /<!-- plan:defaults:start -->\n([\s\S]*)<!-- plan:defaults:end -->/.exec(readme)?.[1];
  expect(section).toBe(renderPlanMarkdown(plan({})));
});

// Regenerates the default plan section of README.md from the built package (npm run readme).
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { plan, renderPlanMarkdown } = require('../dist');

const readme = join(__dirname, '..', 'README.md');
const START = '<!-- plan:defaults:start -->';
const END = '<!-- plan:defaults:end -->';
const text = readFileSync(readme, 'utf8');
const start = text.indexOf(START);
const end = text.indexOf(END);
if (start === -1 || end === -1) throw new Error(`README.md needs the ${START} and ${END} markers`);
writeFileSync(readme, `${text.slice(0, start + START.length)}\n${renderPlanMarkdown(plan({}))}${text.slice(end)}`);

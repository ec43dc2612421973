import { normalizeBasePath } from '../src';
import { joinSorted, relativeTime, toYaml } from '../src/format';
import { linkTo } from '../src/listing';

const NOW = new Date('2026-03-10T12:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();

describe('relativeTime', () => {
  it.each([
    [10, 'just now'],
    [-10, 'just now'],
    [60, '1 min ago'],
    [3 * 60 + 20, '3 min ago'],
    [44 * 60, '44 min ago'],
    [50 * 60, '1 h ago'],
    [5 * 3600, '5 h ago'],
    [2 * 86400, '2 days ago'],
    [86400 * 1.4, '34 h ago'],
    [90 * 86400, '3 months ago'],
    [800 * 86400, '2 years ago'],
    [-4 * 60, 'in 4 min'],
  ])('writes %i seconds ago as "%s"', (seconds, text) => {
    expect(relativeTime(ago(seconds), NOW)).toBe(text);
  });
});

it('writes empty values as nothing and others as block YAML', () => {
  expect(toYaml({})).toBe('');
  expect(toYaml(null)).toBe('');
  expect(toYaml({ a: [1, 2] })).toBe('a:\n  - 1\n  - 2\n');
});

it('joins lists sorted, or says none', () => {
  expect(joinSorted(['i386', 'amd64'])).toBe('amd64, i386');
  expect(joinSorted([])).toBe('none');
});

it('builds relative links that keep the query, drop emptied parameters and encode values', () => {
  expect(linkTo('workers/', { order: 'pool', page: '3' }, { page: undefined })).toBe('workers/?order=pool');
  expect(linkTo('workers/', {}, { 'filter-name': 'a&b' })).toBe('workers/?filter-name=a%26b');
  expect(linkTo('queue/', {})).toBe('queue/');
});

describe('normalizeBasePath', () => {
  it.each([
    [undefined, '/'],
    ['/', '/'],
    ['/-/status', '/-/status/'],
    ['/-/status/', '/-/status/'],
  ])('turns %p into %p', (given, expected) => {
    expect(normalizeBasePath(given)).toBe(expected);
  });

  it.each(['-/status', 'http://x/status', '/a"b'])('refuses %p, naming basePath', (given) => {
    expect(() => normalizeBasePath(given)).toThrow(/basePath must be the path the UI is mounted at/);
  });
});

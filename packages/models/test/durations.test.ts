import { formatDuration } from '../src';

it.each([
  [-5, '0 s'],
  [17, '17 s'],
  [119.4, '119 s'],
  [120, '2 min'],
  [60 * 42, '42 min'],
  [60 * 119, '119 min'],
  [3600 * 2, '2 h'],
  [3600 * 2 + 60 * 5, '2 h 5 min'],
  [8140.7, '2 h 16 min'],
  [36000, '10 h'],
])('writes %d seconds as "%s"', (seconds, text) => {
  expect(formatDuration(seconds)).toBe(text);
});

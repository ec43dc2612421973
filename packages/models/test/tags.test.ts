import {
  formatTags,
  mergeRequirements,
  NUMERIC_VALUE_MAX,
  parseRequirements,
  parseTag,
  parseTags,
  requirementKey,
  type ValidationError,
} from '../src';

it.each([
  ['executor:unshare', { kind: 'plain', name: 'executor:unshare' }],
  ['arch:arm64', { kind: 'plain', name: 'arch:arm64' }],
  ['memory_gib=16', { kind: 'numeric', name: 'memory_gib', value: 16 }],
  ['disk_gib=0.5', { kind: 'numeric', name: 'disk_gib', value: 0.5 }],
])('parses %s', (text, tag) => {
  expect(parseTag(text)).toEqual(tag);
});

it.each([
  ['', 'empty tag'],
  ['=5', 'needs a lower-case name'],
  ['memory_gib=lots', 'must be a non-negative number'],
  ['memory_gib=-1', 'must be a non-negative number'],
  ['has space', 'is not a tag name'],
  ['trailing:', 'is not a tag name'],
  [`cpus=${'9'.repeat(400)}`, `must be at most ${NUMERIC_VALUE_MAX}`],
  [`cpus=${NUMERIC_VALUE_MAX + 1}`, `must be at most ${NUMERIC_VALUE_MAX}`],
])('rejects %j with a reason', (text, reason) => {
  expect(parseTag(text)).toEqual({ error: expect.stringContaining(reason) });
});

it('names the index of every bad tag in a list', () => {
  try {
    parseTags(['ok', 'cpus=x', 'cpus=4', 'cpus=8'], 'tags');
    throw new Error('expected a ValidationError');
  } catch (error) {
    expect((error as ValidationError).issues.map((i) => i.field)).toEqual(['tags[1]', 'tags[3]']);
  }
});

it('formats tags canonically: plain names sorted, then numeric values', () => {
  expect(formatTags(parseTags(['site:paris', 'cpus=4', 'arch:amd64', 'memory_gib=16'], 'tags'))).toEqual([
    'arch:amd64',
    'site:paris',
    'cpus=4',
    'memory_gib=16',
  ]);
});

describe('requirements', () => {
  it('parses tags and minimums into a canonical set', () => {
    const requirements = parseRequirements(['site:paris', 'memory_gib>=16', 'cpus >= 4', 'memory_gib>=8'], 'r');
    expect(requirements).toEqual({ tags: ['site:paris'], minimums: { cpus: 4, memory_gib: 16 } });
    expect(requirementKey(requirements)).toBe('site:paris cpus>=4 memory_gib>=16');
  });

  it.each([
    ['memory_gib>=lots', '"memory_gib>=lots": the value after ">=" must be a non-negative number, e.g. memory_gib>=16'],
    ['=5', 'write name>=value, e.g. memory_gib>=16'],
    ['>=5', '">=5": a minimum needs a lower-case name before ">="'],
    ['', 'empty requirement; give a tag such as site:paris or a minimum such as memory_gib>=16'],
    ['memory_gib=16', 'write name>=value'],
    [`cpus>=${'9'.repeat(40)}`, `the value after ">=" must be at most ${NUMERIC_VALUE_MAX}`],
    ['cpus>=1e3', 'must be a non-negative number'],
  ])('rejects %j naming the entry', (text, message) => {
    expect(() => parseRequirements(['ok', text], 'worker_requirements')).toThrow(
      expect.objectContaining({ issues: [{ field: 'worker_requirements[1]', message: expect.stringContaining(message) }] }),
    );
  });

  it('merges sets keeping the highest minimum', () => {
    expect(
      mergeRequirements({ tags: ['a'], minimums: { cpus: 2 } }, { tags: ['b', 'a'], minimums: { cpus: 4, disk_gib: 1 } }),
    ).toEqual({ tags: ['a', 'b'], minimums: { cpus: 4, disk_gib: 1 } });
  });

  it('accepts the bound itself', () => {
    expect(parseRequirements([`cpus>=${NUMERIC_VALUE_MAX}`], 'r')).toEqual({ tags: [], minimums: { cpus: NUMERIC_VALUE_MAX } });
  });

  it('treats names that Object.prototype has as plain names', () => {
    const requirements = parseRequirements(['constructor>=5', 'constructor>=3', 'tostring>=1'], 'r');
    expect(requirements.minimums).toEqual({ constructor: 5, tostring: 1 });
    expect(JSON.stringify(mergeRequirements(requirements, { tags: [], minimums: {} }).minimums)).toBe('{"constructor":5,"tostring":1}');
    expect(parseTags(['constructor=2'], 'tags').numeric).toEqual({ constructor: 2 });
  });
});

import { NUMERIC_VALUE_MAX, ValidationError } from '@buildfleet/models';
import fc from 'fast-check';
import { QueryTypes } from 'sequelize';
import { createWorkRequest, type WorkRequestInput } from '../src';
import { addScope, resetDatabase, useDatabase } from './fixtures';
import { taskData } from './task-data';

const ctx = useDatabase();

beforeAll(async () => {
  await resetDatabase(ctx.db);
  await addScope(ctx.db, 'debian');
});

/** Values of every JSON type, including the awkward ones. */
const anyValue = fc.oneof(
  fc.constantFrom('amd64', 'arm64', 'auto', 'incus-lxc', 'qemu', '', 'constructor', '__proto__'),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
);

/** Requirement strings: good tags and minimums, prototype names, and numbers too big, odd or negative. */
const requirement = fc.oneof(
  { arbitrary: fc.constantFrom('site:paris', 'arch:arm64'), weight: 3 },
  { arbitrary: fc.tuple(fc.constantFrom('cpus', 'memory_gib', 'constructor'), fc.nat(1000)).map(([name, value]) => `${name}>=${value}`), weight: 6 },
  fc.constantFrom('site:paris', 'executor:qemu', 'arch:arm64', 'constructor', 'constructor>=5', 'tostring>=1', '', '=5', 'memory_gib>=lots'),
  fc.tuple(fc.constantFrom('cpus', 'memory_gib', 'disk_gib', 'constructor'), fc.constantFrom('>=', '='), fc.oneof(
    fc.nat().map(String),
    fc.double({ min: 0, max: 2 * NUMERIC_VALUE_MAX, noNaN: true }).map(String),
    fc.constantFrom('9'.repeat(400), String(NUMERIC_VALUE_MAX), String(NUMERIC_VALUE_MAX + 1), '-1', '1e3', '0.5'),
  )).map(([name, op, value]) => `${name}${op}${value}`),
  fc.anything().filter((v) => typeof v !== 'string'),
);

const TASKS = ['noop', 'sbuild', 'autopkgtest', 'mmdebstrap', 'lintian', 'frobnicate', 'constructor', '__proto__', 'toString'];

/** A work request input: a known task's minimal valid data, then fields added, replaced or removed at random. */
const workRequestInput = fc
  .record({
    taskName: fc.oneof({ arbitrary: fc.constantFrom(...TASKS.slice(0, 5)), weight: 4 }, fc.constantFrom(...TASKS)),
    changes: fc.oneof({ arbitrary: fc.constant([]), weight: 2 }, fc.array(
      fc.tuple(fc.constantFrom('host_architecture', 'backend', 'input', 'environment', 'result', 'extra', '__proto__', 'constructor'), fc.option(anyValue)),
      { maxLength: 3 },
    )),
    ownRequirements: fc.option(fc.oneof({ arbitrary: fc.array(requirement, { maxLength: 3 }), weight: 4 }, anyValue)),
    requirements: fc.array(requirement.filter((r) => typeof r === 'string'), { maxLength: 2 }),
  })
  .map(({ taskName, changes, ownRequirements, requirements }): WorkRequestInput => {
    const data: Record<string, unknown> = ['frobnicate', 'constructor', '__proto__', 'toString'].includes(taskName) ? {} : { ...taskData(taskName) };
    for (const [field, value] of changes) {
      if (value === null) delete data[field];
      else Object.defineProperty(data, field, { value, enumerable: true, writable: true, configurable: true });
    }
    if (ownRequirements !== null) data.worker_requirements = ownRequirements;
    return { scope: 'debian', taskName, taskData: data, workerRequirements: requirements as string[] };
  });

/** What the input implies, worked out here independently of the scheduler's code. */
function impliedBy(input: WorkRequestInput): { tags: string[]; minimums: [string, number][] } {
  const data = input.taskData!;
  const tags = ['worker-type:external', `task:${input.taskName}`];
  if (typeof data.host_architecture === 'string') tags.push(`arch:${data.host_architecture}`);
  if (input.taskName === 'sbuild' || input.taskName === 'autopkgtest') {
    tags.push(`executor:${data.backend === undefined || data.backend === 'auto' ? 'unshare' : String(data.backend)}`);
  }
  if (input.taskName === 'mmdebstrap') tags.push(`arch:${(data.bootstrap_options as { architecture: string }).architecture}`);
  const minimums: [string, number][] = [];
  for (const text of [...((data.worker_requirements as string[] | undefined) ?? []), ...input.workerRequirements!]) {
    const [name, value] = text.split('>=');
    if (value === undefined) tags.push(text.trim());
    else minimums.push([name!.trim(), Number(value)]);
  }
  return { tags, minimums };
}

async function counts(): Promise<{ requests: number; sets: number }> {
  const [row] = await ctx.db.sequelize.query<{ requests: number; sets: number }>(
    'select (select count(*)::int from work_requests) as requests, (select count(*)::int from requirement_sets) as sets',
    { type: QueryTypes.SELECT },
  );
  return row!;
}

it('stores every tag and minimum an accepted request implies, and writes nothing for a refused one', async () => {
  let accepted = 0;
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(workRequestInput, async (input) => {
      const before = await counts();
      let id: string;
      try {
        id = (await createWorkRequest(ctx.db, input)).id;
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        expect(error.issues.length).toBeGreaterThan(0);
        expect(await counts()).toEqual(before);
        refused += 1;
        return;
      }
      accepted += 1;
      const [stored] = await ctx.db.sequelize.query<{ tags: string[]; minimums: Record<string, unknown>; task_data: unknown }>(
        `select rs.tags, rs.minimums, r.task_data from work_requests r join requirement_sets rs on rs.id = r.requirement_set_id
          where r.id = $1::bigint`,
        { bind: [id], type: QueryTypes.SELECT },
      );
      const implied = impliedBy(input);
      expect(stored!.tags).toEqual(expect.arrayContaining(implied.tags));
      for (const [name, value] of implied.minimums) {
        expect(Object.hasOwn(stored!.minimums, name)).toBe(true);
        expect(typeof stored!.minimums[name]).toBe('number');
        expect(stored!.minimums[name]).toBeGreaterThanOrEqual(value);
        expect(value).toBeLessThanOrEqual(NUMERIC_VALUE_MAX);
      }
      if (input.taskName === 'sbuild') expect(typeof input.taskData!.host_architecture).toBe('string');
      expect(stored!.task_data).toEqual(input.taskData);
    }),
    { numRuns: 300 },
  );
  // Both outcomes must really be exercised for the property to mean anything.
  expect(accepted).toBeGreaterThan(20);
  expect(refused).toBeGreaterThan(20);
});

import { ValidationError } from '@buildfleet/models';
import { defaultScenario, parseScenario } from '../src';

function fieldsOf(input: unknown): string[] {
  try {
    parseScenario(input);
  } catch (error) {
    if (error instanceof ValidationError) return error.issues.map((i) => i.field);
    throw error;
  }
  throw new Error('accepted');
}

describe('reading a scenario', () => {
  it('accepts the built-in one as it is written', () => {
    expect(parseScenario(JSON.parse(JSON.stringify(defaultScenario())))).toEqual(defaultScenario());
  });

  it('names the field of every mistake: pool limits, unknown pools, duplicates, missing parts', () => {
    const scenario = defaultScenario();
    expect(fieldsOf({ ...scenario, pools: [{ ...scenario.pools[0]!, limits: { max_idle_seconds: -1 } }, ...scenario.pools.slice(1)] })).toEqual(['pools.0.limits.max_idle_seconds']);
    expect(fieldsOf({ ...scenario, scopes: [{ name: 'debian', pools: [{ pool: 'nowhere' }] }] })).toEqual(['scopes.0.pools.0.pool']);
    expect(fieldsOf({ ...scenario, pools: [scenario.pools[0]!, scenario.pools[0]!] , scopes: [{ name: 'debian', pools: [{ pool: 'hetzner-cx32' }] }] })).toEqual(['pools.1.name']);
    expect(fieldsOf({ scopes: [] })).toEqual(['pools', 'scopes']);
  });
});

import { type ProviderInstance } from '@buildfleet/cloud-drivers';
import { type LiveRow, planReconciliation, Reason } from '../src';
import { ago, NOW } from './builders';

const row = (overrides: Partial<LiveRow> = {}): LiveRow => ({
  pool: 'pool-a',
  worker: 'pool-a-001',
  instanceId: 'i-1',
  instanceCreatedAt: ago(3600),
  ...overrides,
});

const instance = (overrides: Partial<ProviderInstance> = {}): ProviderInstance => ({
  instanceId: 'i-1',
  workerName: 'pool-a-001',
  poolName: 'pool-a',
  state: 'running',
  labels: {},
  ...overrides,
});

const options = { now: NOW, graceSeconds: 300, ownPools: new Set(['pool-a']) };

describe('planReconciliation', () => {
  it.each<[string, LiveRow[], ProviderInstance[], Reason[], string]>([
    ['nothing when every row has its running instance', [row()], [instance()], [], ''],
    [
      'OrphanInstance for an instance whose worker row is stopped',
      [],
      [instance()],
      [Reason.OrphanInstance],
      'terminate instance i-1 labelled pool-a-001: no live worker row is named pool-a-001',
    ],
    [
      'OrphanInstance for an old instance of a row that was relaunched',
      [row({ instanceId: 'i-2' })],
      [instance({ instanceId: 'i-2' }), instance({ instanceId: 'i-1' })],
      [Reason.OrphanInstance],
      'terminate instance i-1 labelled pool-a-001: worker pool-a-001 runs instance i-2',
    ],
    [
      'AdoptedInstance for a launch the provider made but the database never saved',
      [row({ instanceId: null })],
      [instance({ instanceId: 'i-9' })],
      [Reason.AdoptedInstance],
      'adopt instance i-9 for pool-a-001: launched but never saved',
    ],
    [
      'VanishedInstance for a row whose instance the provider no longer lists',
      [row()],
      [],
      [Reason.VanishedInstance],
      'stop pool-a-001: its instance i-1 is missing at the provider; its work goes back to the queue',
    ],
    [
      'VanishedInstance for a row whose instance is being deleted',
      [row()],
      [instance({ state: 'deleting' })],
      [Reason.VanishedInstance],
      'stop pool-a-001: its instance i-1 is deleting at the provider; its work goes back to the queue',
    ],
    [
      'LaunchLost for a claim that never reached the provider',
      [row({ instanceId: null, instanceCreatedAt: ago(900) })],
      [],
      [Reason.LaunchLost],
      'stop pool-a-001: claimed for a launch 15 min ago, but the provider has no instance for it',
    ],
  ])('%s', (_name, rows, listed, reasons, message) => {
    const plan = planReconciliation(rows, listed, options);
    expect(plan.decisions.map((d) => d.reason)).toEqual(reasons);
    if (message) expect(plan.decisions[0]!.message).toBe(message);
  });

  it('waits out the grace period before stopping a fresh row the listing does not show yet', () => {
    const fresh = [row({ instanceCreatedAt: ago(30) }), row({ worker: 'pool-a-002', instanceId: null, instanceCreatedAt: ago(30) })];
    expect(planReconciliation(fresh, [], options).decisions).toEqual([]);
  });

  it('ignores instances already going away', () => {
    expect(planReconciliation([], [instance({ state: 'gone' }), instance({ state: 'deleting' })], options).orphans).toEqual([]);
  });

  it("leaves rows of another account's pools to that account's pass", () => {
    const other = [row({ pool: 'pool-b', worker: 'pool-b-001', instanceId: 'i-7' }), row({ pool: 'pool-b', worker: 'pool-b-002', instanceId: null })];
    const listed = [instance({ instanceId: 'i-7', workerName: 'pool-b-001' }), instance({ instanceId: 'i-8', workerName: 'pool-b-002' })];
    expect(planReconciliation(other, listed, options).decisions).toEqual([]);
  });

  it('adopts one instance per row and terminates a second one for the same worker', () => {
    const plan = planReconciliation([row({ instanceId: null })], [instance({ instanceId: 'i-8' }), instance({ instanceId: 'i-9' })], options);
    expect(plan.adopt).toEqual([{ pool: 'pool-a', worker: 'pool-a-001', instanceId: 'i-8' }]);
    expect(plan.orphans).toEqual([{ pool: 'pool-a', worker: 'pool-a-001', instanceId: 'i-9' }]);
  });
});

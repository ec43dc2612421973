import { forEachBounded } from '../src';

describe('forEachBounded', () => {
  it('runs every item with never more than the limit in flight, and uses the whole limit', async () => {
    let inFlight = 0;
    let peak = 0;
    const done: number[] = [];

    await forEachBounded([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      done.push(item);
      inFlight--;
    });

    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(3);
  });

  it('does nothing for no items', async () => {
    const fn = jest.fn();
    await forEachBounded([], 10, fn);
    expect(fn).not.toHaveBeenCalled();
  });
});

import pino from 'pino';
import { Loop } from '../src';

const logger = pino({ level: 'silent' });

it('waits for the tick in flight when stopped', async () => {
  const events: string[] = [];
  const loop = new Loop({
    name: 'slow',
    intervalMs: 10,
    logger,
    run: async () => {
      events.push('start');
      await new Promise((resolve) => setTimeout(resolve, 200));
      events.push('end');
    },
  });
  loop.start();
  await new Promise((resolve) => setTimeout(resolve, 50));
  await loop.stop();
  expect(events).toEqual(['start', 'end']);
});

it('goes on after a failing tick', async () => {
  let runs = 0;
  const loop = new Loop({
    name: 'flaky',
    intervalMs: 5,
    logger,
    run: async () => {
      runs++;
      if (runs === 1) throw new Error('boom');
    },
  });
  loop.start();
  await new Promise((resolve) => setTimeout(resolve, 100));
  await loop.stop();
  expect(runs).toBeGreaterThan(1);
});

import { svgChart } from '@buildfleet/charts';
import { formatDuration } from '@buildfleet/models';
import { type PoolData } from './pages/pools';

/**
 * The three charts of a pool page, as SVG drawn on the server from the page's own data (the
 * provisioner's samples of the last 24 hours): the queue the pool could serve, its live
 * instances and its instance hours this month. The pool's limits are named in the legend rather
 * than drawn, so a far limit never flattens the day's curve. `svgChart` escapes every text.
 */
export function poolCharts({ pool, samples }: PoolData): string[] {
  const xRange = [Date.parse(samples.from), Date.parse(samples.to)] as const;
  const options = (yTitle: string) => ({ xAxis: 'time', xRange, yTitle, emptyText: 'no samples' }) as const;
  const line = (name: string, value: (sample: PoolData['samples']['points'][number]) => number) => ({
    name,
    points: samples.points.map((s) => [Date.parse(s.at), value(s)] as const),
  });
  const { max_active_instances: maxInstances, target_max_seconds_per_month: targetSeconds } = pool.limits;
  return [
    svgChart('Pending work this pool could serve', [line('pending', (s) => s.pending)], options('requests')),
    svgChart('Live instances', [line(maxInstances === null ? 'live' : `live (limit ${maxInstances})`, (s) => s.liveInstances)], options('instances')),
    svgChart(
      'Instance hours this month',
      [line(targetSeconds === null ? 'used' : `used (target ${formatDuration(targetSeconds)})`, (s) => s.secondsThisMonth / 3600)],
      options('hours'),
    ),
  ];
}

import { numberLabel, type Series, svgChart, utcTime } from '../src';

/** The (x, y) pixel positions of every path of a chart, one list per path. */
function paths(svg: string): [number, number][][] {
  return [...svg.matchAll(/<path d="([^"]+)"/g)].map((m) => [...m[1]!.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((p) => [Number(p[1]), Number(p[2])]));
}

function numbersIn(svg: string): number[] {
  return [...svg.matchAll(/="(-?[\d.]+|NaN|Infinity|-Infinity)"/g)].map((m) => Number(m[1])).concat(paths(svg).flat(2));
}

describe('svgChart', () => {
  it('draws each series inside the chart, highest value at the top', () => {
    const svg = svgChart('t', [{ name: 'a', points: [[0, 0], [10, 5], [20, 10]] }]);
    const [line] = paths(svg);
    const ys = line!.map(([, y]) => y);
    expect(ys[0]).toBeGreaterThan(ys[1]!);
    expect(ys[1]).toBeGreaterThan(ys[2]!);
    expect(Math.min(...ys)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...ys)).toBeLessThanOrEqual(240);
  });

  it('draws an empty chart, with its message and legend, when there is no point', () => {
    const svg = svgChart('Queue', [{ name: 'pending', points: [] }], { emptyText: 'no samples yet' });
    expect(svg).toContain('>no samples yet</text>');
    expect(svg).toContain('>pending</text>');
    expect(paths(svg)).toEqual([]);
    expect(numbersIn(svg).every(Number.isFinite)).toBe(true);
  });

  it('draws a flat line of zeros at the bottom, with no division by zero', () => {
    const svg = svgChart('Zeros', [{ name: 'z', points: [[0, 0], [1, 0], [2, 0]] }]);
    const [line] = paths(svg);
    expect(line).toHaveLength(3);
    expect(new Set(line!.map(([, y]) => y))).toEqual(new Set([210]));
    expect(numbersIn(svg).every(Number.isFinite)).toBe(true);
  });

  it('draws one point, and a flat non-zero line, inside the chart', () => {
    for (const points of [[[5, 3]], [[0, 7], [10, 7]]] as [number, number][][]) {
      const svg = svgChart('Flat', [{ name: 'f', points }]);
      const [line] = paths(svg);
      expect(line!.length).toBe(points.length);
      for (const [x, y] of line!) {
        expect(x).toBeGreaterThanOrEqual(60);
        expect(x).toBeLessThanOrEqual(570);
        expect(y).toBe(20); // the highest value sits at the top
      }
    }
  });

  it('draws a million points without overflowing the stack, in an SVG of bounded size with the same extremes', () => {
    const points: [number, number][] = Array.from({ length: 1_000_000 }, (_, i) => [i, i % 1000 === 0 ? 500 : i % 7]);
    points[654_321] = [654_321, 900];
    const svg = svgChart('Big', [{ name: 'big', points }]);
    expect(svg.length).toBeLessThan(200_000);
    const ys = paths(svg)[0]!.map(([, y]) => y);
    expect(Math.min(...ys)).toBe(20); // 900, the single highest point, is kept
    expect(Math.max(...ys)).toBe(210); // and so is 0
    expect(svg).toContain('>900</text>');
  });

  it('places negative values below the zero line and labels the lowest', () => {
    const svg = svgChart('Signed', [{ name: 's', points: [[0, -5], [1, 5]] }]);
    const [line] = paths(svg);
    expect(line![0]![1]).toBe(210);
    expect(line![1]![1]).toBe(20);
    expect(svg).toContain('>-5</text>');
  });

  it('leaves a gap where a value is not a number instead of drawing NaN', () => {
    const svg = svgChart('Gaps', [{ name: 'g', points: [[0, 1], [1, 2], [2, NaN], [3, 2], [4, 1]] }]);
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(svg.match(/M/g)).toHaveLength(2);
  });

  it('labels a time axis in UTC and keeps only the points inside xRange', () => {
    const end = Date.UTC(2026, 10, 30, 16, 5);
    const start = end - 24 * 3600_000;
    const svg = svgChart('Day', [{ name: 'd', points: [[start - 3600_000, 99], [start, 1], [end, 2]] }], { xAxis: 'time', xRange: [start, end] });
    expect(svg).toContain('>2026-11-29 16:05 UTC</text>');
    expect(svg).toContain('>2026-11-30 16:05 UTC</text>');
    expect(svg).not.toContain('>99</text>');
    expect(paths(svg)[0]).toEqual([[60, 115], [570, 20]]);
  });

  it('draws gridlines at round UTC hours on a day-long time axis, labelling those clear of the ends', () => {
    const end = Date.UTC(2026, 10, 30, 16, 5);
    const svg = svgChart('Day', [{ name: 'd', points: [[end - 3600_000, 1]] }], { xAxis: 'time', xRange: [end - 24 * 3600_000, end] });
    // Every 6 hours: 18:00, 00:00, 06:00 and 12:00 UTC; only the middle two are far enough from the end labels.
    expect([...svg.matchAll(/<line x1="([\d.]+)"[^>]*stroke-opacity/g)].map((m) => Number(m[1]))).toEqual([100.7, 228.2, 355.7, 483.2]);
    expect([...svg.matchAll(/text-anchor="middle">([^<]*)</g)].map((m) => m[1])).toEqual(['00:00', '06:00']);
    const month = svgChart('Month', [{ name: 'm', points: [[Date.UTC(2026, 2, 1), 1], [Date.UTC(2026, 2, 31), 2]] }], { xAxis: 'time' });
    expect([...month.matchAll(/text-anchor="middle">([^<]*)</g)].map((m) => m[1])).toEqual(['03-12', '03-19']); // weekly, on the epoch's weekday
    expect(svgChart('n', [{ name: 'n', points: [[0, 1], [10, 2]] }])).not.toContain('stroke-opacity');
  });

  it('escapes the title, series names and labels', () => {
    const hostile = '<script>alert("x")</script>&\'';
    const svg = svgChart(hostile, [{ name: hostile, points: [[0, 1]] }], { yTitle: hostile, xLabel: () => hostile });
    expect(svg).not.toContain('<script');
    expect(svg).not.toMatch(/"x"|'<|&'/);
    expect(svg).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
  });

  it('draws dots for a scatter chart, one per point, and a legend entry per series', () => {
    const series: Series[] = [
      { name: 'a', points: [[1, 1], [2, 4]] },
      { name: 'b', points: [[3, 9]] },
    ];
    const svg = svgChart('Scatter', series, { kind: 'scatter' });
    expect(svg.match(/<circle /g)).toHaveLength(3);
    expect(svg.match(/<rect /g)).toHaveLength(2);
    expect(paths(svg)).toEqual([]);
  });
});

describe('labels', () => {
  it('writes thousands short and rounds to two decimals', () => {
    expect([numberLabel(1234), numberLabel(0.125), numberLabel(-2500), numberLabel(7)]).toEqual(['1.2k', '0.13', '-2.5k', '7']);
  });

  it('writes times in UTC', () => {
    expect(utcTime(Date.UTC(2026, 0, 2, 3, 4, 59))).toBe('2026-01-02 03:04 UTC');
  });
});

/** One line (or set of dots) of a chart: a name for the legend and its points (x, y). */
export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
}

export interface ChartOptions {
  /** Lines through the points in their order, or one dot per point. (Default: 'line') */
  kind?: 'line' | 'scatter';
  /** `'time'`: x values are milliseconds since the epoch, labelled in UTC. (Default: 'number') */
  xAxis?: 'number' | 'time';
  /** Formats the x values written under the axis. (Default: `utcTime` for a time axis, else `numberLabel`) */
  xLabel?: (x: number) => string;
  /** The x range drawn, e.g. the last 24 hours; points outside it are left out. (Default: the points' range) */
  xRange?: readonly [number, number];
  /** Written beside the y axis. (Default: none) */
  yTitle?: string;
  /** Written in the middle of a chart that has no point to draw. (Default: 'no data') */
  emptyText?: string;
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf'];
const WIDTH = 720;
const HEIGHT = 240;
const PAD = { left: 60, right: 150, top: 20, bottom: 30 };
const PLOT_WIDTH = WIDTH - PAD.left - PAD.right;
const PLOT_HEIGHT = HEIGHT - PAD.top - PAD.bottom;

/** Text made safe inside SVG elements and attribute values. */
function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** `1234` → `1.2k`, `0.125` → `0.13`: short axis labels. */
export function numberLabel(n: number): string {
  return Math.abs(n) >= 1000 ? `${Math.round(n / 100) / 10}k` : `${Math.round(n * 100) / 100}`;
}

/** Milliseconds since the epoch as `2026-11-30 16:05 UTC`, whatever the server's time zone. */
export function utcTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;
/** Steps between a time axis's gridlines, the smallest that gives at most six. */
const TIME_STEPS_MS = [1, 2, 3, 6, 12].map((h) => h * HOUR_MS).concat([1, 2, 7, 14, 28].map((d) => d * DAY_MS));
/** Inner labels stay this far (px) from the ends, where the full times are written. */
const END_LABEL_WIDTH = 125;

/**
 * Round UTC instants inside (low, high) for a time axis's gridlines, with their labels: `18:00`
 * for steps under a day, `11-30` (month-day) for longer ones.
 */
function timeTicks(low: number, high: number): { at: number; label: string }[] {
  const step = TIME_STEPS_MS.find((ms) => (high - low) / ms <= 6);
  if (!step) return [];
  const ticks: { at: number; label: string }[] = [];
  for (let at = Math.ceil(low / step) * step; at < high; at += step) {
    if (at === low) continue;
    const iso = new Date(at).toISOString();
    ticks.push({ at, label: step < DAY_MS ? iso.slice(11, 16) : iso.slice(5, 10) });
  }
  return ticks;
}

interface Range {
  low: number;
  high: number;
}

/** Lowest and highest of the values `pick` gives, in one loop: spreading a big array into Math.min overflows the stack. */
function extent(series: readonly Series[], pick: (point: readonly [number, number]) => number, keep: (point: readonly [number, number]) => boolean): Range | null {
  let low = Infinity;
  let high = -Infinity;
  for (const s of series) {
    for (const point of s.points) {
      if (!keep(point)) continue;
      const value = pick(point);
      if (value < low) low = value;
      if (value > high) high = value;
    }
  }
  return low <= high ? { low, high } : null;
}

const finite = (point: readonly [number, number]) => Number.isFinite(point[0]) && Number.isFinite(point[1]);

/**
 * The points of a line, at most about four per pixel column: in each column its first, lowest,
 * highest and last point, in their order. The drawn line is the same; the SVG stays small
 * however many points there are. A `null` marks a gap (a point that could not be drawn).
 */
function thinLine(points: readonly (readonly [number, number])[], column: (x: number) => number, keep: (p: readonly [number, number]) => boolean): (readonly [number, number] | null)[] {
  const out: (readonly [number, number] | null)[] = [];
  let bucket: (readonly [number, number])[] = [];
  let bucketColumn = NaN;
  const flush = () => {
    if (!bucket.length) return;
    let lowest = bucket[0]!;
    let highest = bucket[0]!;
    for (const p of bucket) {
      if (p[1] < lowest[1]) lowest = p;
      if (p[1] > highest[1]) highest = p;
    }
    const chosen = new Set([bucket[0]!, lowest, highest, bucket[bucket.length - 1]!]);
    for (const p of bucket) if (chosen.has(p)) out.push(p);
    bucket = [];
  };
  for (const point of points) {
    if (!keep(point)) {
      flush();
      if (out.length && out[out.length - 1] !== null) out.push(null);
      bucketColumn = NaN;
      continue;
    }
    const at = column(point[0]);
    if (at !== bucketColumn) flush();
    bucketColumn = at;
    bucket.push(point);
  }
  flush();
  return out;
}

/**
 * A self-contained SVG chart (no script, no style sheet, no outside file): lines or dots, axes
 * with their ranges, a legend. The y axis always shows 0; a flat or empty series draws a flat
 * line or an empty chart, never a division by zero. Every text (title, series names, labels) is
 * escaped, so the result can be written into a page as it is.
 */
export function svgChart(title: string, series: readonly Series[], options: ChartOptions = {}): string {
  const { kind = 'line', xAxis = 'number', xRange, yTitle = '', emptyText = 'no data' } = options;
  const xLabel = options.xLabel ?? (xAxis === 'time' ? utcTime : numberLabel);
  const inRange = xRange ? (p: readonly [number, number]) => finite(p) && p[0] >= xRange[0] && p[0] <= xRange[1] : finite;

  const xs = xRange ? { low: xRange[0], high: xRange[1] } : (extent(series, (p) => p[0], inRange) ?? { low: 0, high: 1 });
  const ys = extent(series, (p) => p[1], inRange);
  const y0 = Math.min(0, ys?.low ?? 0);
  const y1 = Math.max(0, ys?.high ?? 0);
  const xSpan = xs.high - xs.low || 1;
  const ySpan = y1 - y0 || 1;
  const sx = (x: number) => PAD.left + ((x - xs.low) / xSpan) * PLOT_WIDTH;
  const sy = (y: number) => HEIGHT - PAD.bottom - ((y - y0) / ySpan) * PLOT_HEIGHT;
  const at = (n: number) => n.toFixed(1);

  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeXml(title)}">`,
    `<title>${escapeXml(title)}</title>`,
    `<text x="${PAD.left}" y="14" font-size="13" font-weight="bold">${escapeXml(title)}</text>`,
    `<line x1="${PAD.left}" y1="${at(sy(0))}" x2="${WIDTH - PAD.right}" y2="${at(sy(0))}" stroke="#888"/>`,
    `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${HEIGHT - PAD.bottom}" stroke="#888"/>`,
    `<text x="${PAD.left - 4}" y="${PAD.top + 4}" font-size="10" text-anchor="end">${escapeXml(numberLabel(y1 === 0 && y0 === 0 ? 1 : y1))}</text>`,
    `<text x="${PAD.left - 4}" y="${at(sy(0))}" font-size="10" text-anchor="end">0</text>`,
  ];
  if (y0 < 0) parts.push(`<text x="${PAD.left - 4}" y="${HEIGHT - PAD.bottom}" font-size="10" text-anchor="end">${escapeXml(numberLabel(y0))}</text>`);
  parts.push(
    `<text x="4" y="${(PAD.top + HEIGHT - PAD.bottom) / 2}" font-size="10">${escapeXml(yTitle)}</text>`,
    `<text x="${PAD.left}" y="${HEIGHT - 8}" font-size="10">${escapeXml(xLabel(xs.low))}</text>`,
    `<text x="${WIDTH - PAD.right}" y="${HEIGHT - 8}" font-size="10" text-anchor="end">${escapeXml(xLabel(xs.high))}</text>`,
  );
  if (xAxis === 'time') {
    for (const tick of timeTicks(xs.low, xs.high)) {
      const x = at(sx(tick.at));
      parts.push(`<line x1="${x}" y1="${PAD.top}" x2="${x}" y2="${HEIGHT - PAD.bottom}" stroke="#888" stroke-opacity="0.3"/>`);
      if (sx(tick.at) - PAD.left >= END_LABEL_WIDTH && WIDTH - PAD.right - sx(tick.at) >= END_LABEL_WIDTH) {
        parts.push(`<text x="${x}" y="${HEIGHT - 8}" font-size="10" text-anchor="middle">${escapeXml(tick.label)}</text>`);
      }
    }
  }
  if (!ys) {
    parts.push(`<text x="${PAD.left + PLOT_WIDTH / 2}" y="${PAD.top + PLOT_HEIGHT / 2}" font-size="12" text-anchor="middle" fill="#666">${escapeXml(emptyText)}</text>`);
  }

  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    if (kind === 'line') {
      let path = '';
      let move = true;
      for (const point of thinLine(s.points, (x) => Math.round(sx(x)), inRange)) {
        if (point === null) {
          move = true;
          continue;
        }
        path += `${move ? 'M' : 'L'}${at(sx(point[0]))},${at(sy(point[1]))}`;
        move = false;
      }
      if (path) parts.push(`<path d="${path}" fill="none" stroke="${colour}" stroke-width="1.5"/>`);
    } else {
      for (const point of s.points) {
        if (inRange(point)) parts.push(`<circle cx="${at(sx(point[0]))}" cy="${at(sy(point[1]))}" r="3" fill="${colour}"/>`);
      }
    }
    parts.push(`<rect x="${WIDTH - PAD.right + 10}" y="${PAD.top + i * 16}" width="10" height="10" fill="${colour}"/>`);
    parts.push(`<text x="${WIDTH - PAD.right + 24}" y="${PAD.top + i * 16 + 9}" font-size="11">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

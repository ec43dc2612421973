/** One line of a chart: a name and its points (x, y). */
export interface Series {
  name: string;
  points: [number, number][];
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf'];
const WIDTH = 720;
const HEIGHT = 240;
const PAD = { left: 60, right: 150, top: 20, bottom: 30 };

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const label = (n: number) => (Math.abs(n) >= 1000 ? `${Math.round(n / 100) / 10}k` : `${Math.round(n * 100) / 100}`);

/**
 * A self-contained SVG chart: lines (`kind: 'line'`) or dots (`'scatter'`), axes with their
 * ranges, a legend. `xLabel` formats x values (e.g. times as dates).
 */
export function svgChart(
  title: string,
  series: Series[],
  { kind = 'line', xLabel = label, yTitle = '' }: { kind?: 'line' | 'scatter'; xLabel?: (x: number) => string; yTitle?: string } = {},
): string {
  const all = series.flatMap((s) => s.points);
  const [x0, x1] = all.length ? [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))] : [0, 1];
  const y1 = all.length ? Math.max(...all.map((p) => p[1]), 0) : 1;
  const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0 || 1)) * (WIDTH - PAD.left - PAD.right);
  const sy = (y: number) => HEIGHT - PAD.bottom - (y / (y1 || 1)) * (HEIGHT - PAD.top - PAD.bottom);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escape(title)}">`,
    `<text x="${PAD.left}" y="14" font-size="13" font-weight="bold">${escape(title)}</text>`,
    `<line x1="${PAD.left}" y1="${sy(0)}" x2="${WIDTH - PAD.right}" y2="${sy(0)}" stroke="#888"/>`,
    `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${sy(0)}" stroke="#888"/>`,
    `<text x="${PAD.left - 4}" y="${PAD.top + 4}" font-size="10" text-anchor="end">${label(y1)}</text>`,
    `<text x="${PAD.left - 4}" y="${sy(0)}" font-size="10" text-anchor="end">0</text>`,
    `<text x="4" y="${(PAD.top + HEIGHT - PAD.bottom) / 2}" font-size="10">${escape(yTitle)}</text>`,
    `<text x="${PAD.left}" y="${HEIGHT - 8}" font-size="10">${escape(xLabel(x0))}</text>`,
    `<text x="${WIDTH - PAD.right}" y="${HEIGHT - 8}" font-size="10" text-anchor="end">${escape(xLabel(x1))}</text>`,
  ];
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    if (kind === 'line') {
      const path = s.points.map(([x, y], j) => `${j ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
      if (path) parts.push(`<path d="${path}" fill="none" stroke="${colour}" stroke-width="1.5"/>`);
    } else {
      for (const [x, y] of s.points) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${colour}"/>`);
    }
    parts.push(`<rect x="${WIDTH - PAD.right + 10}" y="${PAD.top + i * 16}" width="10" height="10" fill="${colour}"/>`);
    parts.push(`<text x="${WIDTH - PAD.right + 24}" y="${PAD.top + i * 16 + 9}" font-size="11">${escape(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

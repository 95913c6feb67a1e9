/** Minimal, dependency-free SVG building blocks for the self-contained HTML report. */

export function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Fixed-point coordinates keep the markup short and stable. */
export function n(x: number): string {
  return Number.isFinite(x) ? (Math.round(x * 10) / 10).toString() : '0';
}

export type Scale = (value: number) => number;

export function linearScale(
  domain: readonly [number, number],
  range: readonly [number, number],
): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

export function logScale(
  domain: readonly [number, number],
  range: readonly [number, number],
): Scale {
  const inner = linearScale([Math.log(domain[0]), Math.log(domain[1])], range);
  return (v) => inner(Math.log(v));
}

/** Sixteen colours distinguishable on white (enough for the largest profile set), then cycled. */
export const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#9467bd',
  '#ff7f0e',
  '#17becf',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#393b79',
  '#637939',
  '#843c39',
  '#7b4173',
  '#8c6d31',
  '#3182bd',
];

export function colour(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}

export function svgOpen(width: number, height: number, label: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(label)}" font-family="system-ui, sans-serif" font-size="11">`;
}

export function text(
  x: number,
  y: number,
  content: string,
  attrs: Readonly<Record<string, string | number>> = {},
): string {
  const extra = Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('');
  return `<text x="${n(x)}" y="${n(y)}"${extra}>${escapeXml(content)}</text>`;
}

export function line(x1: number, y1: number, x2: number, y2: number, style: string): string {
  return `<line x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}" ${style}/>`;
}

export function polyline(points: readonly (readonly [number, number])[], style: string): string {
  return `<polyline points="${points.map(([x, y]) => `${n(x)},${n(y)}`).join(' ')}" fill="none" ${style}/>`;
}

export function polygon(points: readonly (readonly [number, number])[], style: string): string {
  return `<polygon points="${points.map(([x, y]) => `${n(x)},${n(y)}`).join(' ')}" ${style}/>`;
}

/** Round `domain` outwards to multiples of `step`, within [min, max]. */
export function niceDomain(
  lo: number,
  hi: number,
  step: number,
  min = 0,
  max = 1,
): readonly [number, number] {
  const a = Math.max(min, Math.floor(lo / step) * step);
  const b = Math.min(max, Math.ceil(hi / step) * step);
  return b > a ? [a, b] : [a, a + step];
}

/** Horizontal gridlines with percentage labels on the left. */
export function percentAxis(
  y: Scale,
  domain: readonly [number, number],
  step: number,
  x0: number,
  x1: number,
): string {
  const parts: string[] = [];
  const count = Math.round((domain[1] - domain[0]) / step);
  for (let i = 0; i <= count; i++) {
    const v = domain[0] + i * step;
    parts.push(line(x0, y(v), x1, y(v), 'stroke="#e3e3e3"'));
    parts.push(
      text(x0 - 4, y(v) + 3, `${Math.round(v * 100)}%`, { 'text-anchor': 'end', fill: '#555' }),
    );
  }
  return parts.join('');
}

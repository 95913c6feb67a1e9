/** The report's inline SVG charts (HTML only; the Markdown report carries the same figures in tables). */
import type { BenchmarkResult, Calibration, ModelResult, PolicyResult } from '../protocol/result';
import {
  costText,
  estimateText,
  niceStep,
  paramsText,
  percent,
  pointsText,
  verdictText,
} from './format';
import {
  colour,
  escapeXml as e,
  line,
  linearScale,
  logScale,
  n,
  niceDomain,
  percentAxis,
  polygon,
  polyline,
  svgOpen,
  text,
} from './svg';

export interface Chart {
  readonly svg: string;
  readonly legend: string;
}

const swatch = (c: string, label: string) =>
  `<span><i class="sw" style="background:${c}"></i>${e(label)}</span>`;

const wrap = (panels: readonly string[]) =>
  `<div class="charts">${panels.map((p) => `<div class="chart">${p}</div>`).join('')}</div>`;

function curvePanel(
  title: string,
  lines: readonly {
    colour: string;
    label: string;
    points: readonly { epoch: number; rate: number; lo: number; hi: number }[];
  }[],
  refs: readonly { rate: number; style: string }[],
  epochs: number,
  band: boolean,
): string {
  let lo = 1;
  let hi = 0;
  for (const l of lines)
    for (const p of l.points) {
      lo = Math.min(lo, p.lo);
      hi = Math.max(hi, p.hi);
    }
  for (const r of refs) {
    lo = Math.min(lo, r.rate);
    hi = Math.max(hi, r.rate);
  }
  const domain = niceDomain(lo - 0.02, hi + 0.02, 0.1);
  const W = 280;
  const H = 190;
  const left = 38;
  const right = 10;
  const top = 22;
  const bottom = 28;
  const x = linearScale([0, Math.max(1, epochs)], [left, W - right]);
  const y = linearScale(domain, [H - bottom, top]);
  const parts = [svgOpen(W, H, `Learning curve of ${title}`), panelTitle(title, W)];
  parts.push(percentAxis(y, domain, 0.1, left, W - right));
  for (const r of refs) parts.push(line(left, y(r.rate), W - right, y(r.rate), r.style));
  for (const l of lines) {
    if (band) {
      const poly = [
        ...l.points.map((p) => [x(p.epoch), y(p.hi)] as const),
        ...[...l.points].reverse().map((p) => [x(p.epoch), y(p.lo)] as const),
      ];
      parts.push(polygon(poly, `fill="${l.colour}" fill-opacity="0.25" stroke="none"`));
    }
    parts.push(
      polyline(
        l.points.map((p) => [x(p.epoch), y(p.rate)] as const),
        `stroke="${l.colour}" stroke-width="2"`,
      ),
    );
    for (const p of l.points) {
      parts.push(
        `<circle cx="${n(x(p.epoch))}" cy="${n(y(p.rate))}" r="2.5" fill="${l.colour}"><title>${e(`${l.label}, epoch ${p.epoch}: ${percent(p.rate)} [${(100 * p.lo).toFixed(1)}, ${(100 * p.hi).toFixed(1)}]`)}</title></circle>`,
      );
    }
  }
  for (let ep = 0; ep <= epochs; ep += epochs > 8 ? 2 : 1) {
    parts.push(text(x(ep), H - bottom + 12, String(ep), { 'text-anchor': 'middle', fill: '#555' }));
  }
  parts.push(
    text((left + W - right) / 2, H - 6, 'epoch', { 'text-anchor': 'middle', fill: '#555' }),
  );
  parts.push('</svg>');
  return parts.join('');
}

function points(m: ModelResult) {
  return m.history.map((h) => ({
    epoch: h.epoch,
    rate: h.rate.rate,
    lo: h.rate.ci[0],
    hi: h.rate.ci[1],
  }));
}

/** Small multiples: the curve rate per epoch with its CI band, base and oracle on the same tasks. */
export function learningCurves(r: BenchmarkResult): Chart {
  const panels = r.models.map((m, i) => {
    const base = m.crossValidation?.base.rate ?? m.base.rate;
    const oracle = m.crossValidation?.oracle.rate ?? m.oracle.rate;
    return curvePanel(
      m.name,
      [{ colour: colour(i), label: m.name, points: points(m) }],
      [
        { rate: base, style: 'stroke="#777" stroke-dasharray="4 3"' },
        { rate: oracle, style: 'stroke="#2ca02c" stroke-dasharray="6 3"' },
      ],
      r.config.epochs,
      true,
    );
  });
  const on = r.config.curveOn === 'validation' ? 'validation rate' : 'held-out rate';
  return {
    svg: wrap(panels),
    legend: `<span>— ${on} (band: 95% CI)</span><span style="color:#777">- - base (random arm)</span><span style="color:#2ca02c">- - oracle</span>`,
  };
}

/** One panel per model, one line per version: the versions' learning curves side by side. */
export function combinedCurves(runs: readonly BenchmarkResult[]): Chart {
  const first = runs[0]!;
  const epochs = Math.max(...runs.map((r) => r.config.epochs));
  const panels = first.models.map((m) =>
    curvePanel(
      m.name,
      runs.flatMap((r, v) => {
        const model = r.models.find((x) => x.name === m.name);
        return model === undefined
          ? []
          : [{ colour: colour(v), label: r.version, points: points(model) }];
      }),
      [],
      epochs,
      false,
    ),
  );
  return { svg: wrap(panels), legend: runs.map((r, v) => swatch(colour(v), r.version)).join('') };
}

/** Base, learned (with CI) and oracle against model size on a log axis. */
export function rateVsSize(r: BenchmarkResult): Chart {
  const W = 640;
  const H = 340;
  const left = 48;
  const right = 20;
  const top = 20;
  const bottom = 42;
  const sizes = r.models.map((m) => m.paramsB);
  const minSize = Math.min(...sizes);
  const maxSize = Math.max(...sizes);
  const xDomain: [number, number] =
    minSize === maxSize ? [minSize / 2, maxSize * 2] : [minSize / 1.4, maxSize * 1.4];
  const x = logScale(xDomain, [left, W - right]);
  let lo = 1;
  let hi = 0;
  for (const m of r.models) {
    lo = Math.min(lo, m.base.ci[0], m.learned.ci[0]);
    hi = Math.max(hi, m.oracle.ci[1], m.learned.ci[1]);
  }
  const domain = niceDomain(lo - 0.02, hi + 0.02, 0.1);
  const y = linearScale(domain, [H - bottom, top]);
  const parts = [
    svgOpen(W, H, 'Rate against model size'),
    percentAxis(y, domain, 0.1, left, W - right),
  ];
  for (const t of [...new Set(sizes)].sort((a, b) => a - b)) {
    parts.push(line(x(t), H - bottom, x(t), H - bottom + 4, 'stroke="#555"'));
    parts.push(
      text(x(t), H - bottom + 16, paramsText(t), { 'text-anchor': 'middle', fill: '#555' }),
    );
  }
  parts.push(
    text(
      (left + W - right) / 2,
      H - 6,
      'model size (billions of activated parameters, log scale)',
      {
        'text-anchor': 'middle',
        fill: '#555',
      },
    ),
  );
  const seen = new Map<number, number>();
  r.models.forEach((m, i) => {
    const k = seen.get(m.paramsB) ?? 0;
    seen.set(m.paramsB, k + 1);
    const sameSize = sizes.filter((s) => s === m.paramsB).length;
    const cx = x(m.paramsB) + (k - (sameSize - 1) / 2) * 9;
    const c = colour(i);
    parts.push(
      line(cx, y(m.learned.ci[0]), cx, y(m.learned.ci[1]), `stroke="${c}" stroke-width="1.5"`),
    );
    parts.push(
      `<circle cx="${n(cx)}" cy="${n(y(m.base.rate))}" r="3.5" fill="#fff" stroke="${c}" stroke-width="1.5"><title>${e(`${m.name} base ${estimateText(m.base)}`)}</title></circle>`,
    );
    parts.push(
      `<rect x="${n(cx - 4)}" y="${n(y(m.oracle.rate) - 1.5)}" width="8" height="3" fill="${c}"><title>${e(`${m.name} oracle ${estimateText(m.oracle)}`)}</title></rect>`,
    );
    parts.push(
      `<circle cx="${n(cx)}" cy="${n(y(m.learned.rate))}" r="4" fill="${c}"><title>${e(`${m.name} learned ${estimateText(m.learned)}`)}</title></circle>`,
    );
  });
  parts.push('</svg>');
  return {
    svg: wrap([parts.join('')]),
    legend: `<span>● learned (line: 95% CI)</span><span>○ base (random arm)</span><span>▬ oracle</span>${r.models.map((m, i) => swatch(colour(i), m.name)).join('')}`,
  };
}

/** Per component, per model: full v3 minus the ablated run, with its paired CI. */
export function ablationBars(r: BenchmarkResult): Chart {
  const keys = r.config.ablations;
  const models = r.models;
  const barH = 9;
  const groupGap = 14;
  const left = 120;
  const right = 30;
  const top = 16;
  const W = 700;
  const H = top + keys.length * (models.length * barH + groupGap) + 30;
  let extent = 0.01;
  for (const m of models)
    for (const a of m.ablations)
      extent = Math.max(extent, Math.abs(a.difference.ci[0]), Math.abs(a.difference.ci[1]));
  const step = extent > 0.2 ? 0.1 : extent > 0.08 ? 0.05 : extent > 0.03 ? 0.02 : 0.01;
  const bound = Math.ceil(extent / step) * step;
  const x = linearScale([-bound, bound], [left, W - right]);
  const parts = [svgOpen(W, H, 'Ablations: full v3 minus component off')];
  const gridCount = Math.round((2 * bound) / step);
  for (let i = 0; i <= gridCount; i++) {
    const v = -bound + i * step;
    parts.push(
      line(x(v), top - 4, x(v), H - 26, `stroke="${Math.abs(v) < 1e-12 ? '#333' : '#e6e6e6'}"`),
    );
    parts.push(
      text(x(v), H - 12, `${v > 0 ? '+' : ''}${(100 * v).toFixed(0)}`, {
        'text-anchor': 'middle',
        fill: '#555',
      }),
    );
  }
  keys.forEach((a, g) => {
    const y0 = top + g * (models.length * barH + groupGap);
    parts.push(
      text(left - 8, y0 + (models.length * barH) / 2 + 4, a.key, {
        'text-anchor': 'end',
        'font-weight': 600,
      }),
    );
    models.forEach((m, i) => {
      const ab = m.ablations.find((z) => z.key === a.key)!;
      const yy = y0 + i * barH;
      const x0 = x(0);
      const x1 = x(ab.difference.rate);
      parts.push(
        `<rect x="${n(Math.min(x0, x1))}" y="${n(yy + 1)}" width="${n(Math.max(0.5, Math.abs(x1 - x0)))}" height="${barH - 2}" fill="${colour(i)}" fill-opacity="0.75"><title>${e(`${m.name}, ${a.key} off: ${pointsText(ab.difference)} — ${verdictText(ab.verdict, ab.difference)}`)}</title></rect>`,
      );
      parts.push(
        line(
          x(ab.difference.ci[0]),
          yy + barH / 2,
          x(ab.difference.ci[1]),
          yy + barH / 2,
          'stroke="#222" stroke-width="1"',
        ),
      );
    });
  });
  parts.push(
    text((left + W - right) / 2, H - 1, 'percentage points (> 0: the component helps)', {
      'text-anchor': 'middle',
      fill: '#555',
    }),
  );
  parts.push('</svg>');
  return {
    svg: wrap([parts.join('')]),
    legend: `${models.map((m, i) => swatch(colour(i), m.name)).join('')}<span>— 95% paired CI</span>`,
  };
}

/** Learned rate per model and version, with CIs. */
export function versionBars(runs: readonly BenchmarkResult[]): Chart {
  const names = runs[0]!.models.map((m) => m.name);
  const groupW = runs.length * 16 + 24;
  const W = Math.max(420, names.length * groupW + 150);
  const H = 300;
  const left = 120;
  const top = 16;
  const bottom = 80;
  let hi = 0;
  for (const r of runs) for (const m of r.models) hi = Math.max(hi, m.learned.ci[1], m.oracle.rate);
  const domain = niceDomain(0, hi + 0.02, 0.1);
  const y = linearScale(domain, [H - bottom, top]);
  const parts = [
    svgOpen(W, H, 'Learned rate by version'),
    percentAxis(y, domain, 0.1, left, W - 10),
  ];
  names.forEach((name, i) => {
    const gx = left + 12 + i * groupW;
    runs.forEach((r, v) => {
      const m = r.models.find((z) => z.name === name);
      if (m === undefined) return;
      const bx = gx + v * 16;
      parts.push(
        `<rect x="${n(bx)}" y="${n(y(m.learned.rate))}" width="13" height="${n(y(domain[0]) - y(m.learned.rate))}" fill="${colour(v)}"><title>${e(`${name} ${r.version}: ${estimateText(m.learned)}`)}</title></rect>`,
      );
      parts.push(line(bx + 6.5, y(m.learned.ci[0]), bx + 6.5, y(m.learned.ci[1]), 'stroke="#222"'));
    });
    const lx = gx + (runs.length * 16) / 2;
    parts.push(
      text(lx, H - bottom + 12, name, {
        'text-anchor': 'end',
        transform: `rotate(-30 ${n(lx)} ${n(H - bottom + 12)})`,
        fill: '#333',
      }),
    );
  });
  parts.push('</svg>');
  return {
    svg: wrap([parts.join('')]),
    legend: `${runs.map((r, v) => swatch(colour(v), r.version)).join('')}<span>— 95% CI</span>`,
  };
}

/** Bold 11 px text is at most about 6.6 px a character (a conservative estimate for system-ui). */
const TITLE_CHAR_WIDTH = 6.6;

/**
 * A panel's bold title from its left edge; a title longer than the panel is drawn squeezed to its
 * width (`textLength`) instead of running past the edge, where it would be cut off.
 */
export function panelTitle(content: string, width: number): string {
  return fitText(6, 14, content, width - 12, TITLE_CHAR_WIDTH, { 'font-weight': 600 });
}

/**
 * Text that must stay within `room` pixels: when `charWidth` per character says it may not, it is
 * drawn squeezed to `room` (`textLength`), so neither end is ever cut off by its panel.
 */
export function fitText(
  x: number,
  y: number,
  content: string,
  room: number,
  charWidth: number,
  attrs: Readonly<Record<string, string | number>> = {},
): string {
  const squeeze = content.length * charWidth > room;
  return text(x, y, content, {
    ...attrs,
    ...(squeeze ? { textLength: room, lengthAdjust: 'spacingAndGlyphs' } : {}),
  });
}

/**
 * Reliability diagrams, one panel per learner (pooled over models): each non-empty bin's mean
 * predicted probability against the mean exact success of those choices, the point's area
 * proportional to its count (labelled), and the diagonal of perfect calibration.
 */
export function reliabilityDiagrams(
  learners: readonly { learner: string; calibration: Calibration }[],
): Chart {
  const W = 250;
  const H = 250;
  const left = 38;
  const right = 10;
  const top = 22;
  const bottom = 34;
  const x = linearScale([0, 1], [left, W - right]);
  const y = linearScale([0, 1], [H - bottom, top]);
  const panels = learners.map(({ learner, calibration }, i) => {
    const c = colour(i);
    const max = Math.max(1, ...calibration.bins.map((b) => b.count));
    const parts = [
      svgOpen(W, H, `Reliability diagram of ${learner}`),
      panelTitle(
        `${learner} · ECE ${calibration.ece.toFixed(3)} · Brier ${calibration.brier.toFixed(3)}`,
        W,
      ),
    ];
    for (let t = 0; t <= 10; t += 2) {
      const v = t / 10;
      parts.push(line(x(v), y(0), x(v), y(1), 'stroke="#eee"'));
      parts.push(line(x(0), y(v), x(1), y(v), 'stroke="#eee"'));
      parts.push(
        text(x(v), H - bottom + 12, `${t * 10}`, { 'text-anchor': 'middle', fill: '#555' }),
      );
      parts.push(text(left - 4, y(v) + 3, `${t * 10}`, { 'text-anchor': 'end', fill: '#555' }));
    }
    parts.push(line(x(0), y(0), x(1), y(1), 'stroke="#999" stroke-dasharray="4 3"'));
    for (const bin of calibration.bins) {
      if (bin.count === 0) continue;
      const cx = x(bin.meanConfidence!);
      const cy = y(bin.meanOutcome!);
      const radius = 2 + 7 * Math.sqrt(bin.count / max);
      parts.push(
        `<circle cx="${n(cx)}" cy="${n(cy)}" r="${n(radius)}" fill="${c}" fill-opacity="0.55" stroke="${c}"><title>${e(
          `${percent(bin.lower, 0)}–${percent(bin.upper, 0)}: ${bin.count} predictions, mean predicted ${percent(bin.meanConfidence!)}, observed ${percent(bin.meanOutcome!)}`,
        )}</title></circle>`,
      );
      // The count beside its point, on the left when the right would leave the panel.
      const label = String(bin.count);
      const onRight = cx + radius + 2 + label.length * 5.5 <= W - 2;
      parts.push(
        text(onRight ? cx + radius + 2 : cx - radius - 2, cy + 3, label, {
          fill: '#333',
          'font-size': 9,
          ...(onRight ? {} : { 'text-anchor': 'end' }),
        }),
      );
    }
    parts.push(
      text((left + W - right) / 2, H - 6, 'predicted success (%)', {
        'text-anchor': 'middle',
        fill: '#555',
      }),
    );
    parts.push('</svg>');
    return parts.join('');
  });
  return {
    svg: wrap(panels),
    legend:
      '<span>● one confidence bin (area: predictions in it; number: its count)</span><span>y: observed (mean exact success of those choices, %)</span><span>- - perfect calibration</span>',
  };
}

type Shape = 'circle' | 'square' | 'diamond' | 'triangle';

function marker(
  shape: Shape,
  fillColour: string,
  hollow: boolean,
  x: number,
  y: number,
  title: string,
): string {
  const fill = hollow ? '#fff' : fillColour;
  const stroke = `stroke="${fillColour}" stroke-width="1.5"`;
  const tip = `<title>${e(title)}</title>`;
  switch (shape) {
    case 'circle':
      return `<circle cx="${n(x)}" cy="${n(y)}" r="5" fill="${fill}" ${stroke}>${tip}</circle>`;
    case 'square':
      return `<rect x="${n(x - 4.5)}" y="${n(y - 4.5)}" width="9" height="9" fill="${fill}" ${stroke}>${tip}</rect>`;
    case 'diamond':
      return `<polygon points="${n(x)},${n(y - 6)} ${n(x + 6)},${n(y)} ${n(x)},${n(y + 6)} ${n(x - 6)},${n(y)}" fill="${fill}" ${stroke}>${tip}</polygon>`;
    default:
      return `<polygon points="${n(x)},${n(y - 6)} ${n(x + 6)},${n(y + 5)} ${n(x - 6)},${n(y + 5)}" fill="${fill}" ${stroke}>${tip}</polygon>`;
  }
}

/** Where a marker's number goes: its baseline point and anchor. */
export interface LabelPlace {
  readonly x: number;
  readonly y: number;
  readonly anchor: 'start' | 'end';
}

type Box = readonly [number, number, number, number];

const overlaps = (a: Box, b: Box) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];

/**
 * Numbers beside markers without covering one another or another marker: each label, in order,
 * takes the first free spot of the rings around its marker (above right first), inside the plot
 * `[x0, y0, x1, y1]`; when none is free, the one that covers least. Bold 10 px digits are taken
 * as 6.5 px wide and 10 px tall; a marker as a 12 px square.
 */
export function placeLabels(
  centres: readonly (readonly [number, number])[],
  texts: readonly string[],
  plot: Box,
): LabelPlace[] {
  const markers: Box[] = centres.map(([cx, cy]) => [cx - 6, cy - 6, cx + 6, cy + 6]);
  const taken: Box[] = [];
  // Rings of spots around the marker, nearest first: above and below on either side, then beside.
  const offsets: [number, number, 'start' | 'end'][] = [];
  for (let ring = 0; ring < 4; ring++) {
    const dx = 7 + 8 * ring;
    offsets.push(
      [dx, -6 - 11 * ring, 'start'],
      [-dx, -6 - 11 * ring, 'end'],
      [dx, 13 + 11 * ring, 'start'],
      [-dx, 13 + 11 * ring, 'end'],
      [dx + 2, 4, 'start'],
      [-dx - 2, 4, 'end'],
    );
  }
  return centres.map(([cx, cy], i) => {
    const width = 6.5 * texts[i]!.length;
    let best: { place: LabelPlace; box: Box; cost: number } | null = null;
    for (const [dx, dy, anchor] of offsets) {
      const lx = cx + dx;
      const box: Box =
        anchor === 'start'
          ? [lx, cy + dy - 9, lx + width, cy + dy + 1]
          : [lx - width, cy + dy - 9, lx, cy + dy + 1];
      const outside =
        box[0] < plot[0] || box[2] > plot[2] || box[1] < plot[1] - 12 || box[3] > plot[3];
      const cost =
        (outside ? 100 : 0) +
        taken.filter((b) => overlaps(b, box)).length * 10 +
        markers.filter((b, k) => k !== i && overlaps(b, box)).length;
      if (best === null || cost < best.cost)
        best = { place: { x: lx, y: cy + dy, anchor }, box, cost };
      if (cost === 0) break;
    }
    taken.push(best!.box);
    return best!.place;
  });
}

interface Plotted {
  readonly policy: PolicyResult;
  readonly colour: string;
  readonly shape: Shape;
  readonly hollow: boolean;
}

function policyTitle(p: PolicyResult, tasks: number): string {
  const cost = p.meanCost === null ? '' : `, mean cost ${costText(p.meanCost)}`;
  return `${p.name}: ${estimateText(p)}${cost}, scored on ${p.tasks === tasks ? tasks : `${p.tasks} of ${tasks}`} tasks`;
}

function plotted(r: BenchmarkResult, m: number): Plotted[] {
  const model = r.models[m]!;
  const learned: Plotted[] = [
    { policy: model.learned, colour: colour(0), shape: 'circle', hollow: false },
    ...r.compared.map(
      (c, k): Plotted => ({
        policy: c.models[m]!.learned,
        colour: colour(1 + k),
        shape: 'circle',
        hollow: false,
      }),
    ),
  ];
  const tasks = r.evaluation.taskIds.length;
  return [
    ...learned,
    ...model.fixedArms
      .filter((p) => p.tasks > 0)
      .map(
        (p, i): Plotted => ({
          policy: p,
          colour: colour(1 + r.compared.length + i),
          shape: 'square',
          hollow: p.tasks < tasks,
        }),
      ),
    { policy: model.base, colour: '#555', shape: 'diamond', hollow: false },
    { policy: model.oracle, colour: '#2ca02c', shape: 'triangle', hollow: false },
  ];
}

/**
 * Pass rate (with its CI) against mean cost for every policy: the fixed arms' hull (what mixing
 * two fixed arms at random reaches), and each learner's frontier across the run's cost weights.
 * Markers are numbered and named in the legend below (no leader lines to cross).
 */
export function frontierChart(r: BenchmarkResult, m: number): Chart {
  const model = r.models[m]!;
  const tasks = r.evaluation.taskIds.length;
  const ps = plotted(r, m);
  const frontiers = [
    { name: model.learned.name, colour: colour(0), frontier: model.frontier },
    ...r.compared.map((c, k) => ({
      name: c.models[m]!.learned.name,
      colour: colour(1 + k),
      frontier: c.models[m]!.frontier,
    })),
  ];
  const W = 720;
  const H = 420;
  const left = 52;
  const right = 20;
  const top = 18;
  const bottom = 44;
  let costHi = 0;
  let lo = 1;
  let hi = 0;
  for (const p of ps) {
    costHi = Math.max(costHi, p.policy.costCi?.[1] ?? 0);
    lo = Math.min(lo, p.policy.ci[0]);
    hi = Math.max(hi, p.policy.ci[1]);
  }
  for (const f of frontiers)
    for (const pt of f.frontier?.points ?? []) {
      costHi = Math.max(costHi, pt.meanCost);
      lo = Math.min(lo, pt.ci[0]);
    }
  const tickStep = niceStep((costHi > 0 ? costHi : 1) / 5);
  const xDomain: [number, number] = [0, Math.ceil((costHi > 0 ? costHi : 1) / tickStep) * tickStep];
  const x = linearScale(xDomain, [left, W - right]);
  const domain = niceDomain(lo - 0.02, hi + 0.02, 0.1);
  const y = linearScale(domain, [H - bottom, top]);
  const parts = [
    svgOpen(W, H, 'Pass rate against cost'),
    percentAxis(y, domain, 0.1, left, W - right),
  ];
  for (let i = 0; i <= Math.round(xDomain[1] / tickStep); i++) {
    const c = i * tickStep;
    parts.push(line(x(c), H - bottom, x(c), H - bottom + 4, 'stroke="#555"'));
    parts.push(text(x(c), H - bottom + 16, costText(c), { 'text-anchor': 'middle', fill: '#555' }));
  }
  const costField =
    r.environment.kind === 'replay' ? (r.environment.fields.cost ?? 'cost') : 'cost';
  parts.push(
    text((left + W - right) / 2, H - 8, `mean cost per task (${costField})`, {
      'text-anchor': 'middle',
      fill: '#555',
    }),
  );
  const hull = model.fixedArmHull;
  if (hull !== null && hull.vertices.length > 0) {
    const vs = hull.vertices.map((v) => [x(v.cost), y(v.rate)] as const);
    const last = hull.vertices[hull.vertices.length - 1]!;
    if (last.cost < hull.costRange[1]) vs.push([x(hull.costRange[1]), y(last.rate)] as const);
    parts.push(polyline(vs, 'stroke="#999" stroke-width="2.5" stroke-opacity="0.7"'));
  }
  for (const f of frontiers) {
    const pts = f.frontier?.points ?? [];
    if (pts.length > 1) {
      parts.push(
        polyline(
          pts.map((p) => [x(p.meanCost), y(p.rate)] as const),
          `stroke="${f.colour}" stroke-width="1.5" stroke-dasharray="5 3"`,
        ),
      );
    }
    for (const p of pts) {
      parts.push(
        `<circle cx="${n(x(p.meanCost))}" cy="${n(y(p.rate))}" r="2.5" fill="${f.colour}"><title>${e(`${f.name} at cost weight ${p.costWeight}: ${percent(p.rate)} [${(100 * p.ci[0]).toFixed(1)}, ${(100 * p.ci[1]).toFixed(1)}], mean cost ${costText(p.meanCost)}`)}</title></circle>`,
      );
    }
  }
  const centres = ps.map((p) => [x(p.policy.meanCost ?? 0), y(p.policy.rate)] as const);
  const labels = placeLabels(
    centres,
    ps.map((_, i) => String(i + 1)),
    [left, top, W - right, H - bottom],
  );
  ps.forEach((p, i) => {
    const [cx, cy] = centres[i]!;
    parts.push(
      line(
        cx,
        y(p.policy.ci[0]),
        cx,
        y(p.policy.ci[1]),
        `stroke="${p.colour}" stroke-opacity="0.5"`,
      ),
    );
    parts.push(marker(p.shape, p.colour, p.hollow, cx, cy, policyTitle(p.policy, tasks)));
  });
  ps.forEach((p, i) => {
    const l = labels[i]!;
    parts.push(
      text(l.x, l.y, String(i + 1), {
        fill: p.colour,
        'font-size': 10,
        'font-weight': 600,
        // A white halo keeps the number readable where a line passes under it.
        stroke: '#fff',
        'stroke-width': 3,
        'paint-order': 'stroke',
        ...(l.anchor === 'end' ? { 'text-anchor': 'end' } : {}),
      }),
    );
  });
  parts.push('</svg>');
  const key = ps
    .map(
      (p, i) =>
        `<span style="color:${p.colour}">${i + 1} ${e(p.policy.name)}${p.policy.tasks < tasks ? ` (${p.policy.tasks}/${tasks} tasks)` : ''}</span>`,
    )
    .join('');
  return {
    svg: wrap([parts.join('')]),
    legend:
      `${key}<br><span>● learned (dashed: its frontier over the cost weights)</span><span>■ always one arm (hollow: fewer tasks)</span><span>◆ random</span><span style="color:#2ca02c">▲ oracle (knows the outcomes)</span>` +
      (hull === null
        ? ''
        : '<span style="color:#999">━ fixed-arm hull (mixing two arms at random)</span>') +
      '<span>vertical lines: 95% CIs of the pass rate</span>',
  };
}

/** Without a cost: pass rate per policy as bars with CIs. */
export function rateBars(r: BenchmarkResult, m: number): Chart {
  const ps = plotted(r, m);
  const tasks = r.evaluation.taskIds.length;
  const W = 640;
  const barH = 16;
  const left = 260;
  const top = 10;
  const H = top + ps.length * (barH + 6) + 34;
  const x = linearScale([0, 1], [left, W - 20]);
  const parts = [svgOpen(W, H, 'Pass rate by policy')];
  for (let i = 0; i <= 10; i += 2) {
    parts.push(line(x(i / 10), top - 4, x(i / 10), H - 26, 'stroke="#e3e3e3"'));
    parts.push(text(x(i / 10), H - 12, `${i * 10}%`, { 'text-anchor': 'middle', fill: '#555' }));
  }
  ps.forEach((p, i) => {
    const yy = top + i * (barH + 6);
    const suffix = p.policy.tasks < tasks ? ` (${p.policy.tasks}/${tasks})` : '';
    const label = p.policy.name.length > 38 ? `${p.policy.name.slice(0, 37)}…` : p.policy.name;
    // 11 px text runs up to about 7 px a character (capitals): squeezed to the room left of the bars
    // when longer, so the start of a long name is never cut off.
    const shown = `${label}${suffix}`;
    const room = left - 12;
    parts.push(
      text(left - 8, yy + barH - 4, shown, {
        'text-anchor': 'end',
        ...(shown.length * 7 > room ? { textLength: room, lengthAdjust: 'spacingAndGlyphs' } : {}),
      }),
    );
    parts.push(
      `<rect x="${n(left)}" y="${n(yy)}" width="${n(x(p.policy.rate) - left)}" height="${barH}" fill="${p.colour}" fill-opacity="${p.hollow ? 0.35 : 0.8}"><title>${e(policyTitle(p.policy, tasks))}</title></rect>`,
    );
    parts.push(
      line(x(p.policy.ci[0]), yy + barH / 2, x(p.policy.ci[1]), yy + barH / 2, 'stroke="#222"'),
    );
  });
  parts.push('</svg>');
  return { svg: wrap([parts.join('')]), legend: '<span>bars: pass rate; lines: 95% CI</span>' };
}

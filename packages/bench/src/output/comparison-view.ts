/**
 * The "compared with standard baselines" and calibration parts of a simulated run's report, as
 * plain tables of text that report.md and report.html both render (each escapes for itself).
 */
import type { BenchmarkResult, Calibration, LearnerSummary, Verdict } from '../protocol/result';
import { tableHtml } from './html-table';
import { markdownTable, mdText } from './markdown-table';
import { estimateText, percent, pointsText } from './report-data';
import { colour, escapeXml, line, linearScale, n, svgOpen, text } from './svg';

export interface ViewCell {
  readonly text: string;
  /** Set for a paired difference: colours it in HTML. */
  readonly verdict?: Verdict;
  readonly strong?: boolean;
  /** Text from results or data (a model or learner name): escaped in Markdown. */
  readonly name?: boolean;
}

export interface ViewTable {
  readonly header: readonly string[];
  readonly rows: readonly (readonly ViewCell[])[];
  /** Leading text columns (left-aligned). */
  readonly leftColumns: number;
}

/** How the run's learner is named in its own report. */
export function ownName(r: BenchmarkResult): string {
  return r.learner === 'sona' ? `SONA ${r.version}` : r.learner;
}

function differenceWord(verdict: Verdict): string {
  return verdict === 'helps' ? 'better' : verdict === 'hurts' ? 'worse' : 'no evidence';
}

/** Every learner of the run over all models: its figures, and the run's learner minus it. */
export function learnersTable(r: BenchmarkResult): ViewTable {
  const own = ownName(r);
  const row = (name: string, s: LearnerSummary, versus: ViewCell): ViewCell[] => [
    { text: name, strong: name === own, name: true },
    { text: estimateText(s.learned) },
    { text: s.captured.toFixed(2) },
    { text: s.worstEce.toFixed(3) },
    { text: s.meanBrier.toFixed(3) },
    versus,
  ];
  return {
    header: [
      'Learner',
      'Mean learned rate over models [95% CI]',
      'Mean captured',
      'Worst ECE',
      'Mean Brier',
      `${own} minus it (paired, mean over models)`,
    ],
    rows: [
      row(own, r.summary, { text: '—' }),
      ...r.compared.map((c, k) => {
        const v = r.versus[k]!;
        return row(c.learner, c.summary, {
          text: `${pointsText(v.mean.difference)}: ${differenceWord(v.mean.verdict)}`,
          verdict: v.mean.verdict,
        });
      }),
    ],
    leftColumns: 1,
  };
}

/** Per model (and the mean over models): the run's learner minus each compared learner. */
export function versusTable(r: BenchmarkResult): ViewTable {
  const own = ownName(r);
  return {
    header: ['Model', `${own} learned`, ...r.compared.map((c) => `${own} − ${c.learner}`)],
    rows: [
      ...r.models.map((m, i) => [
        { text: m.name, name: true },
        { text: estimateText(m.learned) },
        ...r.versus.map((v) => ({
          text: pointsText(v.models[i]!.difference),
          verdict: v.models[i]!.verdict,
        })),
      ]),
      [
        { text: 'mean over models', strong: true },
        { text: estimateText(r.summary.learned) },
        ...r.versus.map((v) => ({
          text: pointsText(v.mean.difference),
          verdict: v.mean.verdict,
          strong: true,
        })),
      ],
    ],
    leftColumns: 1,
  };
}

/** One sentence per compared learner: does the run's learner beat it? */
export function versusSentences(r: BenchmarkResult): string[] {
  const own = ownName(r);
  return r.versus.map((v) => {
    const better = v.models.filter((m) => m.verdict === 'helps').length;
    const worse = v.models.filter((m) => m.verdict === 'hurts').length;
    const mean = `${pointsText(v.mean.difference)} for the mean over models`;
    const verdict =
      v.mean.verdict === 'helps'
        ? `${own} beats ${v.against}`
        : v.mean.verdict === 'hurts'
          ? `${own} is worse than ${v.against}`
          : `no evidence that ${own} beats ${v.against} or the reverse`;
    return `${verdict}: ${mean} (paired 95% CI); better for ${better} of ${v.models.length} models, worse for ${worse}.`;
  });
}

/** Every learner's calibration (pooled over models) for the reliability diagram. */
export function calibrations(r: BenchmarkResult): { learner: string; calibration: Calibration }[] {
  return [
    { learner: ownName(r), calibration: r.summary.calibration },
    ...r.compared.map((c) => ({ learner: c.learner, calibration: c.summary.calibration })),
  ];
}

/** The reliability bins of every learner side by side: count, mean confidence → mean outcome. */
export function reliabilityTable(r: BenchmarkResult): ViewTable {
  const all = calibrations(r);
  const bins = all[0]!.calibration.bins;
  return {
    header: ['Confidence bin', ...all.map((c) => `${c.learner}: n, predicted → observed`)],
    rows: [
      ...bins.map((bin, b) => [
        { text: `${percent(bin.lower, 0)}–${percent(bin.upper, 0)}` },
        ...all.map(({ calibration }) => {
          const x = calibration.bins[b]!;
          return {
            text:
              x.count === 0
                ? '—'
                : `${x.count}: ${percent(x.meanConfidence!)} → ${percent(x.meanOutcome!)}`,
          };
        }),
      ]),
      [
        { text: 'ECE · Brier', strong: true },
        ...all.map(({ calibration }) => ({
          text: `${calibration.ece.toFixed(3)} · ${calibration.brier.toFixed(3)}`,
          strong: true,
        })),
      ],
    ],
    leftColumns: 1,
  };
}

/** A view table as Markdown (every cell's text escaped). */
export function viewMarkdown(table: ViewTable): string {
  return markdownTable(
    table.header,
    table.rows.map((row) =>
      row.map((cell) => {
        const text = cell.name === true ? mdText(cell.text) : cell.text;
        return cell.strong === true ? `**${text}**` : text;
      }),
    ),
    table.leftColumns,
  );
}

/** A view table as HTML (every cell's text escaped; differences coloured by verdict). */
export function viewHtml(table: ViewTable): string {
  return tableHtml(
    table.header,
    table.rows.map((row) =>
      row.map((cell) => {
        const inner =
          cell.strong === true ? `<b>${escapeXml(cell.text)}</b>` : escapeXml(cell.text);
        return cell.verdict === undefined ? inner : `<span class="${cell.verdict}">${inner}</span>`;
      }),
    ),
    table.leftColumns,
  );
}

/**
 * Reliability diagrams, one panel per learner (pooled over models): each non-empty bin's mean
 * predicted probability against the mean exact success probability of those choices, the
 * point's area proportional to its count (labelled), and the diagonal of perfect calibration.
 */
export function reliabilityDiagrams(r: BenchmarkResult): string {
  const W = 250;
  const H = 250;
  const left = 38;
  const right = 10;
  const top = 22;
  const bottom = 34;
  const x = linearScale([0, 1], [left, W - right]);
  const y = linearScale([0, 1], [H - bottom, top]);
  const panels = calibrations(r).map(({ learner, calibration }, i) => {
    const c = colour(i);
    const max = Math.max(1, ...calibration.bins.map((b) => b.count));
    const parts = [
      svgOpen(W, H, `Reliability diagram of ${learner}`),
      text(
        left,
        14,
        `${learner} · ECE ${calibration.ece.toFixed(3)} · Brier ${calibration.brier.toFixed(3)}`,
        {
          'font-weight': 600,
        },
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
        `<circle cx="${n(cx)}" cy="${n(cy)}" r="${n(radius)}" fill="${c}" fill-opacity="0.55" stroke="${c}"><title>${escapeXml(
          `${percent(bin.lower, 0)}–${percent(bin.upper, 0)}: ${bin.count} predictions, mean predicted ${percent(bin.meanConfidence!)}, observed ${percent(bin.meanOutcome!)}`,
        )}</title></circle>`,
      );
      parts.push(
        text(cx + radius + 2, cy + 3, String(bin.count), { fill: '#333', 'font-size': 9 }),
      );
    }
    parts.push(
      text((left + W - right) / 2, H - 6, 'predicted success (%)', {
        'text-anchor': 'middle',
        fill: '#555',
      }),
    );
    parts.push('</svg>');
    return `<div class="chart">${parts.join('')}</div>`;
  });
  const legend =
    '<div class="legend"><span>● one confidence bin (area: predictions in it, number: its count)</span><span>y: observed (mean exact success probability of those choices, %)</span><span>- - perfect calibration</span></div>';
  return `${legend}<div class="charts">${panels.join('')}</div>`;
}

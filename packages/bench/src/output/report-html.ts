import type { BenchmarkResult, ModelResult } from '../protocol/result';
import {
  learnersTable,
  reliabilityDiagrams,
  versusSentences,
  versusTable,
  viewHtml,
} from './comparison-view';
import type { LoadedResult } from './files';
import { tableHtml } from './html-table';
import { REPLAY_STYLE, replayHtml } from './replay-report';
import {
  efficiencyText,
  estimateText,
  learnerText,
  paramsText,
  percent,
  pointsText,
  type ReportData,
  type RunGroup,
  ratioText,
  runHeading,
  verdictText,
  verdictWord,
} from './report-data';
import {
  colour,
  escapeXml,
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

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
main{max-width:1280px;margin:0 auto;padding:0 20px 40px}
.banner{background:#b3261e;color:#fff;padding:14px 20px;font-size:15px;line-height:1.45}
.banner strong{font-size:18px;letter-spacing:.08em;margin-right:8px}
.banner.replay{background:#0b5394}
h1{font-size:26px;margin:22px 0 6px}h2{font-size:20px;margin:34px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:16px;margin:22px 0 8px}
.sim{display:inline-block;background:#b3261e;color:#fff;font-size:11px;font-weight:700;padding:2px 6px;border-radius:3px;vertical-align:middle;margin-right:6px;letter-spacing:.06em}
.meta{color:#555;font-size:13px;line-height:1.5}
table{border-collapse:collapse;font-size:12.5px;margin:6px 0 10px;background:#fff}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:right;white-space:nowrap}
th{background:#f0f0f0}.l{text-align:left}
.scroll{overflow-x:auto;max-width:100%}
.note{color:#555;font-size:12.5px;max-width:900px}
.charts{display:flex;flex-wrap:wrap;gap:10px}
.chart{display:inline-block;background:#fff;border:1px solid #e0e0e0;padding:6px;max-width:100%;overflow-x:auto}
.legend{font-size:12px;color:#333;margin:4px 0}.legend span{display:inline-block;margin-right:12px}
.sw{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
.helps{color:#1b7a2b}.hurts{color:#b3261e}.no-evidence{color:#8a6d00}
code{font-size:12px}
`;

const e = escapeXml;

/** Small multiples: validation rate per epoch with its CI band, base and oracle on the same tasks. */
function learningCurves(r: BenchmarkResult): string {
  const models = r.models;
  let lo = 1;
  let hi = 0;
  for (const m of models) {
    lo = Math.min(lo, m.crossValidation.base.rate, ...m.history.map((h) => h.valid.ci[0]));
    hi = Math.max(hi, m.crossValidation.oracle.rate, ...m.history.map((h) => h.valid.ci[1]));
  }
  const domain = niceDomain(lo - 0.02, hi + 0.02, 0.1);
  const W = 280;
  const H = 190;
  const left = 38;
  const right = 10;
  const top = 22;
  const bottom = 28;
  const epochs = r.config.epochs;
  const x = linearScale([0, Math.max(1, epochs)], [left, W - right]);
  const y = linearScale(domain, [H - bottom, top]);
  const panels = models.map((m, i) => {
    const c = colour(i);
    const band = [
      ...m.history.map((h) => [x(h.epoch), y(h.valid.ci[1])] as const),
      ...[...m.history].reverse().map((h) => [x(h.epoch), y(h.valid.ci[0])] as const),
    ];
    const parts = [
      svgOpen(W, H, `Learning curve of ${m.name}`),
      text(left, 14, m.name, { 'font-weight': 600 }),
      percentAxis(y, domain, 0.1, left, W - right),
      polygon(band, `fill="${c}" fill-opacity="0.25" stroke="none"`),
      line(
        left,
        y(m.crossValidation.base.rate),
        W - right,
        y(m.crossValidation.base.rate),
        'stroke="#777" stroke-dasharray="4 3"',
      ),
      line(
        left,
        y(m.crossValidation.oracle.rate),
        W - right,
        y(m.crossValidation.oracle.rate),
        'stroke="#2ca02c" stroke-dasharray="6 3"',
      ),
      polyline(
        m.history.map((h) => [x(h.epoch), y(h.valid.rate)] as const),
        `stroke="${c}" stroke-width="2"`,
      ),
      ...m.history.map(
        (h) =>
          `<circle cx="${n(x(h.epoch))}" cy="${n(y(h.valid.rate))}" r="2.5" fill="${c}"><title>${e(`epoch ${h.epoch}: ${estimateText(h.valid)}`)}</title></circle>`,
      ),
      text((left + W - right) / 2, H - 6, 'epoch', { 'text-anchor': 'middle', fill: '#555' }),
    ];
    for (let ep = 0; ep <= epochs; ep += epochs > 8 ? 2 : 1) {
      parts.push(
        text(x(ep), H - bottom + 12, String(ep), { 'text-anchor': 'middle', fill: '#555' }),
      );
    }
    parts.push('</svg>');
    return `<div class="chart">${parts.join('')}</div>`;
  });
  const legend =
    '<div class="legend"><span>— validation rate (band: 95% CI)</span><span style="color:#777">- - base (random arm)</span><span style="color:#2ca02c">- - oracle</span></div>';
  return `${legend}<div class="charts">${panels.join('')}</div>`;
}

/** Base, learned (with CI) and oracle against model size on a log axis. */
function rateVsSize(r: BenchmarkResult): string {
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
  const ticks = [...new Set(sizes)].sort((a, b) => a - b);
  for (const t of ticks) {
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
      { 'text-anchor': 'middle', fill: '#555' },
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
  const legend = `<div class="legend"><span>● learned (line: 95% CI)</span><span>○ base (random arm)</span><span>▬ oracle</span>${r.models
    .map((m, i) => `<span><i class="sw" style="background:${colour(i)}"></i>${e(m.name)}</span>`)
    .join('')}</div>`;
  return `${legend}<div class="chart">${parts.join('')}</div>`;
}

/** Per component, per model: full v3 minus the ablated run, with its paired CI. */
function ablationBars(r: BenchmarkResult): string {
  const keys = r.config.ablations;
  const models = r.models;
  const barH = 9;
  const groupGap = 14;
  const left = 190;
  const right = 30;
  const top = 16;
  const W = 760;
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
        `<rect x="${n(Math.min(x0, x1))}" y="${n(yy + 1)}" width="${n(Math.max(0.5, Math.abs(x1 - x0)))}" height="${barH - 2}" fill="${colour(i)}" fill-opacity="0.75"><title>${e(`${m.name}, ${a.key} off: ${pointsText(ab.difference)} — ${verdictText(ab.verdict)}`)}</title></rect>`,
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
  const legend = `<div class="legend">${models.map((m, i) => `<span><i class="sw" style="background:${colour(i)}"></i>${e(m.name)}</span>`).join('')}<span>— 95% paired CI</span></div>`;
  return `${legend}<div class="chart">${parts.join('')}</div>`;
}

/** Learned rate per model and version, with CIs. */
function versionBars(group: RunGroup): string {
  const runs = group.runs.map((r) => r.result);
  const names = runs[0]!.models.map((m) => m.name);
  const W = Math.max(420, names.length * (runs.length * 16 + 24) + 150);
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
  const groupW = runs.length * 16 + 24;
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
    parts.push(
      text(gx + (runs.length * 16) / 2, H - bottom + 12, name, {
        'text-anchor': 'end',
        transform: `rotate(-30 ${n(gx + (runs.length * 16) / 2)} ${n(H - bottom + 12)})`,
        fill: '#333',
      }),
    );
  });
  parts.push('</svg>');
  const legend = `<div class="legend">${runs.map((r, v) => `<span><i class="sw" style="background:${colour(v)}"></i>${r.version}</span>`).join('')}<span>— 95% CI</span></div>`;
  return `${legend}<div class="chart">${parts.join('')}</div>`;
}

function leaderboards(r: BenchmarkResult): string {
  const byLearned = [...r.models].sort(
    (a, b) => b.learned.rate - a.learned.rate || a.name.localeCompare(b.name),
  );
  const byEff = [...r.models].sort(
    (a, b) => b.efficiencyPerB.rate - a.efficiencyPerB.rate || a.name.localeCompare(b.name),
  );
  const rows = byLearned.map((m: ModelResult, i) => [
    String(i + 1),
    e(m.name),
    paramsText(m.paramsB),
    m.loraRank === null ? '—' : String(m.loraRank),
    estimateText(m.base),
    `<b>${estimateText(m.learned)}</b>`,
    estimateText(m.oracle),
    pointsText(m.gain),
    ratioText(m.captured),
    percent(m.confidence.mean),
    m.confidence.ece.toFixed(3),
    m.confidence.brier.toFixed(3),
  ]);
  const eff = byEff.map((m, i) => [
    String(i + 1),
    e(m.name),
    paramsText(m.paramsB),
    estimateText(m.learned),
    `<b>${efficiencyText(m.efficiencyPerB)}</b>`,
  ]);
  return [
    '<h3>Leaderboard by learned rate (held-out tasks)</h3>',
    tableHtml(
      [
        '#',
        'Model',
        'Params',
        'LoRA rank',
        'Base (random arm)',
        'Learned',
        'Oracle',
        'Gain',
        'Captured',
        'Confidence',
        'ECE',
        'Brier',
      ],
      rows,
      2,
    ),
    '<p class="note">Base: a uniformly random arm. Learned: the greedy choices of the five fold learners, averaged. Oracle: the best arm for each task. Captured: (learned − base) / (oracle − base). Confidence: mean predicted success of the chosen arm; ECE (10 bins) and Brier against the exact success probabilities.</p>',
    '<h3>Leaderboard by efficiency (learned rate per billion parameters)</h3>',
    tableHtml(['#', 'Model', 'Params', 'Learned', 'Efficiency'], eff, 2),
  ].join('');
}

function runSection(entry: LoadedResult): string {
  const r = entry.result;
  const c = r.config;
  const parts = [
    `<h2>${e(runHeading(r.title))}</h2>`,
    `<p class="meta">Learner: ${e(learnerText(r.learner))} · version ${r.version} · mode ${r.mode} · seed ${r.seed} · profiles <code>${e(c.profiles)}</code> · ${c.epochs} epochs × ${c.tasksPerEpoch} training tasks · pool of ${c.poolSize} tasks, ${c.holdoutTasks} held out · ${c.folds}-fold cross-validation · ${c.bootstrapResamples} bootstrap resamples<br>file <code>${e(entry.file)}</code> · resultHash <code>${e(r.resultHash)}</code>${entry.hashOk ? '' : ' <b class="hurts">does not match the content</b>'}</p>`,
    leaderboards(r),
    ...(r.compared.length > 0
      ? [
          '<h3>Compared with standard baselines (same protocol, tasks and attempt streams; paired)</h3>',
          viewHtml(learnersTable(r)),
          viewHtml(versusTable(r)),
          `<ul class="note">${versusSentences(r)
            .map((t) => `<li>${e(t)}</li>`)
            .join('')}</ul>`,
          '<p class="note">Each baseline ran in this run on the same tasks, splits and attempt streams, so every difference is paired over the held-out tasks (2000 bootstrap resamples). The mean over models averages each task’s rate over the models first. Green: the run’s learner is better (CI above 0); amber: no evidence either way; red: worse. Baselines use textbook defaults, never tuned on results.</p>',
        ]
      : []),
    '<h3>Calibration: reliability diagrams (pooled over models)</h3>',
    reliabilityDiagrams(r),
    '<h3>Learning curves (validation tasks, every non-held-out task once)</h3>',
    learningCurves(r),
    '<h3>Rate against model size (held-out tasks)</h3>',
    rateVsSize(r),
  ];
  if (c.ablations.length > 0) {
    parts.push(
      '<h3>Ablations: full v3 minus each component switched off (paired over held-out tasks)</h3>',
    );
    parts.push(ablationBars(r));
    parts.push(
      tableHtml(
        ['Component off', ...r.models.map((m) => m.name)],
        c.ablations.map((a) => [
          `<code>${e(a.key)}</code> ${e(a.component)}`,
          ...r.models.map((m) => {
            const ab = m.ablations.find((z) => z.key === a.key)!;
            return `<span class="${ab.verdict}" title="${e(`without it: ${estimateText(ab.learned)}`)}">${pointsText(ab.difference)}<br>${e(verdictWord(ab.verdict))}</span>`;
          }),
        ]),
      ),
      '<p class="note">Each cell: full v3 minus v3 with the component switched off, in percentage points, paired over the held-out tasks (95% CI). Green: the component helps (CI above 0). Amber: no evidence it helps (CI includes 0). Red: it hurts.</p>',
    );
  }
  parts.push(
    '<h3>Profile inputs (not results)</h3>',
    tableHtml(
      ['Model', 'Params', 'Target base rate (input)', 'κ (calibrated)'],
      r.environment.profiles.map((p) => [
        e(p.name),
        paramsText(p.paramsB),
        percent(p.targetBaseRate),
        p.kappa.toFixed(4),
      ]),
    ),
  );
  return `<section>${parts.join('')}</section>`;
}

function comparisonSection(group: RunGroup): string {
  if (group.comparisons.length === 0) return '';
  const names = group.runs[0]!.result.models.map((m) => m.name);
  const rows = names.map((name) => [
    e(name),
    ...group.runs.map((r) => {
      const m = r.result.models.find((z) => z.name === name);
      return m === undefined ? '—' : estimateText(m.learned);
    }),
    ...group.comparisons.map((c) => {
      const m = c.models.find((z) => z.name === name);
      return m === undefined
        ? '—'
        : `<span class="${m.verdict}">${pointsText(m.difference)}</span>`;
    }),
  ]);
  return [
    `<h2><span class="sim">SIMULATED</span>Version comparison (${e(group.mode)} mode, seed ${group.seed}, profiles <code>${e(group.profiles)}</code>, ${e(learnerText(group.learner))})</h2>`,
    versionBars(group),
    tableHtml(
      [
        'Model',
        ...group.runs.map((r) => `${r.result.version} learned`),
        ...group.comparisons.map((c) => `${c.to} − ${c.from} (paired)`),
      ],
      rows,
    ),
    '<p class="note">Green: the later version is better (paired 95% CI above 0). Amber: no evidence either way (CI includes 0). Red: the later version is worse.</p>',
    new Set(group.runs.map((r) => r.result.config.epochs * r.result.config.tasksPerEpoch)).size > 1
      ? `<p class="note">The versions train on different budgets (epochs × tasks per epoch, per fold learner: ${e(group.runs.map((r) => `${r.result.version} ${r.result.config.epochs} × ${r.result.config.tasksPerEpoch}`).join(', '))}), as the SPEC's mode table sets them: a difference measures a version with its budget, not the algorithm alone.</p>`
      : '',
  ].join('');
}

const SIMULATED_BANNER =
  '<div class="banner"><strong>SIMULATED</strong> Every number on this page comes from the simulated environment of @sona/bench: a seeded world with known ground truth, not real tasks or real models. Model names only label profiles; their base rates are inputs the world is calibrated to, not measurements.</div>';

const MIXED_BANNER =
  '<div class="banner"><strong>SIMULATED</strong> and <strong>REAL</strong> results on one page: sections marked SIMULATED come from the simulated environment of @sona/bench (a seeded world with known ground truth, not real tasks or models; model names only label profiles). Sections marked REAL LOGGED DATA replay outcomes logged by real runs.</div>';

const REPLAY_BANNER =
  '<div class="banner replay"><strong>REAL LOGGED DATA</strong> Every number on this page replays outcomes logged by real runs, scored on held-out tasks with 95% bootstrap confidence intervals. Logs are small: each section says how many tasks it rests on and how wide its intervals are.</div>';

/** The folder's report.html: one self-contained page (inline CSS and SVG, no scripts). */
export function renderHtmlReport(data: ReportData): string {
  const simulated = data.groups.length > 0;
  const replay = data.replayGroups.length > 0;
  const body: string[] = [];
  for (const group of data.groups) {
    for (const run of group.runs) body.push(runSection(run));
    body.push(comparisonSection(group));
  }
  if (replay) body.push(replayHtml(data.replayGroups));
  if (!simulated && !replay) body.push('<p>No benchmark results in this folder.</p>');
  if (data.skipped.length > 0) {
    body.push(
      `<h2>Files not included</h2><ul>${data.skipped.map((s) => `<li>${e(s)}</li>`).join('')}</ul>`,
    );
  }
  const title =
    replay && !simulated
      ? 'Replay benchmark report: real logged data'
      : replay
        ? 'Benchmark report: SIMULATED and real logged data'
        : 'SIMULATED benchmark report';
  const intro =
    replay && !simulated
      ? 'Rates are exact expected pass rates over the logged trials on held-out tasks, with 95% seeded bootstrap confidence intervals; comparisons are paired over the same tasks.'
      : 'Rates are exact expected success rates on held-out tasks, with 95% seeded bootstrap confidence intervals; comparisons are paired over the same tasks.';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · @sona/bench</title>
<style>${STYLE}${replay ? REPLAY_STYLE : ''}</style>
</head>
<body>
${replay && !simulated ? REPLAY_BANNER : replay ? MIXED_BANNER : SIMULATED_BANNER}
<main>
<h1>${title}</h1>
<p class="meta">${intro}</p>
${body.join('\n')}
</main>
</body>
</html>
`;
}

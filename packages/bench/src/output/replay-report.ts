/**
 * The replay sections of report.md and report.html: real logged data, never called SIMULATED,
 * always saying how few tasks there are and how wide the intervals are.
 */
import { type Verdict, verdictOf } from '../protocol/result';
import { INTERVAL_CAVEAT_START, intervalCaveat } from '../replay/assemble';
import type { PolicyResult, ReplayResult } from '../replay/result';
import type { Estimate } from '../stats/bootstrap';
import { tableHtml } from './html-table';
import { markdownTable } from './markdown-table';
import type { ReplayGroup } from './replay-report-data';
import { estimateText, learnerText, percent, pointsText, ratioText } from './report-data';
import {
  colour,
  escapeXml as e,
  line,
  linearScale,
  n,
  niceDomain,
  percentAxis,
  polyline,
  svgOpen,
  text,
} from './svg';

/** A cost in the data's own units: whole numbers from 1000 up, else three significant digits. */
export function costText(x: number): string {
  if (x === 0) return '0';
  if (Math.abs(x) >= 1000) return Math.round(x).toString();
  return Number(x.toPrecision(3)).toString();
}

function costEstimateText(p: PolicyResult): string {
  if (p.meanCost === null || p.costCi === null) return '—';
  return `${costText(p.meanCost)} [${costText(p.costCi[0])}, ${costText(p.costCi[1])}]`;
}

function utilityText(u: Estimate | null): string {
  return u === null ? '—' : ratioText(u, 3);
}

/** A learned-minus-baseline verdict in words: better, worse or no evidence. */
export function comparisonWord(verdict: Verdict): string {
  return verdict === 'helps' ? 'better' : verdict === 'hurts' ? 'worse' : 'no evidence';
}

function shortHash(hash: string): string {
  return hash.slice(0, 12);
}

function policyLabel(p: PolicyResult): string {
  if (p.kind === 'oracle') return 'oracle (best logged arm per task; knows the outcomes)';
  if (p.kind === 'random') return 'random (a uniformly random logged arm)';
  return p.name;
}

function scoredOn(p: PolicyResult, tasks: number): string {
  return p.tasks === tasks ? String(tasks) : `${p.tasks} of ${tasks}`;
}

interface GroupView {
  readonly first: ReplayResult;
  readonly runs: readonly ReplayResult[];
  readonly tasks: number;
  readonly costWeight: number;
  readonly hasCost: boolean;
  readonly policies: readonly PolicyResult[];
}

function view(group: ReplayGroup): GroupView {
  const runs = group.runs.map((r) => r.result);
  const first = runs[0]!;
  return {
    first,
    runs,
    tasks: first.environment.tasks,
    costWeight: first.config.costWeight,
    hasCost: first.learned.meanCost !== null,
    policies: [...runs.map((r) => r.learned), ...first.baselines],
  };
}

/** The runs' caveats, with the interval statement made over every policy of the group. */
function groupCaveats(v: GroupView): string[] {
  return v.first.caveats.map((c) =>
    c.startsWith(INTERVAL_CAVEAT_START) ? intervalCaveat(v.policies) : c,
  );
}

function groupHeading(v: GroupView): string {
  const f = v.first;
  const who =
    f.learner === 'sona'
      ? `SONA ${v.runs.map((r) => r.version).join(', ')}`
      : `${learnerText(f.learner)}, ${v.runs.map((r) => r.version).join(', ')} schedules`;
  const weight = v.costWeight > 0 ? ` · cost weight ${v.costWeight}` : '';
  return `Real logged data: ${f.environment.source.name} · ${who} · ${f.mode} mode · seed ${f.seed}${weight}`;
}

function bannerText(v: GroupView): string {
  const f = v.first;
  return (
    `Real logged outcomes, not a simulation: every number in this section replays the outcomes ` +
    `logged in ${f.environment.source.name} (SHA-256 ${shortHash(f.environment.source.sha256)}…). ` +
    `There are only ${v.tasks} tasks, so every interval is wide; read a difference as real only ` +
    'when its paired interval excludes 0.'
  );
}

function protocolText(v: GroupView): string {
  const f = v.first;
  const env = f.environment;
  const c = f.config;
  const fields = Object.entries(env.fields)
    .map(([k, p]) => `${k}=${p}`)
    .join(' ');
  return (
    `${env.tasks} tasks · arms ${env.arms.join(', ')} · ${env.rowsUsed} rows used, ${env.rowsSkipped} skipped ` +
    `(${env.skipped.noOutcome} without an outcome, ${env.skipped.noCost} without a cost, ${env.skipped.malformed} malformed) · ` +
    `${env.folds}-fold cross-validation over tasks (${c.requestedFolds} asked for) · ${c.epochs} epochs × ${c.tasksPerEpoch} attempts per fold · ` +
    `${c.bootstrapResamples} bootstrap resamples · fields ${fields}`
  );
}

function curveText(r: ReplayResult): string {
  return r.history.map((h) => percent(h.heldOut.rate)).join(' → ');
}

function paretoText(v: GroupView, pareto: readonly string[]): string {
  const byName = new Map(v.policies.map((p) => [p.name, p]));
  return pareto
    .map((name) => {
      const p = byName.get(name)!;
      return `${name} (${percent(p.rate)} at ${costText(p.meanCost!)})`;
    })
    .join(' → ');
}

function armCell(r: ReplayResult['tasks'][number], arm: string): string {
  const log = r.arms.find((a) => a.arm === arm);
  if (log === undefined) return '—';
  const successes = Math.round(log.successRate * log.trials);
  return `${successes}/${log.trials}`;
}

/** Per-task tables are shown up to this many tasks (the JSON always has them). */
const TASK_TABLE_LIMIT = 100;

// ---------------------------------------------------------------- Markdown

/** Text from the data inside a Markdown table cell: a `|` would end the cell. */
function md(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

function markdownGroup(group: ReplayGroup): string {
  const v = view(group);
  const { first, runs } = v;
  const out: string[] = [];
  out.push(`## ${groupHeading(v)}`, '');
  out.push(`> **REAL LOGGED DATA.** ${bannerText(v)}`, '');
  for (const caveat of groupCaveats(v)) out.push(`- ${caveat}`);
  out.push('', protocolText(v), '');
  for (const entry of group.runs) {
    out.push(
      `- ${entry.result.version}: file \`${entry.file}\` · resultHash \`${entry.result.resultHash}\`` +
        `${entry.hashOk ? '' : ' (**does not match the content**)'}`,
    );
  }
  out.push('');

  out.push('### Pass rate and cost on held-out tasks', '');
  const weight = v.costWeight > 0;
  out.push(
    markdownTable(
      [
        'Policy',
        'Scored on (tasks)',
        'Pass rate [95% CI]',
        `Mean cost${v.hasCost ? ` (${first.environment.fields.cost})` : ''} [95% CI]`,
        ...(weight ? [`Pass − ${v.costWeight}·cost`] : []),
        'Pareto frontier',
      ],
      v.policies.map((p) => [
        p.kind === 'learned' ? `**${md(p.name)}**` : md(policyLabel(p)),
        scoredOn(p, v.tasks),
        estimateText(p),
        costEstimateText(p),
        ...(weight ? [utilityText(p.utility)] : []),
        group.pareto === null
          ? '—'
          : group.pareto.includes(p.name)
            ? 'on it'
            : p.kind === 'oracle'
              ? 'not a policy'
              : p.tasks < v.tasks
                ? 'fewer tasks'
                : '',
      ]),
    ),
    '',
  );
  out.push(
    'Every rate is the exact mean of the logged outcomes of the arm chosen for each task (a task is ' +
      'held out once; the learned policy is the greedy choice of the learner trained on the other ' +
      'folds). `always:<arm>` is scored on the tasks that logged that arm only.',
    '',
  );
  if (group.pareto !== null) {
    out.push(
      `Pareto frontier (pass rate against mean cost, policies scored on every task): ${paretoText(v, group.pareto)}.`,
      '',
    );
  }

  out.push('### Learned policy minus each baseline (paired over the tasks both are scored on)', '');
  out.push(
    markdownTable(
      ['Baseline', 'Tasks', ...runs.map((r) => r.learned.name)],
      first.baselines.map((b) => [
        md(b.name),
        String(b.tasks),
        ...runs.map((r) => {
          const c = r.comparisons.find((x) => x.against === b.name)!;
          const utility =
            c.utility === null
              ? ''
              : `; pass − w·cost ${ratioText(c.utility, 3)}: ${comparisonWord(verdictOf(c.utility))}`;
          return `${pointsText(c.difference)}: ${comparisonWord(c.verdict)}${utility}`;
        }),
      ]),
    ),
    '',
  );
  if (group.comparisons.length > 0) {
    out.push(`### Versions compared (paired over all ${v.tasks} tasks)`, '');
    out.push(
      markdownTable(
        ['Comparison', 'Difference [95% CI]', 'Verdict'],
        group.comparisons.map((c) => [
          `${c.to} − ${c.from}`,
          pointsText(c.difference),
          comparisonWord(c.verdict),
        ]),
      ),
      '',
    );
  }
  out.push('### Learning and calibration', '');
  out.push(
    markdownTable(
      [
        'Policy',
        'Held-out pass rate by epoch (0 = untrained)',
        'Captured',
        'Confidence',
        'ECE',
        'Brier',
      ],
      runs.map((r) => [
        r.learned.name,
        curveText(r),
        r.captured === null ? '—' : ratioText(r.captured),
        percent(r.confidence.mean),
        r.confidence.ece.toFixed(3),
        r.confidence.brier.toFixed(3),
      ]),
    ),
    '',
  );
  out.push(
    'Captured: (learned − random) / (oracle − random). Confidence: the learner’s mean predicted ' +
      'success of its choice; ECE (10 bins) and Brier against the mean logged outcome of that choice.',
    '',
  );
  if (v.tasks <= TASK_TABLE_LIMIT) {
    out.push(`### Per task (logged successes/trials per arm; the arm each version chose)`, '');
    out.push(
      markdownTable(
        [
          'Task',
          'Type',
          'Fold',
          ...first.environment.arms.map(md),
          ...runs.map((r) => r.learned.name),
        ],
        first.tasks.map((t, i) => [
          md(t.id),
          md(t.label ?? '—'),
          String(t.fold),
          ...first.environment.arms.map((arm) => armCell(t, arm)),
          ...runs.map((r) => md(r.tasks[i]!.learnedArm)),
        ]),
        2,
      ),
      '',
    );
  }
  out.push(dataNotes(first), '');
  return out.join('\n');
}

function dataNotes(r: ReplayResult): string {
  const env = r.environment;
  const types = env.typeMap
    .map((t) => `${t.label === null ? '(no label)' : t.label} → ${t.type} (${t.tasks})`)
    .join(', ');
  const lines = [
    `Data: ${env.source.name}, ${env.source.bytes} bytes, ${env.source.lines} lines, SHA-256 \`${env.source.sha256}\`. ` +
      `Types: ${types}. Embeddings: ${env.embeddings.embedding} given, ${env.embeddings.text} from text, ` +
      `${env.embeddings.id} from type label and id. Every task has difficulty ${r.config.taskDifficulty} ` +
      `(${r.config.taskBucket}); a logged value ≥ ${r.config.successThreshold} counts as a success.`,
  ];
  if (env.malformedLines.length > 0) {
    lines.push(
      `Malformed lines skipped: ${env.malformedLines.map((m) => `line ${m.line} (${m.reason})`).join('; ')}.`,
    );
  }
  return lines.join('\n\n');
}

/** The replay part of report.md (empty without replay results). */
export function replayMarkdown(groups: readonly ReplayGroup[]): string {
  return groups.map(markdownGroup).join('\n');
}

export const REPLAY_MARKDOWN_TITLE = '# Replay benchmark report (@sona/bench): real logged data';

// ---------------------------------------------------------------- HTML

interface Marker {
  readonly policy: PolicyResult;
  readonly colour: string;
  readonly shape: 'circle' | 'square' | 'diamond' | 'triangle';
  readonly hollow: boolean;
}

function markerSvg(m: Marker, x: number, y: number, title: string): string {
  const fill = m.hollow ? '#fff' : m.colour;
  const stroke = `stroke="${m.colour}" stroke-width="1.5"`;
  const tip = `<title>${e(title)}</title>`;
  switch (m.shape) {
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

function markers(v: GroupView): Marker[] {
  const learned = v.runs.map(
    (r, i): Marker => ({ policy: r.learned, colour: colour(i), shape: 'circle', hollow: false }),
  );
  const baselines = v.first.baselines.map((b, i): Marker => {
    if (b.kind === 'oracle')
      return { policy: b, colour: '#2ca02c', shape: 'triangle', hollow: false };
    if (b.kind === 'random') return { policy: b, colour: '#555', shape: 'diamond', hollow: false };
    return {
      policy: b,
      colour: colour(v.runs.length + i),
      shape: 'square',
      hollow: b.tasks < v.tasks,
    };
  });
  return [...learned, ...baselines];
}

function markerTitle(p: PolicyResult, tasks: number): string {
  const cost = p.meanCost === null ? '' : `, mean cost ${costEstimateText(p)}`;
  return `${p.name}: pass rate ${estimateText(p)}${cost}, scored on ${scoredOn(p, tasks)} tasks`;
}

/** 1, 2 or 5 times a power of ten, the smallest at least `raw` (> 0). */
export function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5]) if (m * power >= raw) return m * power;
  return 10 * power;
}

/** Pass rate (with its CI) against mean cost; the frontier as a dashed line. */
function frontierChart(group: ReplayGroup, v: GroupView): string {
  const W = 780;
  const H = 420;
  const left = 52;
  const right = 170;
  const top = 18;
  const bottom = 44;
  const ms = markers(v);
  let costHi = 0;
  let lo = 1;
  let hi = 0;
  for (const m of ms) {
    costHi = Math.max(costHi, m.policy.costCi![1]);
    lo = Math.min(lo, m.policy.ci[0]);
    hi = Math.max(hi, m.policy.ci[1]);
  }
  const tickStep = niceStep((costHi > 0 ? costHi : 1) / 5);
  const xDomain: [number, number] = [0, Math.ceil((costHi > 0 ? costHi : 1) / tickStep) * tickStep];
  const x = linearScale(xDomain, [left, W - right]);
  const domain = niceDomain(lo - 0.02, hi + 0.02, 0.1);
  const y = linearScale(domain, [H - bottom, top]);
  const parts = [
    svgOpen(W, H, 'Pass rate against cost (Pareto frontier)'),
    percentAxis(y, domain, 0.1, left, W - right),
  ];
  const ticks = Math.round(xDomain[1] / tickStep);
  for (let i = 0; i <= ticks; i++) {
    const c = i * tickStep;
    parts.push(line(x(c), H - bottom, x(c), H - bottom + 4, 'stroke="#555"'));
    parts.push(text(x(c), H - bottom + 16, costText(c), { 'text-anchor': 'middle', fill: '#555' }));
  }
  parts.push(
    text((left + W - right) / 2, H - 8, `mean cost per task (${v.first.environment.fields.cost})`, {
      'text-anchor': 'middle',
      fill: '#555',
    }),
  );
  const byName = new Map(ms.map((m) => [m.policy.name, m.policy]));
  if (group.pareto !== null && group.pareto.length > 1) {
    parts.push(
      polyline(
        group.pareto.map((name) => {
          const p = byName.get(name)!;
          return [x(p.meanCost!), y(p.rate)] as const;
        }),
        'stroke="#333" stroke-width="1.5" stroke-dasharray="5 4"',
      ),
    );
  }
  for (const m of ms) {
    const p = m.policy;
    const cx = x(p.meanCost!);
    const style = `stroke="${m.colour}" stroke-opacity="0.55"`;
    parts.push(line(cx, y(p.ci[0]), cx, y(p.ci[1]), style));
    parts.push(line(cx - 3, y(p.ci[0]), cx + 3, y(p.ci[0]), style));
    parts.push(line(cx - 3, y(p.ci[1]), cx + 3, y(p.ci[1]), style));
  }
  for (const m of ms) {
    const p = m.policy;
    parts.push(markerSvg(m, x(p.meanCost!), y(p.rate), markerTitle(p, v.tasks)));
  }
  // Labels in a column at the right, each joined to its point by a thin line.
  const sorted = [...ms].sort((a, b) => b.policy.rate - a.policy.rate);
  const step = Math.min(22, (H - top - bottom) / Math.max(1, sorted.length - 1));
  sorted.forEach((m, i) => {
    const p = m.policy;
    const ly = top + 4 + i * step;
    const lx = W - right + 14;
    parts.push(
      line(x(p.meanCost!) + 6, y(p.rate), lx - 2, ly - 3, 'stroke="#bbb" stroke-width="0.7"'),
    );
    const suffix = p.tasks < v.tasks ? ` (${p.tasks}/${v.tasks} tasks)` : '';
    const onFrontier = group.pareto?.includes(p.name) === true ? ' ★' : '';
    parts.push(
      text(lx, ly, `${p.name}${suffix}${onFrontier}`, {
        fill: m.colour,
        'font-weight': p.kind === 'learned' ? 600 : 400,
      }),
    );
  });
  parts.push('</svg>');
  const legend =
    '<div class="legend"><span>● learned policy</span><span>■ always one arm (hollow: scored on fewer tasks, not on the frontier)</span>' +
    '<span>◆ random</span><span style="color:#2ca02c">▲ oracle (knows the outcomes)</span><span>- - Pareto frontier (★)</span><span>vertical lines: 95% CIs of the pass rate (cost CIs in the table)</span></div>';
  return `${legend}<div class="chart">${parts.join('')}</div>`;
}

/** Without a cost: pass rate per policy as bars with CIs. */
function rateBars(v: GroupView): string {
  const ms = markers(v);
  const W = 640;
  const barH = 16;
  const left = 240;
  const top = 10;
  const H = top + ms.length * (barH + 6) + 34;
  const x = linearScale([0, 1], [left, W - 20]);
  const parts = [svgOpen(W, H, 'Pass rate by policy')];
  for (let i = 0; i <= 10; i += 2) {
    parts.push(line(x(i / 10), top - 4, x(i / 10), H - 26, 'stroke="#e3e3e3"'));
    parts.push(text(x(i / 10), H - 12, `${i * 10}%`, { 'text-anchor': 'middle', fill: '#555' }));
  }
  ms.forEach((m, i) => {
    const p = m.policy;
    const yy = top + i * (barH + 6);
    const suffix = p.tasks < v.tasks ? ` (${p.tasks}/${v.tasks})` : '';
    parts.push(text(left - 8, yy + barH - 4, `${p.name}${suffix}`, { 'text-anchor': 'end' }));
    parts.push(
      `<rect x="${n(left)}" y="${n(yy)}" width="${n(x(p.rate) - left)}" height="${barH}" fill="${m.colour}" fill-opacity="${m.hollow ? 0.35 : 0.8}"><title>${e(markerTitle(p, v.tasks))}</title></rect>`,
    );
    parts.push(line(x(p.ci[0]), yy + barH / 2, x(p.ci[1]), yy + barH / 2, 'stroke="#222"'));
  });
  parts.push('</svg>');
  return `<div class="chart">${parts.join('')}</div>`;
}

function htmlGroup(group: ReplayGroup): string {
  const v = view(group);
  const { first, runs } = v;
  const weight = v.costWeight > 0;
  const parts: string[] = [];
  parts.push(`<h2><span class="real">REAL LOGGED DATA</span>${e(groupHeading(v))}</h2>`);
  parts.push(
    `<div class="realnote">${e(bannerText(v))}<ul>${groupCaveats(v)
      .map((c) => `<li>${e(c)}</li>`)
      .join('')}</ul></div>`,
  );
  parts.push(
    `<p class="meta">${e(protocolText(v))}<br>${group.runs
      .map(
        (r) =>
          `${r.result.version}: file <code>${e(r.file)}</code> · resultHash <code>${e(r.result.resultHash)}</code>${r.hashOk ? '' : ' <b class="hurts">does not match the content</b>'}`,
      )
      .join('<br>')}</p>`,
  );
  parts.push('<h3>Pass rate and cost on held-out tasks</h3>');
  parts.push(v.hasCost ? frontierChart(group, v) : rateBars(v));
  parts.push(
    tableHtml(
      [
        'Policy',
        'Scored on (tasks)',
        'Pass rate [95% CI]',
        `Mean cost${v.hasCost ? ` (${first.environment.fields.cost})` : ''} [95% CI]`,
        ...(weight ? [`Pass − ${v.costWeight}·cost`] : []),
        'Pareto frontier',
      ],
      v.policies.map((p) => [
        p.kind === 'learned' ? `<b>${e(p.name)}</b>` : e(policyLabel(p)),
        scoredOn(p, v.tasks),
        estimateText(p),
        costEstimateText(p),
        ...(weight ? [utilityText(p.utility)] : []),
        group.pareto === null
          ? '—'
          : group.pareto.includes(p.name)
            ? 'on it'
            : p.kind === 'oracle'
              ? 'not a policy'
              : p.tasks < v.tasks
                ? 'fewer tasks'
                : '',
      ]),
    ),
  );
  parts.push(
    '<p class="note">Every rate is the exact mean of the logged outcomes of the arm chosen for each task (each task is held out once; the learned policy is the greedy choice of the learner trained on the other folds). <code>always:&lt;arm&gt;</code> is scored on the tasks that logged that arm only, so it is compared with the learned policy on those tasks (below), not on the chart’s frontier.</p>',
  );
  parts.push(
    '<h3>Learned policy minus each baseline (paired over the tasks both are scored on)</h3>',
  );
  parts.push(
    tableHtml(
      ['Baseline', 'Tasks', ...runs.map((r) => r.learned.name)],
      first.baselines.map((b) => [
        e(b.name),
        String(b.tasks),
        ...runs.map((r) => {
          const c = r.comparisons.find((x) => x.against === b.name)!;
          const utility =
            c.utility === null
              ? ''
              : `<br><span class="${verdictOf(c.utility)}">pass − w·cost ${ratioText(c.utility, 3)}: ${e(comparisonWord(verdictOf(c.utility)))}</span>`;
          return `<span class="${c.verdict}">${pointsText(c.difference)}<br>${e(comparisonWord(c.verdict))}</span>${utility}`;
        }),
      ]),
    ),
  );
  if (group.comparisons.length > 0) {
    parts.push(`<h3>Versions compared (paired over all ${v.tasks} tasks)</h3>`);
    parts.push(
      tableHtml(
        ['Comparison', 'Difference [95% CI]', 'Verdict'],
        group.comparisons.map((c) => [
          `${c.to} − ${c.from}`,
          `<span class="${c.verdict}">${pointsText(c.difference)}</span>`,
          e(comparisonWord(c.verdict)),
        ]),
      ),
    );
  }
  parts.push('<h3>Learning and calibration</h3>');
  parts.push(
    tableHtml(
      [
        'Policy',
        'Held-out pass rate by epoch (0 = untrained)',
        'Captured',
        'Confidence',
        'ECE',
        'Brier',
      ],
      runs.map((r) => [
        e(r.learned.name),
        curveText(r),
        r.captured === null ? '—' : ratioText(r.captured),
        percent(r.confidence.mean),
        r.confidence.ece.toFixed(3),
        r.confidence.brier.toFixed(3),
      ]),
    ),
  );
  if (v.tasks <= TASK_TABLE_LIMIT) {
    parts.push('<h3>Per task (logged successes/trials per arm; the arm each version chose)</h3>');
    parts.push(
      tableHtml(
        ['Task', 'Type', 'Fold', ...first.environment.arms, ...runs.map((r) => r.learned.name)],
        first.tasks.map((t, i) => [
          e(t.id),
          e(t.label ?? '—'),
          String(t.fold),
          ...first.environment.arms.map((arm) => armCell(t, arm)),
          ...runs.map((r) => e(r.tasks[i]!.learnedArm)),
        ]),
        2,
      ),
    );
  }
  parts.push(
    `<p class="note">${dataNotes(first)
      .split('\n\n')
      .map((p) => e(p.replace(/`/g, '')))
      .join('<br>')}</p>`,
  );
  return `<section>${parts.join('')}</section>`;
}

/** The replay part of report.html (empty without replay results). */
export function replayHtml(groups: readonly ReplayGroup[]): string {
  return groups.map(htmlGroup).join('\n');
}

export const REPLAY_STYLE = `
.real{display:inline-block;background:#0b5394;color:#fff;font-size:11px;font-weight:700;padding:2px 6px;border-radius:3px;vertical-align:middle;margin-right:6px;letter-spacing:.06em}
.realnote{background:#e8f0fb;border-left:4px solid #0b5394;padding:8px 12px;font-size:13px;line-height:1.45;max-width:980px}
.realnote ul{margin:6px 0 0;padding-left:18px}
`;

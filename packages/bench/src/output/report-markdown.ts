import type { BenchmarkResult, ModelResult } from '../protocol/result';
import {
  learnersTable,
  reliabilityTable,
  versusSentences,
  versusTable,
  viewMarkdown,
} from './comparison-view';
import type { LoadedResult } from './files';
import { markdownTable as table } from './markdown-table';
import { REPLAY_MARKDOWN_TITLE, replayMarkdown } from './replay-report';
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
  verdictWord,
} from './report-data';

const BANNER =
  '> **SIMULATED.** Every number in this report comes from the simulated environment of ' +
  '`@sona/bench`: a seeded world with known ground truth, not real tasks or real models. Model ' +
  'names only label profiles; their base rates are inputs the world is calibrated to, not ' +
  'measurements. Rates are exact expected success rates on held-out tasks with 95% bootstrap ' +
  'confidence intervals.';

function byLearned(models: readonly ModelResult[]): ModelResult[] {
  return [...models].sort(
    (a, b) => b.learned.rate - a.learned.rate || a.name.localeCompare(b.name),
  );
}

function byEfficiency(models: readonly ModelResult[]): ModelResult[] {
  return [...models].sort(
    (a, b) => b.efficiencyPerB.rate - a.efficiencyPerB.rate || a.name.localeCompare(b.name),
  );
}

function runSection(entry: LoadedResult): string {
  const r: BenchmarkResult = entry.result;
  const c = r.config;
  const out: string[] = [];
  out.push(`## ${runHeading(r.title)}`);
  out.push('');
  out.push(
    `Learner: ${learnerText(r.learner)} · version ${r.version} · mode ${r.mode} · seed ${r.seed} · ` +
      `profiles \`${c.profiles}\` · ${c.epochs} epochs × ${c.tasksPerEpoch} training tasks · ` +
      `pool of ${c.poolSize} tasks, ${c.holdoutTasks} held out · ${c.folds}-fold cross-validation · ` +
      `${c.bootstrapResamples} bootstrap resamples · file \`${entry.file}\` · resultHash ` +
      `\`${r.resultHash}\`${entry.hashOk ? '' : ' (**does not match the content**)'}`,
  );
  out.push('');
  out.push('### Leaderboard by learned rate (held-out tasks)');
  out.push('');
  out.push(
    table(
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
      byLearned(r.models).map((m, i) => [
        String(i + 1),
        m.name,
        paramsText(m.paramsB),
        m.loraRank === null ? '—' : String(m.loraRank),
        estimateText(m.base),
        estimateText(m.learned),
        estimateText(m.oracle),
        pointsText(m.gain),
        ratioText(m.captured),
        percent(m.confidence.mean),
        m.confidence.ece.toFixed(3),
        m.confidence.brier.toFixed(3),
      ]),
      2,
    ),
  );
  out.push('');
  out.push(
    'Base: a uniformly random arm. Learned: the greedy choices of the five fold learners, ' +
      'averaged. Oracle: the best arm for each task. Captured: (learned − base) / (oracle − base). ' +
      'Confidence: mean predicted success of the chosen arm; ECE (10 bins) and Brier against the ' +
      'exact success probabilities.',
  );
  out.push('');
  if (r.compared.length > 0) out.push(comparedSection(r));
  out.push('### Calibration (reliability bins, pooled over models)');
  out.push('');
  out.push(viewMarkdown(reliabilityTable(r)));
  out.push('');
  out.push(
    'Each (fold learner, held-out task) pair of every model falls in the bin of its confidence; ' +
      'a bin shows how many fell there, their mean predicted success and the mean exact success ' +
      'probability of the chosen arms. A calibrated learner has predicted ≈ observed in every bin.',
  );
  out.push('');
  out.push('### Leaderboard by efficiency (learned rate per billion parameters)');
  out.push('');
  out.push(
    table(
      ['#', 'Model', 'Params', 'Learned', 'Efficiency'],
      byEfficiency(r.models).map((m, i) => [
        String(i + 1),
        m.name,
        paramsText(m.paramsB),
        estimateText(m.learned),
        efficiencyText(m.efficiencyPerB),
      ]),
      2,
    ),
  );
  out.push('');
  out.push('### Cross-validation (each fold learner on its test fold) and learning curve');
  out.push('');
  out.push(
    table(
      [
        'Model',
        'CV base',
        'CV learned',
        'CV oracle',
        'Validation rate by epoch (0 = untrained)',
        'Patterns',
      ],
      r.models.map((m) => [
        m.name,
        estimateText(m.crossValidation.base),
        estimateText(m.crossValidation.learned),
        estimateText(m.crossValidation.oracle),
        m.history.map((h) => percent(h.valid.rate)).join(' → '),
        m.patterns.toFixed(1),
      ]),
    ),
  );
  out.push('');
  if (r.config.ablations.length > 0) out.push(ablationSection(r));
  out.push('### Profile inputs (not results)');
  out.push('');
  out.push(
    table(
      ['Model', 'Params', 'Target base rate (input)', 'κ (calibrated)'],
      r.environment.profiles.map((p) => [
        p.name,
        paramsText(p.paramsB),
        percent(p.targetBaseRate),
        p.kappa.toFixed(4),
      ]),
    ),
  );
  out.push('');
  return out.join('\n');
}

function comparedSection(r: BenchmarkResult): string {
  const out: string[] = [];
  out.push(
    '### Compared with standard baselines (same protocol, tasks and attempt streams; paired)',
  );
  out.push('');
  out.push(viewMarkdown(learnersTable(r)));
  out.push('');
  out.push(viewMarkdown(versusTable(r)));
  out.push('');
  for (const sentence of versusSentences(r)) out.push(`- ${sentence}`);
  out.push('');
  out.push(
    'Each baseline ran in this run on the same tasks, splits and attempt streams, so every ' +
      'difference is paired over the held-out tasks (2000 bootstrap resamples). The mean over ' +
      'models averages each task’s rate over the models first. Baselines use textbook defaults, ' +
      'never tuned on results (see the @sona/bench README).',
  );
  out.push('');
  return out.join('\n');
}

function ablationSection(r: BenchmarkResult): string {
  const out: string[] = [];
  out.push('### Ablations (each v3 component switched off; full v3 minus ablated, paired)');
  out.push('');
  out.push(
    table(
      ['Component off', ...r.models.map((m) => m.name)],
      r.config.ablations.map((a) => [
        `\`${a.key}\`: ${a.component}`,
        ...r.models.map((m) => {
          const ab = m.ablations.find((x) => x.key === a.key)!;
          return `${pointsText(ab.difference)}: ${verdictWord(ab.verdict)}`;
        }),
      ]),
    ),
  );
  out.push('');
  for (const a of r.config.ablations) {
    const verdicts = r.models.map((m) => m.ablations.find((x) => x.key === a.key)!.verdict);
    const helps = verdicts.filter((v) => v === 'helps').length;
    const hurts = verdicts.filter((v) => v === 'hurts').length;
    const none = verdicts.length - helps - hurts;
    const plain =
      helps === verdicts.length
        ? 'helps for every model'
        : helps === 0
          ? `does not help: no model shows a gain (${none} with a CI including 0, ${hurts} where it hurts)`
          : `helps for ${helps} of ${verdicts.length} models; no evidence for ${none}; hurts for ${hurts}`;
    out.push(`- \`${a.key}\` (${a.component}): ${plain}.`);
  }
  out.push('');
  return out.join('\n');
}

function comparisonSection(group: RunGroup): string {
  if (group.comparisons.length === 0) return '';
  const out: string[] = [];
  out.push(
    `## SIMULATED · Version comparison (${group.mode} mode, seed ${group.seed}, profiles \`${group.profiles}\`, learner ${learnerText(group.learner)})`,
  );
  out.push('');
  const versions = group.runs.map((r) => r.result.version);
  const names = group.runs[0]!.result.models.map((m) => m.name);
  out.push(
    table(
      [
        'Model',
        ...versions.map((v) => `${v} learned`),
        ...group.comparisons.map((c) => `${c.to} − ${c.from}`),
      ],
      names.map((name) => [
        name,
        ...group.runs.map((r) => {
          const m = r.result.models.find((x) => x.name === name);
          return m === undefined ? '—' : estimateText(m.learned);
        }),
        ...group.comparisons.map((c) => {
          const m = c.models.find((x) => x.name === name);
          return m === undefined ? '—' : pointsText(m.difference);
        }),
      ]),
    ),
  );
  out.push('');
  for (const c of group.comparisons) {
    const better = c.models.filter((m) => m.verdict === 'helps').map((m) => m.name);
    const notBetter = c.models.filter((m) => m.verdict !== 'helps').map((m) => m.name);
    out.push(
      notBetter.length === 0
        ? `- ${c.to} beats ${c.from} for every model (paired 95% CI above 0).`
        : `- ${c.to} does **not** beat ${c.from} for ${notBetter.join(', ')} (paired 95% CI includes 0 or lies below it)${better.length > 0 ? `; it does for ${better.join(', ')}` : ''}.`,
    );
  }
  const budgets = group.runs.map(
    (r) => `${r.result.version} ${r.result.config.epochs} × ${r.result.config.tasksPerEpoch}`,
  );
  if (
    new Set(group.runs.map((r) => r.result.config.epochs * r.result.config.tasksPerEpoch)).size > 1
  ) {
    out.push(
      `- The versions train on different budgets (epochs × tasks per epoch, per fold learner: ${budgets.join(', ')}), as the SPEC's mode table sets them, so a difference measures the version with its budget, not the algorithm alone.`,
    );
  }
  out.push('');
  return out.join('\n');
}

const MIXED_BANNER =
  '> This folder holds results of two kinds. Sections headed **SIMULATED** come from the ' +
  'simulated environment of `@sona/bench` (a seeded world with known ground truth, not real ' +
  'tasks or models; model names only label profiles). Sections headed **Real logged data** ' +
  'replay outcomes logged by real runs. Rates carry 95% bootstrap confidence intervals.';

/** The folder's report.md: every run's leaderboards, version comparisons and ablations. */
export function renderMarkdownReport(data: ReportData): string {
  const simulated = data.groups.length > 0;
  const replay = data.replayGroups.length > 0;
  const out: string[] =
    replay && !simulated
      ? [REPLAY_MARKDOWN_TITLE, '']
      : replay
        ? ['# Benchmark report (@sona/bench): SIMULATED and real logged data', '', MIXED_BANNER, '']
        : ['# SIMULATED benchmark report (@sona/bench)', '', BANNER, ''];
  if (!simulated && !replay) out.push('No benchmark results in this folder.', '');
  for (const group of data.groups) {
    for (const run of group.runs) out.push(runSection(run), '');
    const comparison = comparisonSection(group);
    if (comparison !== '') out.push(comparison);
  }
  if (replay) out.push(replayMarkdown(data.replayGroups), '');
  if (data.skipped.length > 0) {
    out.push('## Files not included', '', ...data.skipped.map((s) => `- ${s}`), '');
  }
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

/**
 * The folder's report, built once as a document (`document.ts`) from every result file in it and
 * rendered to report.md and report.html. Runs that share their environment and settings form a
 * group; within a group the versions are compared, paired over the same tasks.
 */
import { createRng, type Version } from '@sona/core';
import {
  type BenchmarkResult,
  type ModelResult,
  type PolicyResult,
  type Verdict,
  verdictOf,
} from '../protocol/result';
import { type Estimate, pairedBootstrap } from '../stats/bootstrap';
import { canonicalHash } from './canonical-json';
import {
  ablationBars,
  type Chart,
  combinedCurves,
  frontierChart,
  learningCurves,
  rateBars,
  rateVsSize,
  reliabilityDiagrams,
  versionBars,
} from './charts';
import type { Block, Cell, Inline, ReportDocument, Table } from './document';
import type { LoadedResult } from './files';
import {
  comparisonWord,
  costText,
  efficiencyText,
  estimateText,
  learnerText,
  paramsText,
  percent,
  pointsText,
  ratioText,
  verdictWord,
} from './format';

export interface ModelComparison {
  readonly name: string;
  /** Learned rate of `to` minus learned rate of `from`, paired over the same tasks. */
  readonly difference: Estimate;
  readonly verdict: Verdict;
}

export interface VersionComparison {
  readonly from: Version;
  readonly to: Version;
  readonly models: readonly ModelComparison[];
}

/** Runs that share environment, settings, seed and tasks, so they can be paired. */
export interface RunGroup {
  readonly runs: readonly LoadedResult[];
  readonly comparisons: readonly VersionComparison[];
}

const PAIRS: readonly (readonly [Version, Version])[] = [
  ['v1', 'v2'],
  ['v2', 'v3'],
  ['v1', 'v3'],
];

function groupKey(r: BenchmarkResult): string {
  const env = r.environment;
  const identity =
    env.kind === 'simulated'
      ? [
          env.profileSet,
          env.parameters,
          env.profiles.map((p) => [p.name, p.paramsB, p.targetBaseRate]),
        ]
      : [
          env.source.sha256,
          env.fields,
          env.restriction?.arms ?? null,
          env.requestedFolds,
          env.paramsB,
        ];
  const c = r.config;
  return canonicalHash([
    env.kind,
    identity,
    r.mode,
    r.seed,
    r.learner,
    c.feedback,
    c.costWeight,
    c.costWeights,
    r.evaluation.taskIds,
  ]);
}

/**
 * Groups the results of a folder and compares versions within a group with a paired bootstrap
 * over the evaluation tasks (seeded from the group's seed, so the report is reproducible).
 */
export function groupResults(loaded: readonly LoadedResult[]): RunGroup[] {
  const byKey = new Map<string, LoadedResult[]>();
  for (const entry of loaded) {
    const key = groupKey(entry.result);
    const list = byKey.get(key) ?? [];
    list.push(entry);
    byKey.set(key, list);
  }
  const groups = [...byKey.values()].map((runs): RunGroup => {
    runs.sort((a, b) => a.result.version.localeCompare(b.result.version));
    const first = runs[0]!.result;
    const comparisons: VersionComparison[] = [];
    for (const [from, to] of PAIRS) {
      const a = runs.find((r) => r.result.version === from)?.result;
      const b = runs.find((r) => r.result.version === to)?.result;
      if (a === undefined || b === undefined) continue;
      const rng = createRng(first.seed).fork('report').fork(`${from}-${to}`);
      const models: ModelComparison[] = [];
      for (const model of b.models) {
        const before = a.models.find((m) => m.name === model.name);
        if (before === undefined) continue;
        const difference = pairedBootstrap(model.heldOutLearned, before.heldOutLearned, {
          resamples: first.config.bootstrapResamples,
          rng: rng.fork(model.name),
          level: first.config.level,
        });
        models.push({ name: model.name, difference, verdict: verdictOf(difference) });
      }
      comparisons.push({ from, to, models });
    }
    return { runs, comparisons };
  });
  const sortKey = (g: RunGroup) => {
    const r = g.runs[0]!.result;
    return [
      r.simulated ? 0 : 1,
      r.environment.kind === 'replay' ? r.environment.source.name : r.environment.profileSet,
      r.learner,
      r.mode,
      r.config.feedback,
      String(r.config.costWeight).padStart(12, '0'),
      String(r.seed).padStart(16, '0'),
    ].join('\u0000');
  };
  return groups.sort((a, b) => {
    const x = sortKey(a);
    const y = sortKey(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

const table = (t: Table): Block => ({ kind: 'table', table: t });
const h3 = (text: string): Block => ({ kind: 'heading', level: 3, text });
const para = (...parts: Inline[]): Block => ({ kind: 'paragraph', parts });
const note = (...parts: Inline[]): Block => ({ kind: 'paragraph', parts, style: 'note' });
const chart = (c: Chart): Block => ({ kind: 'chart', svg: c.svg, legend: c.legend });
const diff = (d: Estimate, verdict: Verdict, word = comparisonWord(verdict, d)): Cell => ({
  text: pointsText(d),
  note: word,
  verdict,
});

function ownName(r: BenchmarkResult): string {
  return r.learner === 'sona' ? `SONA ${r.version}` : r.learner;
}

function scoredOn(p: PolicyResult, tasks: number): string {
  return p.tasks === tasks ? String(tasks) : `${p.tasks} of ${tasks}`;
}

function costCell(p: PolicyResult): string {
  if (p.meanCost === null || p.costCi === null) return '—';
  return `${costText(p.meanCost)} [${costText(p.costCi[0])}, ${costText(p.costCi[1])}]`;
}

function bestArm(m: ModelResult): PolicyResult | undefined {
  const full = m.fixedArms.filter((p) => p.tasks === m.heldOutLearned.length);
  return [...full].sort((a, b) => b.rate - a.rate || a.name.localeCompare(b.name))[0];
}

function metaBlock(entry: LoadedResult): Block {
  const r = entry.result;
  const c = r.config;
  const env = r.environment;
  const where =
    env.kind === 'simulated'
      ? `profiles ${env.profileSet} · pool of ${env.poolSize} tasks, ${c.holdoutTasks} held out`
      : `${env.tasks} tasks · arms ${env.arms.join(', ')} · ${env.rowsUsed} rows used, ${env.rowsSkipped} skipped ` +
        `(${env.skipped.noOutcome} without an outcome, ${env.skipped.noCost} without a cost, ${env.skipped.malformed} malformed) · ` +
        `fields ${Object.entries(env.fields)
          .map(([k, p]) => `${k}=${p}`)
          .join(' ')}`;
  const parts: Inline[] = [
    `Learner: ${learnerText(r.learner)} · version ${r.version} · mode ${r.mode} · seed ${r.seed} · ${where} · ` +
      `${c.epochs} epochs × ${c.tasksPerEpoch} training attempts per fold learner · ${c.folds}-fold cross-validation ` +
      `(${c.design === 'holdout' ? 'final figures on the holdout' : 'each task scored by the learner of the fold that held it out'}) · ` +
      `${c.feedback} feedback · ${c.bootstrapResamples} bootstrap resamples` +
      (c.costWeight > 0 ? ` · cost weight ${c.costWeight}` : '') +
      (c.costWeights.length > 0 ? ` · frontier weights ${c.costWeights.join(', ')}` : '') +
      ` · SIMD backend ${typeof r.run?.simdBackend === 'string' ? r.run.simdBackend : 'not recorded'}` +
      ' · file ',
    { code: entry.file },
    ' · resultHash ',
    { code: r.resultHash },
  ];
  if (!entry.hashOk) parts.push(' (', { strong: 'does not match the content' }, ')');
  return { kind: 'paragraph', parts, style: 'meta' };
}

function simulatedLeaderboard(r: BenchmarkResult): Block[] {
  const models = [...r.models].sort(
    (a, b) => b.learned.rate - a.learned.rate || a.name.localeCompare(b.name),
  );
  return [
    h3('Leaderboard by learned rate (held-out tasks)'),
    table({
      header: [
        '#',
        'Model',
        'Params',
        'LoRA rank',
        'Base (random arm)',
        'Learned',
        'Oracle',
        'Best single arm (in hindsight)',
        'Gain',
        'Captured',
        'Confidence',
        'ECE',
        'Brier',
      ],
      rows: models.map((m, i) => {
        const best = bestArm(m);
        return [
          String(i + 1),
          m.name,
          paramsText(m.paramsB),
          m.loraRank === null ? '—' : String(m.loraRank),
          estimateText(m.base),
          { text: estimateText(m.learned), strong: true },
          estimateText(m.oracle),
          best === undefined ? '—' : { text: estimateText(best), note: best.name },
          pointsText(m.gain),
          m.captured === null ? '—' : ratioText(m.captured),
          percent(m.confidence.mean),
          m.confidence.ece.toFixed(3),
          m.confidence.brier.toFixed(3),
        ];
      }),
      leftColumns: 2,
    }),
    note(
      'Base: a uniformly random arm. Learned: the greedy choices of the five fold learners, averaged. Oracle: the best arm for each task. ' +
        'Best single arm: the arm with the highest rate on these very tasks (chosen in hindsight). Captured: (learned − base) / (oracle − base). ' +
        'Confidence: mean predicted success of the chosen arm; ECE (10 bins) and Brier against the exact success probabilities.',
    ),
    chart(rateVsSize(r)),
  ];
}

function simulatedFixedComparisons(r: BenchmarkResult): Block[] {
  return [
    h3('Learned minus the fixed policies (paired over the held-out tasks)'),
    table({
      header: ['Model', 'minus the best single arm', 'minus random (gain)', 'minus the oracle'],
      rows: r.models.map((m) => {
        const best = bestArm(m);
        const against = (name: string | undefined) => m.comparisons.find((c) => c.against === name);
        const b = against(best?.name);
        const rnd = against('random')!;
        const orc = against('oracle')!;
        return [
          m.name,
          b === undefined
            ? '—'
            : {
                ...diff(b.difference, b.verdict),
                note: `${best!.name}: ${comparisonWord(b.verdict, b.difference)}`,
              },
          diff(rnd.difference, rnd.verdict),
          diff(orc.difference, orc.verdict),
        ];
      }),
    }),
  ];
}

function policyRows(r: BenchmarkResult, m: number): PolicyResult[] {
  const model = r.models[m]!;
  return [
    model.learned,
    ...r.compared.map((c) => c.models[m]!.learned),
    ...model.fixedArms.filter((p) => p.tasks > 0),
    model.base,
    model.oracle,
  ];
}

function replayLeaderboard(r: BenchmarkResult): Block[] {
  const model = r.models[0]!;
  const n = r.evaluation.taskIds.length;
  const weight = r.config.costWeight > 0;
  const hasCost = model.learned.meanCost !== null;
  const costField = r.environment.kind === 'replay' ? r.environment.fields.cost : undefined;
  const label = (p: PolicyResult) =>
    p.kind === 'oracle'
      ? 'oracle (best logged arm per task; knows the outcomes)'
      : p.kind === 'random'
        ? 'random (a uniformly random logged arm)'
        : p.name;
  const out: Block[] = [
    h3('Pass rate and cost on held-out tasks'),
    chart(hasCost ? frontierChart(r, 0) : rateBars(r, 0)),
    table({
      header: [
        'Policy',
        'Scored on (tasks)',
        'Pass rate [95% CI]',
        `Mean cost${costField === undefined ? '' : ` (${costField})`} [95% CI]`,
        ...(weight ? [`Pass − ${r.config.costWeight}·cost`] : []),
        'Pareto frontier',
      ],
      rows: policyRows(r, 0).map((p) => [
        { text: label(p), strong: p.kind === 'learned' },
        scoredOn(p, n),
        estimateText(p),
        costCell(p),
        ...(weight ? [p.utility === null ? '—' : ratioText(p.utility, 3)] : []),
        model.pareto === null
          ? '—'
          : model.pareto.includes(p.name)
            ? 'on it'
            : p.kind === 'oracle'
              ? 'not a policy'
              : p.tasks < n
                ? 'fewer tasks'
                : '',
      ]),
    }),
    note(
      'Every rate is the exact mean of the logged outcomes of the arm chosen for each task (each task is held out once; a learned policy is the greedy choice of the learner trained on the other folds). ' +
        '`always:<arm>` is scored on the tasks that logged that arm only, so it is compared with the learned policy on those tasks, not on the frontier.',
    ),
  ];
  if (model.pareto !== null) {
    const byName = new Map(policyRows(r, 0).map((p) => [p.name, p]));
    out.push(
      para(
        `Pareto frontier (pass rate against mean cost, policies scored on every task): ${model.pareto
          .map((name) => {
            const p = byName.get(name)!;
            return `${name} (${percent(p.rate)} at ${costText(p.meanCost!)})`;
          })
          .join(' → ')}.`,
      ),
    );
  }
  out.push(
    h3(`${model.learned.name} minus each fixed policy (paired over the tasks both are scored on)`),
  );
  out.push(
    table({
      header: [
        'Baseline',
        'Tasks',
        'Difference [95% CI]',
        ...(weight ? ['pass − w·cost difference'] : []),
      ],
      rows: model.comparisons.map((c) => [
        c.against,
        String(c.tasks),
        diff(c.difference, c.verdict),
        ...(weight
          ? [
              c.utility === null
                ? '—'
                : {
                    text: ratioText(c.utility, 3),
                    note: comparisonWord(verdictOf(c.utility)),
                    verdict: verdictOf(c.utility),
                  },
            ]
          : []),
      ]),
    }),
  );
  return out;
}

function comparedBlocks(r: BenchmarkResult): Block[] {
  if (r.compared.length === 0) return [];
  const own = ownName(r);
  const row = (
    name: string,
    s: BenchmarkResult['summary'],
    versus: Cell | string,
  ): (Cell | string)[] => [
    { text: name, strong: name === own },
    estimateText(s.learned),
    s.captured === null ? '—' : s.captured.toFixed(2),
    s.worstEce.toFixed(3),
    s.meanBrier.toFixed(3),
    versus,
  ];
  const sentences = r.versus.map((v): Inline[] => {
    const better = v.models.filter((m) => m.verdict === 'helps').length;
    const worse = v.models.filter((m) => m.verdict === 'hurts').length;
    const verdict =
      v.mean.verdict === 'helps'
        ? `${own} beats ${v.against}`
        : v.mean.verdict === 'hurts'
          ? `${own} is worse than ${v.against}`
          : `no evidence that ${own} beats ${v.against} or the reverse`;
    const models =
      v.models.length > 1
        ? `; better for ${better} of ${v.models.length} models, worse for ${worse}`
        : '';
    return [
      `${verdict}: ${pointsText(v.mean.difference)}${v.models.length > 1 ? ' for the mean over models' : ''} (paired 95% CI)${models}.`,
    ];
  });
  const many = r.models.length > 1;
  return [
    h3('Compared with standard baselines (same protocol, tasks and attempt streams; paired)'),
    table({
      header: [
        'Learner',
        many ? 'Mean learned rate over models [95% CI]' : 'Learned rate [95% CI]',
        many ? 'Mean captured' : 'Captured',
        many ? 'Worst ECE' : 'ECE',
        many ? 'Mean Brier' : 'Brier',
        `${own} minus it (paired${many ? ', mean over models' : ''})`,
      ],
      rows: [
        row(own, r.summary, '—'),
        ...r.compared.map((c, k) => {
          const v = r.versus[k]!;
          return row(c.learner, c.summary, diff(v.mean.difference, v.mean.verdict));
        }),
      ],
    }),
    ...(many
      ? [
          table({
            header: ['Model', `${own} learned`, ...r.compared.map((c) => `${own} − ${c.learner}`)],
            rows: [
              ...r.models.map((m, i) => [
                m.name,
                estimateText(m.learned),
                ...r.versus.map((v) => ({
                  text: pointsText(v.models[i]!.difference),
                  verdict: v.models[i]!.verdict,
                })),
              ]),
              [
                { text: 'mean over models', strong: true },
                estimateText(r.summary.learned),
                ...r.versus.map((v) => ({
                  text: pointsText(v.mean.difference),
                  verdict: v.mean.verdict,
                  strong: true,
                })),
              ],
            ],
          }),
        ]
      : []),
    { kind: 'list', items: sentences },
    note(
      'Each baseline ran in this run on the same tasks, splits and attempt streams (and the same feedback), so every difference is paired over the evaluation tasks. ' +
        (many ? 'The mean over models averages each task’s rate over the models first. ' : '') +
        'Baselines use textbook defaults, never tuned on results (see the @sona/bench README).',
    ),
  ];
}

function frontierBlocks(r: BenchmarkResult): Block[] {
  const out: Block[] = [];
  r.models.forEach((model, m) => {
    if (model.frontier === null) return;
    const rows: (Cell | string)[][] = [];
    const learners = [
      { name: model.learned.name, frontier: model.frontier },
      ...r.compared.map((c) => ({
        name: c.models[m]!.learned.name,
        frontier: c.models[m]!.frontier!,
      })),
    ];
    for (const l of learners) {
      rows.push([
        l.name,
        l.frontier.points
          .map((p) => `w ${p.costWeight}: ${percent(p.rate)} at ${costText(p.meanCost)}`)
          .join('; '),
        l.frontier.aiq === null ? '—' : ratioText(l.frontier.aiq.policy, 3),
        l.frontier.aiq === null
          ? '—'
          : {
              text: ratioText(l.frontier.aiq.difference, 3),
              note: comparisonWord(l.frontier.aiq.verdict),
              verdict: l.frontier.aiq.verdict,
            },
      ]);
    }
    const hull = model.fixedArmHull;
    const hullAiq = model.frontier.aiq?.hull;
    if (hull !== null) {
      rows.push([
        'fixed-arm hull (mixing two fixed arms at random)',
        hull.arms.map((a) => `${a.arm}: ${percent(a.rate)} at ${costText(a.meanCost)}`).join('; '),
        hullAiq === undefined ? '—' : ratioText(hullAiq, 3),
        '—',
      ]);
    }
    out.push(h3(`Cost frontier and AIQ${r.models.length > 1 ? ` (${model.name})` : ''}`));
    out.push(
      table({
        header: [
          'Policy',
          'Rate and mean cost at each cost weight',
          'AIQ [95% CI]',
          'AIQ minus the fixed-arm hull (paired)',
        ],
        rows,
      }),
    );
    out.push(
      note(
        'Each learned policy is run at every cost weight w (the offered arm with the highest predicted success − w·estimated cost, costs estimated on training tasks only). ' +
          `AIQ (RouterBench): the area under the non-decreasing upper convex hull of a policy's (mean cost, rate) points between the cheapest and the most expensive fixed arm's mean cost${
            hull === null
              ? ''
              : ` (${costText(hull.costRange[0])} to ${costText(hull.costRange[1])})`
          }, divided by that range; 0 below a policy's cheapest point, flat beyond its best. The fixed arms' hull is what mixing two fixed arms at random reaches: ` +
          'a policy above it does something no mixture of fixed arms can. The difference is a paired bootstrap over tasks (each draw recomputes both).',
      ),
    );
  });
  return out;
}

function calibrationBlocks(r: BenchmarkResult): Block[] {
  const all = [
    { learner: ownName(r), calibration: r.summary.calibration },
    ...r.compared.map((c) => ({ learner: c.learner, calibration: c.summary.calibration })),
  ];
  const bins = all[0]!.calibration.bins;
  return [
    h3(`Calibration: reliability${r.models.length > 1 ? ' (pooled over models)' : ''}`),
    chart(reliabilityDiagrams(all)),
    table({
      header: ['Confidence bin', ...all.map((c) => `${c.learner}: n: predicted → observed`)],
      rows: [
        ...bins.map((bin, b) => [
          `${percent(bin.lower, 0)}–${percent(bin.upper, 0)}`,
          ...all.map(({ calibration }) => {
            const x = calibration.bins[b]!;
            return x.count === 0
              ? '—'
              : `${x.count}: ${percent(x.meanConfidence!)} → ${percent(x.meanOutcome!)}`;
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
    }),
    note(
      'Each (fold learner, evaluation task) pair falls in the bin of its confidence; a bin shows how many fell there, their mean predicted success and the mean exact success of the chosen arms. ' +
        'A calibrated learner has predicted ≈ observed in every bin.',
    ),
  ];
}

function curveBlocks(r: BenchmarkResult): Block[] {
  const holdout = r.config.design === 'holdout';
  const on = r.config.curveOn === 'validation' ? 'validation' : 'held-out';
  return [
    h3(
      holdout
        ? 'Cross-validation (each fold learner on its test fold) and learning curve'
        : on === 'validation'
          ? 'Learning curve (validation tasks, each by the fold learner it validates)'
          : 'Learning curve (held-out tasks, each by its fold learner)',
    ),
    table({
      header: [
        'Model',
        ...(holdout ? ['CV base', 'CV learned', 'CV oracle'] : []),
        `${on[0]!.toUpperCase()}${on.slice(1)} rate by epoch (0 = untrained)`,
        'Patterns',
      ],
      rows: r.models.map((m) => [
        m.name,
        ...(m.crossValidation === null
          ? []
          : [
              estimateText(m.crossValidation.base),
              estimateText(m.crossValidation.learned),
              estimateText(m.crossValidation.oracle),
            ]),
        m.history.map((h) => percent(h.rate.rate)).join(' → '),
        m.patterns === null ? '—' : m.patterns.toFixed(1),
      ]),
    }),
    chart(learningCurves(r)),
  ];
}

function ablationBlocks(r: BenchmarkResult): Block[] {
  if (r.config.ablations.length === 0) return [];
  const items = r.config.ablations.map((a): Inline[] => {
    const abl = r.models.map((m) => m.ablations.find((x) => x.key === a.key)!);
    const helps = abl.filter((x) => x.verdict === 'helps').length;
    const hurts = abl.filter((x) => x.verdict === 'hurts').length;
    const same = abl.filter(
      (x) => x.difference.rate === 0 && x.difference.ci[0] === 0 && x.difference.ci[1] === 0,
    ).length;
    const none = abl.length - helps - hurts;
    const plain =
      same === abl.length
        ? 'does not help: identical choices for every model (switching it off changes nothing)'
        : helps === abl.length
          ? 'helps for every model'
          : helps === 0
            ? `does not help: no model shows a gain (${none} with a CI including 0, ${hurts} where it hurts)`
            : `helps for ${helps} of ${abl.length} models; no evidence for ${none}; hurts for ${hurts}`;
    return [{ code: a.key }, ` (${a.component}): ${plain}.`];
  });
  return [
    h3('Ablations (each v3 component switched off; full v3 minus ablated, paired)'),
    chart(ablationBars(r)),
    table({
      header: ['Component off', ...r.models.map((m) => m.name)],
      rows: r.config.ablations.map((a) => [
        `${a.key}: ${a.component}`,
        ...r.models.map((m) => {
          const ab = m.ablations.find((x) => x.key === a.key)!;
          return {
            text: pointsText(ab.difference),
            note: verdictWord(ab.verdict, ab.difference),
            verdict: ab.verdict,
          };
        }),
      ]),
    }),
    { kind: 'list', items },
  ];
}

/** Per-task tables are shown up to this many tasks (the JSON always has them). */
const TASK_TABLE_LIMIT = 100;

function taskBlocks(r: BenchmarkResult): Block[] {
  const model = r.models[0]!;
  if (model.tasks === null || model.tasks.length > TASK_TABLE_LIMIT) return [];
  const arms = r.config.arms;
  return [
    h3('Per task (logged successes/trials per arm; the arm the learned policy chose)'),
    table({
      header: ['Task', 'Type', 'Fold', ...arms, model.learned.name],
      rows: model.tasks.map((t) => [
        t.id,
        t.label ?? '—',
        String(t.fold),
        ...arms.map((arm) => {
          const log = t.arms.find((a) => a.arm === arm);
          return log === undefined
            ? '—'
            : `${Math.round(log.successRate * log.trials)}/${log.trials}`;
        }),
        t.learnedArm,
      ]),
      leftColumns: 2,
    }),
  ];
}

function runBlocks(entry: LoadedResult): Block[] {
  const r = entry.result;
  const blocks: Block[] = [
    {
      kind: 'heading',
      level: 2,
      text: r.title,
      badge: r.simulated ? 'SIMULATED' : 'REAL LOGGED DATA',
    },
    metaBlock(entry),
  ];
  if (!r.simulated) {
    blocks.push({
      kind: 'paragraph',
      style: 'callout',
      parts: [
        `Real logged outcomes, not a simulation: every number in this section replays the outcomes logged in ${
          r.environment.kind === 'replay' ? r.environment.source.name : ''
        }. Read a difference as real only when its paired interval excludes 0.`,
      ],
    });
  }
  if (r.caveats.length > 0)
    blocks.push({ kind: 'list', items: r.caveats.map((c) => [c]), style: 'callout' });
  if (r.simulated) blocks.push(...simulatedLeaderboard(r), ...simulatedFixedComparisons(r));
  else blocks.push(...replayLeaderboard(r));
  blocks.push(...comparedBlocks(r), ...frontierBlocks(r), ...calibrationBlocks(r));
  if (r.simulated) {
    const byEff = [...r.models].sort(
      (a, b) =>
        (b.efficiencyPerB?.rate ?? 0) - (a.efficiencyPerB?.rate ?? 0) ||
        a.name.localeCompare(b.name),
    );
    blocks.push(
      h3('Leaderboard by efficiency (learned rate per billion parameters)'),
      table({
        header: ['#', 'Model', 'Params', 'Learned', 'Efficiency'],
        rows: byEff.map((m, i) => [
          String(i + 1),
          m.name,
          paramsText(m.paramsB),
          estimateText(m.learned),
          m.efficiencyPerB === null
            ? '—'
            : { text: efficiencyText(m.efficiencyPerB), strong: true },
        ]),
        leftColumns: 2,
      }),
    );
  }
  blocks.push(...curveBlocks(r), ...ablationBlocks(r), ...taskBlocks(r));
  return [{ kind: 'section', blocks }];
}

function versionBlocks(group: RunGroup): Block[] {
  if (group.comparisons.length === 0) return [];
  const runs = group.runs.map((r) => r.result);
  const first = runs[0]!;
  const names = first.models.map((m) => m.name);
  const items: Inline[][] = group.comparisons.map((c) => {
    const better = c.models.filter((m) => m.verdict === 'helps').map((m) => m.name);
    const notBetter = c.models.filter((m) => m.verdict !== 'helps').map((m) => m.name);
    return [
      notBetter.length === 0
        ? `${c.to} beats ${c.from} for every model (paired 95% CI above 0).`
        : `${c.to} does not beat ${c.from} for ${notBetter.join(', ')} (paired 95% CI includes 0 or lies below it)${better.length > 0 ? `; it does for ${better.join(', ')}` : ''}.`,
    ];
  });
  if (new Set(runs.map((r) => r.config.epochs * r.config.tasksPerEpoch)).size > 1) {
    items.push([
      `The versions train on different budgets (epochs × tasks per epoch, per fold learner: ${runs.map((r) => `${r.version} ${r.config.epochs} × ${r.config.tasksPerEpoch}`).join(', ')}), as the SPEC's mode table sets them, so a difference measures the version with its budget, not the algorithm alone.`,
    ]);
  }
  const where =
    first.environment.kind === 'replay'
      ? first.environment.source.name
      : `profiles ${first.environment.profileSet}`;
  return [
    {
      kind: 'section',
      blocks: [
        {
          kind: 'heading',
          level: 2,
          text: `Version comparison (${where}, ${first.mode} mode, seed ${first.seed}, learner ${learnerText(first.learner)})`,
          badge: first.simulated ? 'SIMULATED' : 'REAL LOGGED DATA',
        },
        chart(versionBars(runs)),
        table({
          header: [
            'Model',
            ...runs.map((r) => `${r.version} learned`),
            ...group.comparisons.map((c) => `${c.to} − ${c.from} (paired)`),
          ],
          rows: names.map((name) => [
            name,
            ...runs.map((r) => {
              const m = r.models.find((x) => x.name === name);
              return m === undefined ? '—' : estimateText(m.learned);
            }),
            ...group.comparisons.map((c) => {
              const m = c.models.find((x) => x.name === name);
              return m === undefined ? '—' : diff(m.difference, m.verdict);
            }),
          ]),
        }),
        { kind: 'list', items },
        h3('Learning curves of the versions'),
        chart(combinedCurves(runs)),
      ],
    },
  ];
}

function groupNotes(group: RunGroup): Block[] {
  const r = group.runs[0]!.result;
  const env = r.environment;
  if (env.kind === 'simulated') {
    return [
      h3(`Profile inputs of profiles ${env.profileSet} (not results)`),
      table({
        header: ['Model', 'Params', 'Target base rate (input)', 'κ (calibrated)'],
        rows: env.profiles.map((p) => [
          p.name,
          paramsText(p.paramsB),
          percent(p.targetBaseRate),
          p.kappa.toFixed(4),
        ]),
      }),
    ];
  }
  const types = env.types
    .map((t) => `${t.label === null ? '(no label)' : t.label} (${t.tasks})`)
    .join(', ');
  const parts: Inline[] = [
    `Data: ${env.source.name}, ${env.source.bytes} bytes, ${env.source.lines} lines, SHA-256 `,
    { code: env.source.sha256 },
    `. Task types (the data's own labels): ${types}. Embeddings: ${env.embeddings.embedding} given, ${env.embeddings.text} from text, ` +
      `${env.embeddings.id} from type label and id. Tasks carry no difficulty; a logged value ≥ 0.5 counts as a success.`,
  ];
  const blocks: Block[] = [h3(`About the data (${env.source.name})`), note(...parts)];
  if (env.malformedLines.length > 0) {
    blocks.push(
      note(
        `Malformed lines skipped: ${env.malformedLines.map((m) => `line ${m.line} (${m.reason})`).join('; ')}.`,
      ),
    );
  }
  return blocks;
}

const SIMULATED_BANNER =
  'Every number in this report comes from the simulated environment of @sona/bench: a seeded world with known ground truth, not real tasks or real models. ' +
  'Model names only label profiles; their base rates are inputs the world is calibrated to, not measurements. Rates are exact expected success rates on held-out tasks with 95% bootstrap confidence intervals.';
const REPLAY_BANNER =
  'Every number in this report replays outcomes logged by real runs, scored on held-out tasks with 95% bootstrap confidence intervals. ' +
  'Logs can be small: each section says how many tasks it rests on and how wide its intervals are.';
const MIXED_BANNER =
  'This folder holds results of two kinds. Sections marked SIMULATED come from the simulated environment of @sona/bench (a seeded world with known ground truth, not real tasks or models; model names only label profiles). ' +
  'Sections marked REAL LOGGED DATA replay outcomes logged by real runs. Rates carry 95% bootstrap confidence intervals.';

/** The folder's report: every group's runs, version comparisons, and what was left out. */
export function buildReport(
  loaded: readonly LoadedResult[],
  skipped: readonly string[] = [],
): ReportDocument {
  const groups = groupResults(loaded);
  const simulated = loaded.some((l) => l.result.simulated);
  const replay = loaded.some((l) => !l.result.simulated);
  const title =
    replay && !simulated
      ? 'Replay benchmark report (@sona/bench): real logged data'
      : replay
        ? 'Benchmark report (@sona/bench): SIMULATED and real logged data'
        : 'SIMULATED benchmark report (@sona/bench)';
  const blocks: Block[] = [
    {
      kind: 'banner',
      tone: replay && !simulated ? 'real' : replay ? 'mixed' : 'simulated',
      parts: [replay && !simulated ? REPLAY_BANNER : replay ? MIXED_BANNER : SIMULATED_BANNER],
    },
    note(
      'Rates are exact expected success rates over the evaluation tasks, with 95% seeded bootstrap confidence intervals; every comparison is paired over the same tasks.',
    ),
  ];
  if (loaded.length === 0) blocks.push(para('No benchmark results in this folder.'));
  for (const group of groups) {
    for (const run of group.runs) blocks.push(...runBlocks(run));
    blocks.push(...versionBlocks(group), ...groupNotes(group));
  }
  if (skipped.length > 0) {
    blocks.push(
      { kind: 'heading', level: 2, text: 'Files not included' },
      { kind: 'list', items: skipped.map((s) => [s]) },
    );
  }
  return { title, blocks };
}

import { createRng, type Version } from '@sona/core';
import type { BenchmarkResult, Verdict } from '../protocol/result';
import { verdictOf } from '../protocol/result';
import { type Estimate, pairedBootstrap } from '../stats/bootstrap';
import { canonicalHash } from './canonical-json';
import type { LoadedReplayResult, LoadedResult } from './files';
import { buildReplayGroups, type ReplayGroup } from './replay-report-data';

export interface ModelComparison {
  readonly name: string;
  /** Learned rate of `to` minus learned rate of `from`, paired over the same held-out tasks. */
  readonly difference: Estimate;
  readonly verdict: Verdict;
}

export interface VersionComparison {
  readonly from: Version;
  readonly to: Version;
  readonly models: readonly ModelComparison[];
}

/** Runs that share seed, mode, profiles, learner and held-out tasks, so they can be paired. */
export interface RunGroup {
  readonly mode: string;
  readonly seed: number;
  readonly profiles: string;
  readonly learner: string;
  readonly runs: readonly LoadedResult[];
  readonly comparisons: readonly VersionComparison[];
}

export interface ReportData {
  readonly groups: readonly RunGroup[];
  /** Replay runs on real logged data, grouped like `groups` (empty when there are none). */
  readonly replayGroups: readonly ReplayGroup[];
  readonly skipped: readonly string[];
}

const PAIRS: readonly (readonly [Version, Version])[] = [
  ['v1', 'v2'],
  ['v2', 'v3'],
  ['v1', 'v3'],
];

function groupKey(r: BenchmarkResult): string {
  return canonicalHash([
    r.mode,
    r.seed,
    r.config.profiles,
    r.learner,
    r.holdout.taskIds,
    r.environment.parameters,
  ]);
}

/**
 * Groups the results of a folder and compares versions within a group with a paired bootstrap
 * over the held-out tasks (seeded from the group's seed, so the report is reproducible).
 */
export function buildReportData(
  loaded: readonly LoadedResult[],
  skipped: readonly string[] = [],
  replays: readonly LoadedReplayResult[] = [],
): ReportData {
  const byKey = new Map<string, LoadedResult[]>();
  for (const entry of loaded) {
    const key = groupKey(entry.result);
    const list = byKey.get(key) ?? [];
    list.push(entry);
    byKey.set(key, list);
  }
  const groups: RunGroup[] = [...byKey.values()].map((runs) => {
    runs.sort((a, b) => a.result.version.localeCompare(b.result.version));
    const first = runs[0]!.result;
    const resamples = first.config.bootstrapResamples;
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
        const difference = pairedBootstrap(model.holdoutLearned, before.holdoutLearned, {
          resamples,
          rng: rng.fork(model.name),
          level: first.config.level,
        });
        models.push({ name: model.name, difference, verdict: verdictOf(difference) });
      }
      comparisons.push({ from, to, models });
    }
    return {
      mode: first.mode,
      seed: first.seed,
      profiles: first.config.profiles,
      learner: first.learner,
      runs,
      comparisons,
    };
  });
  groups.sort(
    (a, b) =>
      a.learner.localeCompare(b.learner) ||
      a.mode.localeCompare(b.mode) ||
      a.profiles.localeCompare(b.profiles) ||
      a.seed - b.seed,
  );
  return { groups, replayGroups: buildReplayGroups(replays), skipped };
}

/** A run's heading: its title, which always starts with SIMULATED for this environment. */
export function runHeading(title: string): string {
  return title.startsWith('SIMULATED') ? title : `SIMULATED · ${title}`;
}

export function percent(x: number, digits = 1): string {
  return `${(100 * x).toFixed(digits)}%`;
}

export function estimateText(e: Estimate, digits = 1): string {
  return `${(100 * e.rate).toFixed(digits)}% [${(100 * e.ci[0]).toFixed(digits)}, ${(100 * e.ci[1]).toFixed(digits)}]`;
}

/** Fixed digits with an explicit sign; never "-0.0". */
function signed(x: number, digits: number): string {
  const s = x.toFixed(digits);
  if (Number(s) === 0) return (0).toFixed(digits);
  return x > 0 ? `+${s}` : s;
}

/** A difference of rates in percentage points with its CI. */
export function pointsText(e: Estimate, digits = 1): string {
  return `${signed(100 * e.rate, digits)} pts [${signed(100 * e.ci[0], digits)}, ${signed(100 * e.ci[1], digits)}]`;
}

export function ratioText(e: Estimate, digits = 2): string {
  return `${e.rate.toFixed(digits)} [${e.ci[0].toFixed(digits)}, ${e.ci[1].toFixed(digits)}]`;
}

export function efficiencyText(e: Estimate): string {
  return `${(100 * e.rate).toFixed(1)}%/B [${(100 * e.ci[0]).toFixed(1)}, ${(100 * e.ci[1]).toFixed(1)}]`;
}

export function verdictText(verdict: Verdict): string {
  switch (verdict) {
    case 'helps':
      return 'helps (CI above 0)';
    case 'hurts':
      return 'hurts (CI below 0)';
    default:
      return 'no evidence it helps (CI includes 0)';
  }
}

/** One or two words for a table cell. */
export function verdictWord(verdict: Verdict): string {
  return verdict === 'no-evidence' ? 'no evidence' : verdict;
}

export function paramsText(paramsB: number): string {
  return `${paramsB}B`;
}

export function learnerText(learner: string): string {
  return learner === 'sona' ? 'SONA engine' : `${learner} (baseline, not SONA)`;
}

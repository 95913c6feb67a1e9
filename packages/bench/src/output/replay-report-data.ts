import { createRng, type Version } from '@sona/core';
import { type Verdict, verdictOf } from '../protocol/result';
import { paretoFrontier } from '../replay/pareto';
import type { ReplayResult } from '../replay/result';
import { type Estimate, pairedBootstrap } from '../stats/bootstrap';
import { canonicalHash } from './canonical-json';
import type { LoadedReplayResult } from './files';

export interface ReplayVersionComparison {
  readonly from: Version;
  readonly to: Version;
  /** Learned pass rate of `to` minus that of `from`, paired over the same tasks. */
  readonly difference: Estimate;
  readonly verdict: Verdict;
}

/** Replay runs on the same data with the same settings: their tasks and folds are the same. */
export interface ReplayGroup {
  readonly runs: readonly LoadedReplayResult[];
  readonly comparisons: readonly ReplayVersionComparison[];
  /**
   * The pass-rate/cost frontier over every run's learned policy and the baselines scored on
   * every task (not the oracle); null without a cost field.
   */
  readonly pareto: readonly string[] | null;
}

const PAIRS: readonly (readonly [Version, Version])[] = [
  ['v1', 'v2'],
  ['v2', 'v3'],
  ['v1', 'v3'],
];

function groupKey(r: ReplayResult): string {
  return canonicalHash([
    r.environment.source.sha256,
    r.environment.fields,
    r.mode,
    r.seed,
    r.learner,
    r.config.costWeight,
    r.config.folds,
    r.config.modelParamsB,
    r.tasks.map((t) => [t.id, t.fold]),
  ]);
}

/**
 * Groups replay results and compares versions within a group with a paired bootstrap over the
 * tasks (seeded from the group's seed, so the report is reproducible).
 */
export function buildReplayGroups(loaded: readonly LoadedReplayResult[]): ReplayGroup[] {
  const byKey = new Map<string, LoadedReplayResult[]>();
  for (const entry of loaded) {
    const key = groupKey(entry.result);
    const list = byKey.get(key) ?? [];
    list.push(entry);
    byKey.set(key, list);
  }
  const groups = [...byKey.values()].map((runs): ReplayGroup => {
    runs.sort((a, b) => a.result.version.localeCompare(b.result.version));
    const first = runs[0]!.result;
    const comparisons: ReplayVersionComparison[] = [];
    for (const [from, to] of PAIRS) {
      const a = runs.find((r) => r.result.version === from)?.result;
      const b = runs.find((r) => r.result.version === to)?.result;
      if (a === undefined || b === undefined) continue;
      const difference = pairedBootstrap(
        b.tasks.map((t) => t.learnedSuccess),
        a.tasks.map((t) => t.learnedSuccess),
        {
          resamples: first.config.bootstrapResamples,
          rng: createRng(first.seed).fork('replay-report').fork(`${from}-${to}`),
          level: first.config.level,
        },
      );
      comparisons.push({ from, to, difference, verdict: verdictOf(difference) });
    }
    const n = first.environment.tasks;
    const pareto =
      first.learned.meanCost === null
        ? null
        : paretoFrontier(
            [...runs.map((r) => r.result.learned), ...first.baselines]
              .filter((p) => p.tasks === n && p.kind !== 'oracle')
              .map((p) => ({ name: p.name, cost: p.meanCost!, rate: p.rate })),
          ).map((p) => p.name);
    return { runs, comparisons, pareto };
  });
  return groups.sort((a, b) => {
    const x = a.runs[0]!.result;
    const y = b.runs[0]!.result;
    return (
      x.environment.source.name.localeCompare(y.environment.source.name) ||
      x.learner.localeCompare(y.learner) ||
      x.mode.localeCompare(y.mode) ||
      x.config.costWeight - y.config.costWeight ||
      x.seed - y.seed
    );
  });
}

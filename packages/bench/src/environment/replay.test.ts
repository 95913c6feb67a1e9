import { readFileSync } from 'node:fs';
import { isSonaError, type Task } from '@sona/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LearnerFactory } from '../learner';
import { uniformRandomLearner } from '../learners/random';
import { evaluationTasks, fixedPolicies } from '../protocol/assemble';
import { createContext } from '../protocol/context';
import { runJob, trainingCostModel } from '../protocol/job';
import type { BenchmarkResult } from '../protocol/result';
import {
  describeSource,
  loadReplayData,
  parseReplayData,
  type ReplayDataset,
  restrictArms,
} from '../replay/data';
import { resultHashOf, runReplayBenchmark } from '../runner/run';
import {
  HYBRID_FIELDS,
  hybridLogPath,
  SWEBENCH_FIELDS,
  SWEBENCH_SET_A,
  sharedLogPath,
} from '../test-support/shared-data';
import {
  SYNTHETIC_COST_FIELDS,
  SYNTHETIC_FIELDS,
  syntheticLog,
} from '../test-support/synthetic-log';
import type { ReplayEnvironment } from './replay';

const average = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

function synthetic(
  options: Parameters<typeof syntheticLog>[0],
  fields: Record<string, string> = SYNTHETIC_FIELDS,
): ReplayDataset {
  const content = syntheticLog(options);
  return parseReplayData(
    content,
    fields as typeof SYNTHETIC_FIELDS,
    describeSource('synthetic.jsonl', content),
  );
}

const run = (data: ReplayDataset, extra: Partial<Parameters<typeof runReplayBenchmark>[0]> = {}) =>
  runReplayBenchmark({
    version: 'v1',
    mode: 'quick',
    seed: 3,
    data,
    learner: 'random',
    workers: 0,
    ...extra,
  }).then((r) => r.result);

/** Checks that hold on any replay result: fixed policies are exact counts, the oracle bounds all. */
function checkBaselines(result: BenchmarkResult, dataset: ReplayDataset): void {
  const model = result.models[0]!;
  const tasks = dataset.tasks;
  for (const arm of dataset.arms) {
    const logged = tasks.flatMap((t) => t.arms.filter((l) => l.arm === arm));
    const p = model.fixedArms.find((b) => b.name === `always:${arm}`)!;
    expect(p.tasks).toBe(logged.length);
    expect(p.rate).toBeCloseTo(
      average(logged.map((l) => l.trials.filter((x) => x.success).length / l.trials.length)),
      12,
    );
  }
  expect(model.base.rate).toBeCloseTo(
    average(tasks.map((t) => average(t.arms.map((l) => l.successRate)))),
    12,
  );
  expect(model.oracle.rate).toBeCloseTo(
    average(tasks.map((t) => Math.max(...t.arms.map((l) => l.successRate)))),
    12,
  );
  for (const p of [model.learned, model.base, ...model.fixedArms]) {
    if (p.tasks === tasks.length) expect(model.oracle.rate).toBeGreaterThanOrEqual(p.rate);
    expect(p.ci[0]).toBeLessThanOrEqual(p.rate);
    expect(p.rate).toBeLessThanOrEqual(p.ci[1]);
  }
  // The learned policy is scored by the mean logged outcome of an arm each task offers.
  for (const t of model.tasks!) {
    const log = t.arms.find((a) => a.arm === t.learnedArm)!;
    expect(log).toBeDefined();
    expect(t.learnedSuccess).toBe(log.successRate);
  }
  expect(result.simulated).toBe(false);
  expect(JSON.stringify(result)).not.toMatch(/SIMULATED|simulated world/);
}

describe('the replay environment', () => {
  const dataset = synthetic({ seed: 1, tasks: 60, trials: 2, gaps: 4 });

  it('takes the data’s own labels as task types and offers only the logged arms', () => {
    const context = createContext({
      version: 'v3',
      mode: 'quick',
      seed: 1,
      environment: { kind: 'replay', dataset },
    });
    const env = context.env as ReplayEnvironment;
    expect([...new Set(env.taskTypes)].sort()).toEqual(['repo-0', 'repo-1', 'repo-2']);
    expect(
      env.materializeTasks().every((t) => t.difficulty === undefined && t.bucket === undefined),
    ).toBe(true);
    dataset.tasks.forEach((task, i) => {
      const offered = env.offered(i);
      const logged = task.arms.map((l) => dataset.arms.indexOf(l.arm));
      expect(offered ?? dataset.arms.map((_, a) => a)).toEqual(logged);
    });
    expect(env.plan.holdout).toBeNull();
    const tested = env.plan.folds.flatMap((f) => [...f.test]).sort((a, b) => a - b);
    expect(tested).toEqual(dataset.tasks.map((_, i) => i));
  });

  it('baselines are exact counts over the data and the oracle is at least every policy', async () => {
    checkBaselines(await run(dataset), dataset);
  });

  it('trains only on each fold’s training tasks, on offered arms, every pass over them complete', () => {
    const context = createContext({
      version: 'v2',
      mode: 'quick',
      seed: 8,
      environment: { kind: 'replay', dataset },
    });
    const env = context.env;
    for (let fold = 0; fold < env.plan.folds.length; fold++) {
      const split = env.plan.folds[fold]!;
      // Neither the fold's test tasks nor its validation tasks are ever trained on.
      const heldOut = new Set(Array.from([...split.test, ...split.valid!], (i) => env.taskIds[i]!));
      const trained: string[] = [];
      const greedy: string[] = [];
      const spy: LearnerFactory = (args) => {
        const inner = uniformRandomLearner(args);
        return {
          choose(task, options) {
            const logged = dataset.tasks.find((t) => t.id === task.id)!.arms.map((a) => a.arm);
            expect(options?.arms ?? dataset.arms).toEqual(logged);
            if (options?.explore === false) greedy.push(task.id);
            return inner.choose(task, options);
          },
          record(task, arm, outcome) {
            trained.push(task.id);
            return inner.record(task, arm, outcome);
          },
          pickTask: (candidates: readonly Task[]) => {
            for (const c of candidates) expect(heldOut.has(c.id)).toBe(false);
            return inner.pickTask(candidates);
          },
          endEpoch: () => inner.endEpoch(),
          stats: () => inner.stats(),
          state: () => inner.state(),
        };
      };
      const job = runJob(context, { modelIndex: 0, fold, variant: 'full' }, spy);
      const { epochs, tasksPerEpoch } = context.schedule;
      expect(trained).toHaveLength(epochs * tasksPerEpoch);
      expect(trained.some((id) => heldOut.has(id))).toBe(false);
      // Each epoch starts a pass; within it every training task comes before any repeats.
      const passLength = split.train.length;
      expect(passLength).toBe(env.taskIds.length - heldOut.size);
      for (let e = 0; e < epochs; e++) {
        const epoch = trained.slice(e * tasksPerEpoch, (e + 1) * tasksPerEpoch);
        const first = epoch.slice(0, Math.min(passLength, tasksPerEpoch));
        expect(new Set(first).size).toBe(first.length);
      }
      expect(new Set(greedy)).toEqual(heldOut);
      expect(job.curve).toHaveLength(epochs + 1);
    }
  });

  it('with 3 folds or more the next fold validates: each task tested once, validated once, never both in a fold', () => {
    for (const folds of [3, 5]) {
      const { plan } = createContext({
        version: 'v3',
        mode: 'quick',
        seed: 2,
        environment: { kind: 'replay', dataset, folds },
      }).env;
      const tested = plan.folds.flatMap((f) => [...f.test]).sort((a, b) => a - b);
      const validated = plan.folds.flatMap((f) => [...f.valid!]).sort((a, b) => a - b);
      const all = Array.from({ length: dataset.tasks.length }, (_, i) => i);
      expect(tested).toEqual(all);
      expect(validated).toEqual(all);
      for (const f of plan.folds) {
        const parts = [...f.train, ...f.valid!, ...f.test];
        expect(new Set(parts).size).toBe(dataset.tasks.length);
      }
    }
    const two = createContext({
      version: 'v3',
      mode: 'quick',
      seed: 2,
      environment: { kind: 'replay', dataset, folds: 2 },
    }).env.plan;
    expect(two.folds.map((f) => f.valid)).toEqual([null, null]);
  });

  it('full feedback records every offered arm after each attempt, the chosen one first', () => {
    const context = createContext({
      version: 'v1',
      mode: 'quick',
      seed: 2,
      feedback: 'full',
      environment: { kind: 'replay', dataset },
    });
    const records: { task: string; arms: string[] }[] = [];
    let chosen = '';
    const spy: LearnerFactory = (args) => {
      const inner = uniformRandomLearner(args);
      return {
        choose(task, options) {
          const c = inner.choose(task, options);
          if (options?.explore !== false) {
            chosen = c.arm;
            records.push({ task: task.id, arms: [] });
          }
          return c;
        },
        record(task, arm, outcome) {
          records[records.length - 1]!.arms.push(arm);
          if (records[records.length - 1]!.arms.length === 1) expect(arm).toBe(chosen);
          return inner.record(task, arm, outcome);
        },
        pickTask: (c: readonly Task[]) => inner.pickTask(c),
        endEpoch: () => inner.endEpoch(),
        stats: () => inner.stats(),
        state: () => inner.state(),
      };
    };
    runJob(context, { modelIndex: 0, fold: 1, variant: 'full' }, spy);
    for (const r of records) {
      const logged = dataset.tasks.find((t) => t.id === r.task)!.arms.map((a) => a.arm);
      expect([...r.arms].sort()).toEqual([...logged].sort());
    }
  });

  it('gives every learner the same feedback and the JSON says which', async () => {
    const [bandit, full] = await Promise.all([run(dataset), run(dataset, { feedback: 'full' })]);
    expect(bandit.environment.feedback).toBe('bandit');
    expect(full.environment.feedback).toBe('full');
    expect(full.config.feedback).toBe('full');
    expect(full.resultHash).not.toBe(bandit.resultHash);
    expect(full.caveats.some((c) => c.startsWith('Full feedback'))).toBe(true);
  });

  it('estimates costs from training tasks only', () => {
    const costed = synthetic({ seed: 4, tasks: 24, costs: [1, 5, 20] }, SYNTHETIC_COST_FIELDS);
    const context = createContext({
      version: 'v1',
      mode: 'quick',
      seed: 1,
      environment: { kind: 'replay', dataset: costed },
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: costed.tasks.length - 1 }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        (heldOut, cost) => {
          const train = costed.tasks.map((_, i) => i).filter((i) => i !== heldOut);
          const tampered: ReplayDataset = {
            ...costed,
            tasks: costed.tasks.map((t, i) =>
              i === heldOut ? { ...t, arms: t.arms.map((a) => ({ ...a, meanCost: cost })) } : t,
            ),
          };
          const other = createContext({
            version: 'v1',
            mode: 'quick',
            seed: 1,
            environment: { kind: 'replay', dataset: tampered },
          });
          const a = trainingCostModel(context.env, 0, train);
          const b = trainingCostModel(other.env, 0, train);
          for (let i = 0; i < costed.tasks.length; i++) {
            for (let arm = 0; arm < costed.arms.length; arm++) expect(b(i, arm)).toBe(a(i, arm));
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('with a large cost weight takes the arm cheapest on training tasks', async () => {
    const costed = synthetic({ seed: 5, tasks: 40, costs: [0, 5, 20] }, SYNTHETIC_COST_FIELDS);
    const result = await run(costed, { costWeight: 10, learner: 'sona' });
    const model = result.models[0]!;
    expect(model.tasks!.every((t) => t.learnedArm === 'cheap')).toBe(true);
    expect(model.learned.utility!.rate).toBeCloseTo(
      model.learned.rate - 10 * model.learned.meanCost!,
      12,
    );
    for (const c of model.comparisons) expect(c.utility).not.toBeNull();
  });

  it('refuses a cost weight without a cost field (FIELD_MAPPING), and an unknown arm in --arms', async () => {
    await expect(run(dataset, { costWeight: 0.5 })).rejects.toSatisfy((e) =>
      isSonaError(e, 'FIELD_MAPPING'),
    );
    await expect(run(dataset, { costWeights: [1] })).rejects.toSatisfy((e) =>
      isSonaError(e, 'FIELD_MAPPING'),
    );
    expect(() => restrictArms(dataset, ['telepathy'])).toThrow(/not in the data/);
  });

  it('--arms restricts the run to some arms: other arms and tasks without them are left out, and counted', async () => {
    const restricted = restrictArms(dataset, ['cheap', 'mid']);
    expect(restricted.arms).toEqual(['cheap', 'mid']);
    expect(
      restricted.tasks.every((t) => t.arms.every((a) => a.arm === 'cheap' || a.arm === 'mid')),
    ).toBe(true);
    const result = await run(restricted);
    expect(result.config.arms).toEqual(['cheap', 'mid']);
    expect(result.environment.kind === 'replay' && result.environment.restriction).toMatchObject({
      arms: ['cheap', 'mid'],
    });
    expect(result.caveats.some((c) => c.startsWith('Restricted to the arms cheap, mid'))).toBe(
      true,
    );
    checkBaselines(result, restricted);
  });

  it('uses fewer folds when there are fewer tasks than folds asked for', async () => {
    const small = synthetic({ seed: 2, tasks: 3 });
    const result = await run(small, { learner: 'sona', version: 'v3' });
    expect(result.config.folds).toBe(3);
    expect(result.environment.kind === 'replay' && result.environment.requestedFolds).toBe(5);
    expect(result.models[0]!.pareto).toBeNull();
    expect(result.models[0]!.learned.meanCost).toBeNull();
  });

  it('the same seed gives the same result hash; another seed another one', async () => {
    const a = await run(dataset, { learner: 'sona', version: 'v3', seed: 5 });
    const b = await run(dataset, { learner: 'sona', version: 'v3', seed: 5 });
    const c = await run(dataset, { learner: 'sona', version: 'v3', seed: 6 });
    expect(a.resultHash).toMatch(/^[0-9a-f]{64}$/);
    expect(b.resultHash).toBe(a.resultHash);
    expect(c.resultHash).not.toBe(a.resultHash);
    expect(resultHashOf(a)).toBe(a.resultHash);
  }, 120_000);
});

describe('cost frontiers judged against the fixed-arm hull (synthetic costed log)', () => {
  const costed = synthetic({ seed: 7, tasks: 80, costs: [1, 4, 10] }, SYNTHETIC_COST_FIELDS);

  it('runs the policy once per cost weight and reports its frontier, the hull and AIQ with paired CIs', async () => {
    const result = await run(costed, { costWeights: [0, 0.02, 0.05, 0.2], compare: ['thompson'] });
    const model = result.models[0]!;
    const frontier = model.frontier!;
    expect(frontier.points.map((p) => p.costWeight)).toEqual([0, 0.02, 0.05, 0.2]);
    // At w = 0 the frontier point is the reported policy.
    expect(frontier.points[0]!.rate).toBe(model.learned.rate);
    expect(frontier.points[0]!.meanCost).toBe(model.learned.meanCost);
    const hull = model.fixedArmHull!;
    expect(hull.arms.map((a) => a.arm).sort()).toEqual(['cheap', 'mid', 'strong']);
    expect(hull.costRange).toEqual([1, 10]);
    const aiq = frontier.aiq!;
    for (const e of [aiq.policy, aiq.hull, aiq.difference]) {
      expect(e.ci[0]).toBeLessThanOrEqual(e.rate);
      expect(e.rate).toBeLessThanOrEqual(e.ci[1]);
    }
    expect(aiq.difference.rate).toBeCloseTo(aiq.policy.rate - aiq.hull.rate, 12);
    // The baseline learner gets its frontier too, against the same hull.
    const theirs = result.compared[0]!.models[0]!.frontier!;
    expect(theirs.points).toHaveLength(4);
    expect(theirs.aiq!.hull.rate).toBe(aiq.hull.rate);
    // Higher weights never buy a more expensive policy on average here (costs estimated in training).
    expect(frontier.points[3]!.meanCost).toBeLessThanOrEqual(frontier.points[0]!.meanCost);
  });

  it('has no AIQ when fewer than two arms are logged on every task, and says so', async () => {
    const gappy = synthetic(
      { seed: 8, tasks: 30, costs: [1, 4, 10], gaps: 3 },
      SYNTHETIC_COST_FIELDS,
    );
    const result = await run(gappy, { costWeights: [0, 1] });
    expect(result.models[0]!.frontier!.aiq).toBeNull();
    expect(result.caveats.some((c) => c.startsWith('No AIQ'))).toBe(true);
  });
});

const hybrid = hybridLogPath('the replay tests on the hybrid-coding-eval log');
describe.skipIf(hybrid === null)('on the public hybrid-coding-eval log (real logged data)', () => {
  it('baselines equal direct counts; the cost path runs; partial arms are scored on their own tasks', async () => {
    const data = loadReplayData(hybrid!, HYBRID_FIELDS);
    const result = await run(data, { costWeight: 0.0001 });
    checkBaselines(result, data);
    const model = result.models[0]!;
    expect(model.fixedArms.map((b) => [b.name, b.tasks])).toEqual([
      ['always:R1', 29],
      ['always:R2', 25],
      ['always:R3', 30],
      ['always:R4', 10],
    ]);
    expect(result.environment).toMatchObject({
      kind: 'replay',
      rowsUsed: 153,
      rowsSkipped: 27,
      tasks: 30,
    });
    expect(model.learned.utility).not.toBeNull();
    expect(result.caveats[0]).toMatch(/^Only 30 tasks/);
    expect(model.pareto).not.toBeNull();
  });
});

const setA = sharedLogPath(SWEBENCH_SET_A, 'the replay tests on SWE-bench Verified set A');
describe.skipIf(setA === null)('on SWE-bench Verified set A (real logged data)', () => {
  it('always:<arm> equals a direct count per system, the oracle is the best of them, types are repositories', async () => {
    const rows = readFileSync(setA!, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map(
        (l) =>
          JSON.parse(l) as { task_id: string; system: string; resolved: boolean; repo: string },
      );
    const data = loadReplayData(setA!, SWEBENCH_FIELDS);
    expect(data.tasks).toHaveLength(500);
    expect(data.arms).toHaveLength(8);
    expect(data.types.map((t) => t.label).sort()).toEqual(
      [...new Set(rows.map((r) => r.repo))].sort(),
    );
    const context = createContext({
      version: 'v1',
      mode: 'quick',
      seed: 42,
      environment: { kind: 'replay', dataset: data },
    });
    const fixed = fixedPolicies(context.env, 0, evaluationTasks(context.env));
    for (const p of fixed.always) {
      const system = p.name.slice('always:'.length);
      const direct = rows.filter((r) => r.system === system);
      expect(p.positions.length).toBe(500);
      expect(average([...p.success])).toBeCloseTo(
        direct.filter((r) => r.resolved).length / direct.length,
        12,
      );
    }
    const solved = new Set(rows.filter((r) => r.resolved).map((r) => r.task_id));
    expect(average([...fixed.oracle.success])).toBeCloseTo(solved.size / 500, 12);
    for (const p of fixed.always)
      expect(average([...fixed.oracle.success])).toBeGreaterThanOrEqual(average([...p.success]));
  });
});

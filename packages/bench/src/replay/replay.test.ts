import { readFileSync } from 'node:fs';
import { isSonaError, type Task } from '@sona/core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LearnerFactory } from '../learner';
import { uniformRandomLearner } from '../learners/random';
import { HYBRID_FIELDS, hybridLogPath } from '../test-support/hybrid-log';
import { baselineColumns, oracleArm } from './assemble';
import { describeSource, loadReplayData, parseReplayData, type ReplayDataset } from './data';
import { paretoFrontier } from './pareto';
import { createReplayContext, runReplayJob, trainingCostModel } from './protocol';
import type { ReplayResult } from './result';
import { replayHashOf, runReplayBenchmark } from './run';

interface RawRow {
  task_id: string;
  route: string;
  category: string;
  quality: { functional_pass: boolean | null };
  tokens: { cloud_completion: number };
}

let dataset: ReplayDataset;
let rows: RawRow[];

beforeAll(() => {
  const path = hybridLogPath();
  dataset = loadReplayData(path, HYBRID_FIELDS);
  rows = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as RawRow)
    .filter((r) => r.quality.functional_pass !== null);
});

/** Pass rate of a route on one task, counted straight from the rows. */
function directRate(task: string, route: string): number | undefined {
  const trials = rows.filter((r) => r.task_id === task && r.route === route);
  if (trials.length === 0) return undefined;
  return trials.filter((r) => r.quality.functional_pass).length / trials.length;
}

const average = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

describe('replay baselines on the hybrid-coding-eval log', () => {
  let result: ReplayResult;
  beforeAll(async () => {
    result = (
      await runReplayBenchmark({
        version: 'v1',
        mode: 'quick',
        seed: 3,
        data: dataset,
        learner: 'random',
        workers: 0,
      })
    ).result;
  });

  it('always:<arm> equals a direct count over the data, on the tasks that logged the arm', () => {
    const tasks = [...new Set(rows.map((r) => r.task_id))];
    for (const route of ['R1', 'R2', 'R3', 'R4']) {
      const rates = tasks.map((t) => directRate(t, route)).filter((r) => r !== undefined);
      const baseline = result.baselines.find((b) => b.name === `always:${route}`)!;
      expect(baseline.tasks).toBe(rates.length);
      expect(baseline.rate).toBeCloseTo(average(rates), 12);
      const costs = tasks.flatMap((t) => {
        const trials = rows.filter((r) => r.task_id === t && r.route === route);
        return trials.length === 0 ? [] : [average(trials.map((r) => r.tokens.cloud_completion))];
      });
      expect(baseline.meanCost).toBeCloseTo(average(costs), 9);
    }
    expect(result.baselines.map((b) => [b.name, b.tasks])).toEqual([
      ['always:R1', 29],
      ['always:R2', 25],
      ['always:R3', 30],
      ['always:R4', 10],
      ['random', 30],
      ['oracle', 30],
    ]);
  });

  it('random and oracle equal direct counts: the mean over logged arms, and the best of them', () => {
    const tasks = [...new Set(rows.map((r) => r.task_id))];
    const perTask = tasks.map((t) =>
      ['R1', 'R2', 'R3', 'R4'].map((r) => directRate(t, r)).filter((r) => r !== undefined),
    );
    const random = result.baselines.find((b) => b.name === 'random')!;
    const oracle = result.baselines.find((b) => b.name === 'oracle')!;
    expect(random.rate).toBeCloseTo(average(perTask.map(average)), 12);
    expect(oracle.rate).toBeCloseTo(average(perTask.map((r) => Math.max(...r))), 12);
  });

  it('the oracle is at least every baseline, task by task and on every baseline’s tasks', () => {
    for (const b of baselineColumns(dataset)) {
      const oracle = Array.from(b.tasks, (i) => oracleArm(dataset.tasks[i]!.arms).successRate);
      b.tasks.forEach((_, j) => {
        expect(oracle[j]).toBeGreaterThanOrEqual(b.success[j]!);
      });
      expect(average(oracle)).toBeGreaterThanOrEqual(average([...b.success]));
      const comparison = result.comparisons.find((c) => c.against === b.name)!;
      expect(comparison.tasks).toBe(b.tasks.length);
    }
    const oracle = result.baselines.find((b) => b.name === 'oracle')!;
    for (const b of result.baselines) {
      if (b.tasks === oracle.tasks) expect(oracle.rate).toBeGreaterThanOrEqual(b.rate);
    }
    expect(oracle.rate).toBeGreaterThanOrEqual(result.learned.rate);
  });

  it('scores the learned policy by the mean logged outcome of an arm each task offers', () => {
    for (const t of result.tasks) {
      const offered = t.arms.map((a) => a.arm);
      expect(offered).toContain(t.learnedArm);
      expect(t.learnedSuccess).toBe(directRate(t.id, t.learnedArm));
    }
    expect(result.learned.rate).toBeCloseTo(average(result.tasks.map((t) => t.learnedSuccess)), 12);
  });

  it('pairs each comparison on the baseline’s tasks, and every interval holds its estimate', () => {
    for (const c of result.comparisons) {
      expect(c.utility).toBeNull(); // no cost weight
      const b = baselineColumns(dataset).find((x) => x.name === c.against)!;
      const learned = Array.from(b.tasks, (i) => result.tasks[i]!.learnedSuccess);
      expect(c.difference.rate).toBeCloseTo(average(learned) - average([...b.success]), 12);
      expect(c.difference.ci[0]).toBeLessThanOrEqual(c.difference.rate);
      expect(c.difference.rate).toBeLessThanOrEqual(c.difference.ci[1]);
    }
    for (const p of [result.learned, ...result.baselines]) {
      expect(p.ci[0]).toBeLessThanOrEqual(p.rate);
      expect(p.rate).toBeLessThanOrEqual(p.ci[1]);
    }
  });

  it('is labelled real logged data and says how few tasks it rests on, never SIMULATED', () => {
    expect(result.simulated).toBe(false);
    expect(result.environment).toMatchObject({
      kind: 'replay',
      simulated: false,
      rowsUsed: 153,
      rowsSkipped: 27,
      tasks: 30,
      arms: ['R1', 'R2', 'R3', 'R4'],
      folds: 5,
    });
    expect(result.environment.source.name).toBe('raw.jsonl');
    expect(JSON.stringify(result)).not.toMatch(/simulated world|SIMULATED/);
    expect(result.caveats[0]).toMatch(/^Only 30 tasks/);
    expect(result.caveats[1]).toMatch(/^The 95% confidence intervals are wide/);
    expect(result.title).toBe(
      'Replay benchmark on real logged data (raw.jsonl): random learner (v1 schedule), quick mode',
    );
  });
});

describe('the replay protocol', () => {
  it('trains only on each fold’s training tasks, on offered arms, with the mode’s attempts per epoch', () => {
    const context = createReplayContext({ version: 'v2', mode: 'quick', seed: 8 }, dataset);
    const ids = context.tasks.map((t) => t.id);
    for (let fold = 0; fold < context.folds; fold++) {
      const heldOut = new Set(ids.filter((_, i) => context.foldOf[i] === fold));
      const trained: string[] = [];
      const greedy: string[] = [];
      const spy: LearnerFactory = (args) => {
        const inner = uniformRandomLearner(args);
        return {
          choose(task, options) {
            const logged = dataset.tasks.find((t) => t.id === task.id)!;
            expect(options?.arms).toEqual(logged.arms.map((a) => a.arm));
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
      const job = runReplayJob(context, fold, spy);
      expect(trained).toHaveLength(context.schedule.epochs * context.schedule.tasksPerEpoch);
      expect(trained.some((id) => heldOut.has(id))).toBe(false);
      // Every training task is attempted before any is attempted again (passes over the tasks).
      const passLength = ids.length - heldOut.size;
      expect(new Set(trained.slice(0, passLength)).size).toBe(passLength);
      expect(new Set(greedy)).toEqual(heldOut);
      expect(job.curve).toHaveLength(context.schedule.epochs + 1);
    }
  });

  it('uses fewer folds when there are fewer tasks than folds asked for, and says so', async () => {
    const content = [
      { t: 'a', a: 'x', ok: true },
      { t: 'a', a: 'y', ok: false },
      { t: 'b', a: 'x', ok: false },
      { t: 'b', a: 'y', ok: true },
      { t: 'c', a: 'y', ok: true },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n');
    const small = parseReplayData(
      content,
      { task: 't', arm: 'a', success: 'ok' },
      describeSource('small.jsonl', content),
    );
    const { result } = await runReplayBenchmark({
      version: 'v3',
      mode: 'quick',
      seed: 1,
      data: small,
      learner: 'sona',
      workers: 0,
    });
    expect(result.config.folds).toBe(3);
    expect(result.config.requestedFolds).toBe(5);
    expect(result.environment.folds).toBe(3);
    expect(result.caveats[0]).toContain('3-fold cross-validation');
    expect(result.pareto).toBeNull();
    expect(result.learned.meanCost).toBeNull();
  });

  it('estimates costs from training tasks only', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: dataset.tasks.length - 1 }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        (heldOut, cost) => {
          const train = dataset.tasks.map((_, i) => i).filter((i) => i !== heldOut);
          const tampered: ReplayDataset = {
            ...dataset,
            tasks: dataset.tasks.map((t, i) =>
              i === heldOut ? { ...t, arms: t.arms.map((a) => ({ ...a, meanCost: cost })) } : t,
            ),
          };
          const a = trainingCostModel(dataset, train);
          const b = trainingCostModel(tampered, train);
          for (const type of ['code_completion', 'bug_fix', 'refactor', 'test_gen']) {
            for (let arm = 0; arm < dataset.arms.length; arm++) {
              expect(b(type, arm)).toBe(a(type, arm));
            }
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('with a large cost weight picks the arm cheapest on training tasks (R2 costs no cloud tokens)', async () => {
    const { result } = await runReplayBenchmark({
      version: 'v1',
      mode: 'quick',
      seed: 2,
      costWeight: 1,
      data: dataset,
      learner: 'sona',
      workers: 0,
    });
    for (const t of result.tasks) {
      if (t.arms.some((a) => a.arm === 'R2')) expect(t.learnedArm).toBe('R2');
    }
    expect(result.learned.utility).not.toBeNull();
    expect(result.learned.utility!.rate).toBeCloseTo(
      result.learned.rate - result.learned.meanCost!,
      12,
    );
    expect(result.baselines.every((b) => b.utility !== null)).toBe(true);
    // Paired utility differences: learned minus baseline of pass − w·cost, on the baseline's tasks.
    for (const c of result.comparisons) {
      const b = baselineColumns(dataset).find((x) => x.name === c.against)!;
      const learned = Array.from(
        b.tasks,
        (i) => result.tasks[i]!.learnedSuccess - result.tasks[i]!.learnedCost!,
      );
      const base = Array.from(b.success, (s, j) => s - b.cost[j]!);
      expect(c.utility!.rate).toBeCloseTo(average(learned) - average(base), 9);
    }
  });

  it('refuses a cost weight without a cost field (FIELD_MAPPING)', async () => {
    const { cost: _cost, ...noCost } = HYBRID_FIELDS;
    const data = loadReplayData(hybridLogPath(), noCost);
    await expect(
      runReplayBenchmark({
        version: 'v1',
        mode: 'quick',
        seed: 1,
        costWeight: 0.5,
        data,
        learner: 'random',
        workers: 0,
      }),
    ).rejects.toSatisfy((e) => isSonaError(e, 'FIELD_MAPPING'));
  });

  it('the same seed gives the same result hash; another seed another one', async () => {
    const run = (seed: number) =>
      runReplayBenchmark({
        version: 'v3',
        mode: 'quick',
        seed,
        data: { file: hybridLogPath(), fields: HYBRID_FIELDS },
        learner: 'sona',
        workers: 0,
      }).then((r) => r.result);
    const [a, b, c] = await Promise.all([run(5), run(5), run(6)]);
    expect(a.resultHash).toMatch(/^[0-9a-f]{64}$/);
    expect(b.resultHash).toBe(a.resultHash);
    expect(c.resultHash).not.toBe(a.resultHash);
    expect(replayHashOf(a)).toBe(a.resultHash);
    expect(a.run.data).toBe(hybridLogPath());
  }, 60_000);
});

describe('the pass-rate/cost Pareto frontier', () => {
  const point = fc.record({
    name: fc.string({ minLength: 1, maxLength: 4 }),
    cost: fc.integer({ min: 0, max: 20 }),
    rate: fc.integer({ min: 0, max: 10 }).map((x) => x / 10),
  });
  const dominates = (q: { cost: number; rate: number }, p: { cost: number; rate: number }) =>
    q.cost <= p.cost && q.rate >= p.rate && (q.cost < p.cost || q.rate > p.rate);

  it('keeps exactly the undominated points, by increasing cost and rate', () => {
    fc.assert(
      fc.property(fc.array(point, { minLength: 1, maxLength: 12 }), (points) => {
        const frontier = paretoFrontier(points);
        for (const p of frontier) expect(points.some((q) => dominates(q, p))).toBe(false);
        for (const p of points) {
          if (!frontier.includes(p)) expect(frontier.some((q) => dominates(q, p))).toBe(true);
        }
        for (let i = 1; i < frontier.length; i++) {
          expect(frontier[i]!.cost).toBeGreaterThanOrEqual(frontier[i - 1]!.cost);
          expect(frontier[i]!.rate).toBeGreaterThanOrEqual(frontier[i - 1]!.rate);
        }
      }),
    );
  });
});

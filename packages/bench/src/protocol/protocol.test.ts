import { isSonaError, type Task } from '@sona/core';
import { describe, expect, it } from 'vitest';
import type { SimulatedEnvironment } from '../environment/simulated';
import type { LearnerFactory, LearnerFactoryArgs } from '../learner';
import { uniformRandomLearner } from '../learners/random';
import { canonicalHash } from '../output/canonical-json';
import { runBenchmark } from '../runner/run';
import { peekingFactory, perTypeBandit } from '../test-support/learners';
import { ABLATION_KEYS } from './ablations';
import { assembleResult } from './assemble';
import {
  type BenchmarkContext,
  type BenchmarkSpec,
  createContext,
  jobKey,
  planJobs,
} from './context';

const sim = (c: BenchmarkContext) => c.env as SimulatedEnvironment;

import { type JobResult, runJob } from './job';
import { PROTOCOL } from './modes';

const spec = (overrides: Partial<BenchmarkSpec> = {}): BenchmarkSpec => ({
  version: 'v1',
  mode: 'quick',
  seed: 7,
  profiles: 'reference-small',
  ...overrides,
});

/** Two profiles are enough where a test needs every job of a v3 run. */
const PAIR = {
  name: 'test-pair',
  description: 'two of the reference profiles',
  models: [
    { name: 'large', paramsB: 7, baseRate: 0.352 },
    { name: 'small', paramsB: 1.3, baseRate: 0.158 },
  ],
};

/** Runs every job in this thread, in the given order, with a factory per model. */
function runAll(
  s: BenchmarkSpec,
  factoryFor: (modelIndex: number) => LearnerFactory,
  order: (jobs: ReturnType<typeof planJobs>) => ReturnType<typeof planJobs> = (jobs) => jobs,
) {
  const context = createContext(s);
  const results = new Map<string, JobResult>();
  for (const job of order(planJobs(s))) {
    results.set(jobKey(job), runJob(context, job, factoryFor(job.modelIndex)));
  }
  return { context, content: assembleResult(context, results, 'test') };
}

describe('splits of the protocol', () => {
  const context = createContext(spec({ mode: 'default' }));
  const pool = sim(context).world.poolSize;

  it('holds out 10% of the pool, stratified by type × bucket', () => {
    expect(sim(context).plan.holdout!.length).toBe(Math.round(0.1 * pool));
    const strataSize = new Map<number, number>();
    const strataHeld = new Map<number, number>();
    for (const s of sim(context).world.strata) strataSize.set(s, (strataSize.get(s) ?? 0) + 1);
    sim(context).plan.holdout!.forEach((i) => {
      const s = sim(context).world.strata[i]!;
      strataHeld.set(s, (strataHeld.get(s) ?? 0) + 1);
    });
    for (const [s, size] of strataSize) {
      expect(Math.abs((strataHeld.get(s) ?? 0) - 0.1 * size)).toBeLessThan(1);
    }
  });

  it('each fold splits the rest into train / valid / test ≈ 60 / 20 / 20, disjoint from the holdout', () => {
    const held = new Set(sim(context).plan.holdout!);
    const rest = pool - held.size;
    for (const fold of context.env.plan.folds) {
      const all = [...fold.train, ...fold.valid!, ...fold.test];
      expect(new Set(all).size).toBe(rest);
      expect(all.some((i) => held.has(i))).toBe(false);
      expect(Math.abs(fold.train.length / rest - 0.6)).toBeLessThan(0.01);
      expect(Math.abs(fold.valid!.length / rest - 0.2)).toBeLessThan(0.01);
      expect(Math.abs(fold.test.length / rest - 0.2)).toBeLessThan(0.01);
    }
  });

  it('every non-held-out task is tested exactly once and validated exactly once', () => {
    const tested = context.env.plan.folds.flatMap((f) => [...f.test]);
    const validated = context.env.plan.folds.flatMap((f) => [...f.valid!]);
    expect(new Set(tested).size).toBe(tested.length);
    expect(new Set(validated).size).toBe(validated.length);
    expect([...tested].sort((a, b) => a - b)).toEqual([...validated].sort((a, b) => a - b));
    expect(tested.length).toBe(pool - sim(context).plan.holdout!.length);
  });

  it('does not depend on the version: v1, v2 and v3 share world, holdout and folds', () => {
    const v3 = createContext(spec({ mode: 'default', version: 'v3' }));
    expect(sim(v3).plan.holdout!).toEqual(sim(context).plan.holdout!);
    expect(v3.env.plan.folds).toEqual(context.env.plan.folds);
    expect(sim(v3).world.embeddings).toEqual(sim(context).world.embeddings);
  });
});

describe('the harness with a learner that peeks at the hidden truth', () => {
  const truth = createContext(spec({ version: 'v3', profiles: PAIR }));
  const factories = sim(truth).models.map((model) => peekingFactory(model));
  const { context, content } = runAll(
    spec({ version: 'v3', profiles: PAIR }),
    (m) => factories[m]!,
  );

  it('scores it as the oracle: learned = oracle, captured exactly 1', () => {
    for (const model of content.models) {
      expect(model.learned.rate).toBe(model.oracle.rate);
      expect(model.learned.ci).toEqual(model.oracle.ci);
      expect(model.captured!.rate).toBe(1);
      expect(model.captured!.ci).toEqual([1, 1]);
      expect(model.crossValidation!.learned.rate).toBe(model.crossValidation!.oracle.rate);
      for (const h of model.history) expect(h.rate.rate).toBe(model.crossValidation!.oracle.rate);
    }
  });

  it('finds its confidence perfectly calibrated: ECE 0, Brier = mean p(1 − p)', () => {
    content.models.forEach((model, m) => {
      expect(model.confidence.ece).toBe(0);
      const world = sim(context).models[m]!;
      let brier = 0;
      for (const i of sim(context).plan.holdout!) {
        const p = world.oracle(i).rate;
        brier += p * (1 - p);
      }
      expect(model.confidence.brier).toBeCloseTo(brier / sim(context).plan.holdout!.length, 12);
      expect(model.confidence.mean).toBeCloseTo(model.oracle.rate, 12);
    });
  });

  it('reports ablations of a learner that ignores overrides as exactly 0, with no evidence', () => {
    for (const model of content.models) {
      expect(model.ablations.map((a) => a.key)).toEqual([...ABLATION_KEYS]);
      for (const a of model.ablations) {
        expect(a.difference.rate).toBe(0);
        expect(a.difference.ci).toEqual([0, 0]);
        expect(a.verdict).toBe('no-evidence');
      }
    }
  });

  it('orders base ≤ learned ≤ oracle, and every interval contains its estimate', () => {
    for (const m of content.models) {
      for (const e of [m.base, m.learned, m.oracle, m.gain, m.captured!, m.efficiencyPerB!]) {
        expect(e.ci[0]).toBeLessThanOrEqual(e.rate);
        expect(e.rate).toBeLessThanOrEqual(e.ci[1]);
      }
      expect(m.base.rate).toBeLessThan(m.oracle.rate);
      expect(m.efficiencyPerB!.rate).toBeCloseTo(m.learned.rate / m.paramsB, 15);
    }
  });
});

describe('the harness with learners that learn nothing or something', () => {
  it("a uniformly random learner's gain interval contains 0 about 95% of the time", () => {
    let contains = 0;
    let total = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const { content } = runAll(spec({ seed }), () => uniformRandomLearner);
      for (const m of content.models) {
        total++;
        if (m.gain.ci[0] <= 0 && 0 <= m.gain.ci[1]) contains++;
      }
    }
    expect(total).toBe(48);
    // Binomial(48, 0.95): fewer than 42 covering would be a 1-in-200 event for honest intervals.
    expect(contains).toBeGreaterThanOrEqual(42);
  });

  it('a per-type bandit gains over the base, captures part of the gap, and its curve rises', () => {
    const { content } = runAll(spec({ mode: 'default' }), () => perTypeBandit);
    for (const m of content.models) {
      expect(m.gain.ci[0]).toBeGreaterThan(0);
      expect(m.captured!.rate).toBeGreaterThan(0);
      expect(m.captured!.rate).toBeLessThan(1);
      const first = m.history[0]!.rate.rate;
      const last = m.history[m.history.length - 1]!.rate.rate;
      expect(last).toBeGreaterThan(first);
      expect(m.history).toHaveLength(content.config.epochs + 1);
      expect(m.history[1]!.learner!.attempts).toBe(content.config.tasksPerEpoch);
    }
  });
});

describe('what learners are shown', () => {
  it('trains only on the fold’s training tasks, each at most once per epoch, and evaluates greedily', () => {
    const s = spec();
    const context = createContext(s);
    const seen: {
      fold: number;
      picked: string[];
      recorded: string[];
      greedy: string[];
      candidates: Set<string>;
    }[] = [];
    let current: (typeof seen)[number];
    const spy: LearnerFactory = (args) => {
      const inner = uniformRandomLearner(args);
      return {
        choose(task, options) {
          if (options?.explore === false) current.greedy.push(task.id);
          return inner.choose(task, options);
        },
        record(task, arm, outcome) {
          current.recorded.push(task.id);
          return inner.record(task, arm, outcome);
        },
        pickTask(candidates: readonly Task[]) {
          for (const c of candidates) current.candidates.add(c.id);
          const task = inner.pickTask(candidates);
          current.picked.push(task.id);
          return task;
        },
        endEpoch: () => inner.endEpoch(),
        stats: () => inner.stats(),
        state: () => inner.state(),
      };
    };
    for (let fold = 0; fold < PROTOCOL.folds; fold++) {
      current = { fold, picked: [], recorded: [], greedy: [], candidates: new Set() };
      seen.push(current);
      runJob(context, { modelIndex: 0, fold, variant: 'full' }, spy);
    }
    const id = (i: number) => sim(context).world.taskIds[i]!;
    const { epochs, tasksPerEpoch } = context.schedule;
    for (const entry of seen) {
      const split = context.env.plan.folds[entry.fold]!;
      const train = new Set(Array.from(split.train, id));
      expect([...entry.candidates].every((t) => train.has(t))).toBe(true);
      expect(entry.recorded).toEqual(entry.picked);
      expect(entry.picked).toHaveLength(epochs * tasksPerEpoch);
      for (let e = 0; e < epochs; e++) {
        const epochTasks = entry.picked.slice(e * tasksPerEpoch, (e + 1) * tasksPerEpoch);
        expect(new Set(epochTasks).size).toBe(tasksPerEpoch);
      }
      const evaluated = new Set(entry.greedy);
      const expected = new Set(
        [...split.valid!, ...split.test, ...sim(context).plan.holdout!].map(id),
      );
      expect(evaluated).toEqual(expected);
    }
  });

  it('trains for a given budget instead of the version schedule, and refuses an impossible one', () => {
    const context = createContext(spec({ version: 'v3', budget: { epochs: 2, tasksPerEpoch: 7 } }));
    expect(context.schedule).toEqual({ epochs: 2, tasksPerEpoch: 7 });
    let recorded = 0;
    let epochs = 0;
    const counting: LearnerFactory = (args) => {
      const inner = uniformRandomLearner(args);
      return {
        ...inner,
        choose: (task, options) => inner.choose(task, options),
        pickTask: (candidates: readonly Task[]) => inner.pickTask(candidates),
        stats: () => inner.stats(),
        state: () => inner.state(),
        record(task, arm, outcome) {
          recorded += 1;
          return inner.record(task, arm, outcome);
        },
        endEpoch() {
          epochs += 1;
          return inner.endEpoch();
        },
      };
    };
    runJob(context, { modelIndex: 0, fold: 0, variant: 'full' }, counting);
    expect([epochs, recorded]).toEqual([2, 14]);
    for (const budget of [
      { epochs: 0, tasksPerEpoch: 7 },
      { epochs: 2, tasksPerEpoch: 1.5 },
      { epochs: 1001, tasksPerEpoch: 7 },
    ]) {
      let caught: unknown;
      try {
        createContext(spec({ budget }));
      } catch (error) {
        caught = error;
      }
      expect(isSonaError(caught) && caught.code).toBe('OUT_OF_RANGE');
    }
  });

  it('gives full and ablated runs of a fold the same learner stream, and ablations their override', () => {
    const s = spec({ version: 'v3' });
    const context = createContext(s);
    const calls: LearnerFactoryArgs[] = [];
    const capture: LearnerFactory = (args) => {
      calls.push(args);
      return uniformRandomLearner(args);
    };
    runJob(context, { modelIndex: 2, fold: 1, variant: 'full' }, capture);
    runJob(context, { modelIndex: 2, fold: 1, variant: 'per' }, capture);
    runJob(context, { modelIndex: 2, fold: 2, variant: 'full' }, capture);
    expect(calls[0]!.overrides).toBeUndefined();
    expect(calls[1]!.overrides).toEqual({ per: false });
    expect(calls[0]!.modelParamsB).toBe(3.8);
    expect(calls[0]!.dim).toBe(256);
    expect(calls[0]!.version).toBe('v3');
    // Streams were drawn from during the runs; compare fresh forks via their keys.
    expect(calls[0]!.rng.state().key).toEqual(calls[1]!.rng.state().key);
    expect(calls[0]!.rng.state().key).not.toEqual(calls[2]!.rng.state().key);
  });
});

describe('determinism of results', () => {
  it('does not depend on the order jobs ran in', () => {
    const s = spec({ version: 'v3', profiles: PAIR });
    const forward = runAll(s, () => uniformRandomLearner).content;
    // Odd jobs first, each half reversed: every job moves, and ablations finish before full runs.
    const shuffled = runAll(
      s,
      () => uniformRandomLearner,
      (jobs) =>
        [...jobs.filter((_, i) => i % 2 === 1), ...jobs.filter((_, i) => i % 2 === 0)].reverse(),
    ).content;
    expect(canonicalHash(shuffled)).toBe(canonicalHash(forward));
  });

  it('the same seed gives the same resultHash, another seed another one', async () => {
    const run = (seed: number) =>
      runBenchmark({ ...spec({ seed }), learner: 'random', workers: 0 }).then((r) => r.result);
    const [a, b, c] = await Promise.all([run(3), run(3), run(4)]);
    expect(a.resultHash).toBe(b.resultHash);
    expect(a.resultHash).not.toBe(c.resultHash);
    expect(a.resultHash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.simulated).toBe(true);
    expect(a.environment).toMatchObject({ kind: 'simulated', simulated: true });
    expect(a.title).toContain('SIMULATED');
  });
});

describe('learners that break the contract get a clear error', () => {
  const context = createContext(spec());
  const job = { modelIndex: 0, fold: 0, variant: 'full' as const };
  const breaking =
    (patch: Partial<ReturnType<LearnerFactory>>): LearnerFactory =>
    (args) => ({
      ...(() => {
        const inner = uniformRandomLearner(args);
        return {
          choose: inner.choose.bind(inner),
          record: inner.record.bind(inner),
          pickTask: inner.pickTask.bind(inner),
          endEpoch: inner.endEpoch.bind(inner),
          stats: inner.stats.bind(inner),
          state: inner.state.bind(inner),
        };
      })(),
      ...patch,
    });
  const scores = new Float32Array(6);
  const cases: [string, Partial<ReturnType<LearnerFactory>>, string][] = [
    [
      'an unknown arm',
      { choose: () => ({ arm: 'telepathy', confidence: 0.5, scores }) },
      'INVALID_ARGUMENT',
    ],
    [
      'a NaN confidence',
      { choose: () => ({ arm: 'direct', confidence: Number.NaN, scores }) },
      'OUT_OF_RANGE',
    ],
    [
      'too few scores',
      { choose: () => ({ arm: 'direct', confidence: 0.5, scores: new Float32Array(2) }) },
      'DIM_MISMATCH',
    ],
    [
      'an infinite score',
      {
        choose: () => ({
          arm: 'direct',
          confidence: 0.5,
          scores: Float32Array.of(0, 0, 0, Number.POSITIVE_INFINITY, 0, 0),
        }),
      },
      'NON_FINITE',
    ],
    [
      'a task from elsewhere',
      { pickTask: (c: readonly Task[]) => ({ ...c[0]! }) },
      'INVALID_ARGUMENT',
    ],
    [
      'a wrong epoch number',
      {
        endEpoch: () => ({
          epoch: 9,
          attempts: 0,
          successRate: 0,
          meanConfidence: 0,
          patterns: 0,
          learningRate: 0,
          temperature: 0,
          difficulty: 0,
        }),
      },
      'INVALID_ARGUMENT',
    ],
    [
      'a summary with a NaN field',
      {
        endEpoch: () => ({
          epoch: 1,
          attempts: 0,
          successRate: Number.NaN,
          meanConfidence: 0,
          patterns: 0,
          learningRate: 0,
          temperature: 0,
          difficulty: 0,
        }),
      },
      'INVALID_ARGUMENT',
    ],
  ];
  for (const [what, patch, code] of cases) {
    it(`rejects ${what} with ${code}`, () => {
      try {
        runJob(context, job, breaking(patch));
        expect.unreachable();
      } catch (error) {
        expect(isSonaError(error, code as never)).toBe(true);
      }
    });
  }
});

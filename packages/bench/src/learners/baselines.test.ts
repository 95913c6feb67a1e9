import { createRng, type Rng, TASK_TYPES, type Task } from '@sona/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Learner, LearnerFactory } from '../learner';
import { checkLearnerContract } from '../learner-contract';
import { invert } from '../test-support/linear-algebra';
import { KNN_DEFAULTS, knnLearner, topK, unitVector } from './knn';
import { LINEAR_DEFAULTS, linTsLearner, linUcbLearner } from './linear';
import * as betaModule from './math/beta';
import { BASELINE_NAMES, resolveLearnerFactory } from './registry';
import { thompsonLearner } from './thompson';
import { ucb1Learner } from './ucb1';

const ARMS = ['a', 'b', 'c', 'd'] as const;

function make(factory: LearnerFactory, dim: number, seed = 1): Learner {
  return factory({
    version: 'v3',
    dim,
    arms: ARMS,
    modelParamsB: 3,
    rng: createRng(seed).fork('learner'),
    epochs: 3,
  });
}

function task(id: string, type: string, embedding: readonly number[]): Task {
  return {
    id,
    type: type as Task['type'],
    difficulty: 0.5,
    bucket: 'medium',
    embedding: Float32Array.from(embedding),
  };
}

/** A training history: (type, arm, success, embedding) per attempt. */
const historyArb = (dim: number, maxLength = 30) =>
  fc.array(
    fc.record({
      type: fc.constantFrom(...TASK_TYPES),
      arm: fc.integer({ min: 0, max: ARMS.length - 1 }),
      success: fc.boolean(),
      embedding: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), {
        minLength: dim,
        maxLength: dim,
      }),
    }),
    { maxLength },
  );

type History = { type: string; arm: number; success: boolean; embedding: number[] }[];

function replay(learner: Learner, history: History): void {
  for (const [i, h] of history.entries()) {
    const outcome = { success: h.success, quality: h.success ? 1 : 0 };
    learner.record(task(`t${i}`, h.type, h.embedding), ARMS[h.arm]!, outcome);
  }
}

describe('the standard baselines', () => {
  it.each(BASELINE_NAMES)('%s keeps the learner contract (v1 and v3 schedules)', (name) => {
    const factory = resolveLearnerFactory(name);
    expect(checkLearnerContract(factory, { version: 'v3' })).toEqual([]);
    expect(checkLearnerContract(factory, { version: 'v1', seed: 7, epochs: 3 })).toEqual([]);
  });

  it.each(BASELINE_NAMES)('%s refuses an arm it does not know', (name) => {
    const learner = make(resolveLearnerFactory(name), 2);
    expect(() =>
      learner.record(task('x', 'bug_fix', [1, 0]), 'zzz', { success: true, quality: 1 }),
    ).toThrow(/unknown arm/);
  });
});

/** Direct per-type counts of a history. */
function counts(history: History, type: string) {
  const n = ARMS.map(() => 0);
  const s = ARMS.map(() => 0);
  for (const h of history) {
    if (h.type !== type) continue;
    n[h.arm]!++;
    if (h.success) s[h.arm]!++;
  }
  return { n, s };
}

function argmax(values: readonly number[], among: readonly number[] = values.map((_, i) => i)) {
  let best = among[0]!;
  for (const i of among) if (values[i]! > values[best]!) best = i;
  return best;
}

describe('thompson (Beta(1, 1) per task type × arm)', () => {
  it('greedy picks the highest posterior mean (1 + s)/(2 + n) and reports it as the confidence', () => {
    fc.assert(
      fc.property(historyArb(1), fc.constantFrom(...TASK_TYPES), (history, type) => {
        const learner = make(thompsonLearner, 1);
        replay(learner, history);
        const { n, s } = counts(history, type);
        const means = n.map((count, a) => Math.fround((s[a]! + 1) / (count + 2)));
        const choice = learner.choose(task('q', type, [0]), { explore: false });
        expect(Array.from(choice.scores)).toEqual(means);
        expect(choice.arm).toBe(ARMS[argmax(means)]);
        expect(choice.confidence).toBe(means[argmax(means)]);
      }),
    );
  });

  it('training plays the highest of one Beta(1 + s, 1 + f) draw per offered arm', () => {
    fc.assert(
      fc.property(historyArb(1), fc.nat(), (history, seed) => {
        const learner = make(thompsonLearner, 1, seed);
        replay(learner, history);
        // The learner's stream is forked from the seed; a clone of it predicts the draws.
        const stream = createRng(seed).fork('learner');
        const { n, s } = counts(history, 'bug_fix');
        const { sampleBeta } = betaModule;
        const offered = [1, 3];
        const draws = [0, 0, 0, 0];
        for (const a of offered) draws[a] = sampleBeta(1 + s[a]!, 1 + n[a]! - s[a]!, stream);
        const choice = learner.choose(task('q', 'bug_fix', [0]), { arms: ['b', 'd'] });
        expect(choice.arm).toBe(ARMS[argmax(draws, offered)]);
      }),
    );
  });
});

describe('ucb1 (per task type)', () => {
  it('training plays untried arms first, then the highest x̄ + √(2 ln n / n_j); it draws nothing', () => {
    fc.assert(
      fc.property(historyArb(1, 40), fc.constantFrom(...TASK_TYPES), (history, type) => {
        const learner = make(ucb1Learner, 1);
        replay(learner, history);
        const before = JSON.stringify(learner.state());
        const { n, s } = counts(history, type);
        const total = n.reduce((a, b) => a + b, 0);
        const index = n.map((nj, j) =>
          nj === 0 ? Number.POSITIVE_INFINITY : s[j]! / nj + Math.sqrt((2 * Math.log(total)) / nj),
        );
        const choice = learner.choose(task('q', type, [0]));
        expect(choice.arm).toBe(ARMS[argmax(index)]);
        expect(JSON.stringify(learner.state())).toBe(before);
      }),
    );
  });

  it('a fresh learner tries every arm once, in order', () => {
    const learner = make(ucb1Learner, 1);
    const played: string[] = [];
    for (let i = 0; i < ARMS.length; i++) {
      const t = task(`t${i}`, 'refactor', [0]);
      const { arm } = learner.choose(t);
      played.push(arm);
      learner.record(t, arm, { success: false, quality: 0 });
    }
    expect(played).toEqual([...ARMS]);
  });
});

/** The direct ridge fit of each arm on [embedding, 1]. */
function directFits(history: History, dim: number) {
  const d = dim + 1;
  return ARMS.map((_, a) => {
    const A = new Float64Array(d * d);
    const b = new Float64Array(d);
    for (let i = 0; i < d; i++) A[i * d + i] = LINEAR_DEFAULTS.ridge;
    for (const h of history) {
      if (h.arm !== a) continue;
      const x = [...h.embedding.map((v) => Math.fround(v)), 1];
      for (let i = 0; i < d; i++) {
        b[i]! += (h.success ? 1 : 0) * x[i]!;
        for (let j = 0; j < d; j++) A[i * d + j]! += x[i]! * x[j]!;
      }
    }
    const inv = invert(A, d);
    const theta = Array.from({ length: d }, (_, i) => {
      let sum = 0;
      for (let j = 0; j < d; j++) sum += inv[i * d + j]! * b[j]!;
      return sum;
    });
    const mean = (x: readonly number[]) => x.reduce((sum, v, i) => sum + v * theta[i]!, 0);
    const variance = (x: readonly number[]) => {
      let sum = 0;
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) sum += x[i]! * inv[i * d + j]! * x[j]!;
      return sum;
    };
    return { mean, variance };
  });
}

const DIM = 3;
const queryArb = fc.array(fc.double({ min: -1, max: 1, noNaN: true }), {
  minLength: DIM,
  maxLength: DIM,
});

/** Arms whose scores are too close to tell apart in floating point are not checked. */
function separated(values: readonly number[], best: number): boolean {
  return values.every((v, i) => i === best || values[best]! - v > 1e-9);
}

describe('linucb (disjoint, α = 1, ridge 1, [embedding, 1])', () => {
  it('greedy takes the highest xᵀθ̂_a, training the highest xᵀθ̂_a + α√(xᵀA_a⁻¹x), as computed directly', () => {
    fc.assert(
      fc.property(historyArb(DIM), queryArb, (history, raw) => {
        const learner = make(linUcbLearner, DIM);
        replay(learner, history);
        const q = task('q', 'bug_fix', raw);
        const x = [...Array.from(q.embedding), 1];
        const fits = directFits(history, DIM);
        const means = fits.map((f) => f.mean(x));
        const ucb = fits.map((f) => f.mean(x) + LINEAR_DEFAULTS.alpha * Math.sqrt(f.variance(x)));
        const greedy = learner.choose(q, { explore: false });
        for (let a = 0; a < ARMS.length; a++) expect(greedy.scores[a]).toBeCloseTo(means[a]!, 5);
        if (separated(means, argmax(means))) expect(greedy.arm).toBe(ARMS[argmax(means)]);
        expect(greedy.confidence).toBeCloseTo(Math.min(1, Math.max(0, means[argmax(means)]!)), 5);
        if (separated(ucb, argmax(ucb))) expect(learner.choose(q).arm).toBe(ARMS[argmax(ucb)]);
      }),
    );
  });

  it('confidence is the prediction clipped to [0, 1], even where the linear fit leaves it', () => {
    const learner = make(linUcbLearner, 1);
    for (let i = 0; i < 30; i++) {
      learner.record(task(`t${i}`, 'bug_fix', [1]), 'a', { success: true, quality: 1 });
    }
    // Far along the feature, the fit extrapolates beyond 1; the confidence stays a probability.
    const far = learner.choose(task('far', 'bug_fix', [40]), { explore: false, arms: ['a'] });
    expect(far.scores[0]).toBeGreaterThan(1);
    expect(far.confidence).toBe(1);
  });
});

describe('lints (linear Thompson sampling, v = 1, ridge 1)', () => {
  it('training plays the highest of xᵀθ̂_a + v·√(xᵀA_a⁻¹x)·z_a, one z_a ~ N(0, 1) per offered arm in order', () => {
    fc.assert(
      fc.property(historyArb(DIM), queryArb, fc.nat(), (history, raw, seed) => {
        const learner = make(linTsLearner, DIM, seed);
        replay(learner, history);
        const stream: Rng = createRng(seed).fork('learner');
        const q = task('q', 'bug_fix', raw);
        const x = [...Array.from(q.embedding), 1];
        const fits = directFits(history, DIM);
        const offered = [0, 2, 3];
        const draws = [Number.NEGATIVE_INFINITY, 0, 0, 0];
        for (const a of offered) {
          draws[a] =
            fits[a]!.mean(x) +
            LINEAR_DEFAULTS.v * Math.sqrt(fits[a]!.variance(x)) * stream.normal();
        }
        const best = argmax(draws, offered);
        fc.pre(offered.every((a) => a === best || draws[best]! - draws[a]! > 1e-9));
        expect(learner.choose(q, { arms: ['a', 'c', 'd'] }).arm).toBe(ARMS[best]);
      }),
    );
  });

  it('its sampled score has mean xᵀθ̂ and variance v²·xᵀA⁻¹x (4000 draws, fixed seed)', () => {
    const learner = make(linTsLearner, 2, 3);
    const history: History = [
      { type: 'bug_fix', arm: 0, success: true, embedding: [0.5, 0.1] },
      { type: 'bug_fix', arm: 0, success: false, embedding: [0.2, -0.4] },
    ];
    replay(learner, history);
    const x = [0.3, 0.3, 1];
    const fit = directFits(history, 2)[0]!;
    // Offer arm a alone and replay the learner's stream beside it: it draws exactly one normal
    // per offered arm (its stream state says so at the end), so the clone sees the same z.
    const stream = createRng(3).fork('learner');
    let sum = 0;
    let sq = 0;
    const n = 4000;
    for (let i = 0; i < n; i++) {
      learner.choose(task('q', 'bug_fix', [0.3, 0.3]), { arms: ['a'] });
      const z = stream.normal();
      const score = fit.mean(x) + Math.sqrt(fit.variance(x)) * z;
      sum += score;
      sq += score * score;
    }
    const mean = sum / n;
    expect(Math.abs(mean - fit.mean(x))).toBeLessThan(5 * Math.sqrt(fit.variance(x) / n));
    expect(sq / n - mean * mean).toBeCloseTo(fit.variance(x), 1);
    expect(learner.state()).toMatchObject({ rng: stream.state() });
  });
});

describe('knn (cosine, k = 10, ε-greedy)', () => {
  it('topK is the first k of a stable sort by decreasing value', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 12 }),
        (values, k) => {
          const v = Float64Array.from(values);
          const sorted = values
            .map((x, i) => ({ x, i }))
            .sort((p, q) => q.x - p.x || p.i - q.i)
            .slice(0, k)
            .map((p) => p.i);
          expect(Array.from(topK(v, k))).toEqual(sorted);
        },
      ),
    );
  });

  it('scores each arm by (hits + 1)/(m + 2) over its k most cosine-similar attempts', () => {
    fc.assert(
      fc.property(historyArb(DIM, 60), queryArb, (history, raw) => {
        const learner = make(knnLearner, DIM);
        replay(learner, history);
        const q = unitVector(Float32Array.from(raw));
        const want = ARMS.map((_, a) => {
          const own = history
            .map((h, i) => ({ h, i }))
            .filter(({ h }) => h.arm === a)
            .map(({ h, i }) => {
              const u = unitVector(Float32Array.from(h.embedding));
              let dot = 0;
              for (let j = 0; j < DIM; j++) dot += u[j]! * q[j]!;
              return { dot, i, success: h.success };
            })
            .sort((p, r) => r.dot - p.dot || p.i - r.i)
            .slice(0, KNN_DEFAULTS.k);
          if (own.length === 0) return 0.5;
          return Math.fround((own.filter((o) => o.success).length + 1) / (own.length + 2));
        });
        const choice = learner.choose(task('q', 'bug_fix', raw), { explore: false });
        expect(Array.from(choice.scores)).toEqual(want);
        expect(choice.arm).toBe(ARMS[argmax(want)]);
        expect(choice.confidence).toBe(want[argmax(want)]);
      }),
    );
  });

  it('explores with probability ε (2000 training choices, fixed seed, binomial bounds)', () => {
    const learner = make(knnLearner, 2, 9);
    // Make arm c clearly the best everywhere, so any other arm is an exploration step.
    for (let i = 0; i < 20; i++) {
      learner.record(task(`t${i}`, 'bug_fix', [1, 0]), 'c', { success: true, quality: 1 });
    }
    let other = 0;
    const n = 2000;
    for (let i = 0; i < n; i++)
      if (learner.choose(task('q', 'bug_fix', [1, 0])).arm !== 'c') other++;
    // An exploring step picks c with probability 1/4: P(other) = ε·3/4.
    const p = (KNN_DEFAULTS.epsilon * 3) / 4;
    expect(Math.abs(other / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
  });
});

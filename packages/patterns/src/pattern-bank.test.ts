import {
  createRng,
  type SonaErrorCode,
  TASK_TYPES,
  type TaskType,
  type Trajectory,
} from '@sona/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectSonaError, sonaErrorCode } from '../../../tools/testing/sona-error';
import { describeStateLaws } from '../../../tools/testing/state-laws';
import { PatternBank, type PatternBankState, smoothedRate } from './pattern-bank';
import { cosine64 } from './test-support';
import { norm64 } from './unit-vector';

const DIM = 8;
const ARMS = ['careful', 'fast', 'tests-first'];

/**
 * Trajectories around a few latent directions; each direction has a favourite task type and
 * per-arm success probabilities, so patterns and arm rates have something to find.
 */
function synthetic(seed: number, count: number, zeroEvery = 0): Trajectory[] {
  const rng = createRng(seed);
  const centres = Array.from({ length: 4 }, () =>
    Float64Array.from({ length: DIM }, () => rng.normal()),
  );
  const effect = centres.map(() => ARMS.map(() => rng.uniform()));
  return Array.from({ length: count }, (_, i) => {
    const c = rng.int(centres.length);
    const embedding = Float32Array.from(centres[c]!, (x) => x + rng.normal(0, 0.4));
    if (zeroEvery > 0 && i % zeroEvery === 0) embedding.fill(0);
    const a = rng.int(ARMS.length);
    const success = rng.bernoulli(effect[c]![a]!);
    // Mostly the cluster's own type; otherwise any of the four or an open label.
    const type: TaskType = rng.bernoulli(0.7)
      ? TASK_TYPES[c]!
      : rng.pick([...TASK_TYPES, 'django/django', 'other']);
    const confidence = rng.uniform();
    return {
      taskId: `task-${i}`,
      type,
      difficulty: rng.uniform(),
      embedding,
      arm: ARMS[a]!,
      success,
      quality: success ? 0.5 + 0.5 * rng.uniform() : 0.4 * rng.uniform(),
      confidence,
      tdError: (success ? 1 : 0) - confidence,
      epoch: 0,
    };
  });
}

const scenarioArb = fc.record({
  seed: fc.nat(),
  count: fc.integer({ min: 0, max: 150 }),
  maxPatterns: fc.integer({ min: 1, max: 12 }),
  minPerPattern: fc.integer({ min: 1, max: 8 }),
  diversity: fc.boolean(),
  topK: fc.integer({ min: 1, max: 6 }),
});

/** Skip comparisons whose float32 and float64 answers may legitimately differ (near-ties). */
const NEAR = 1e-5;

function similarities(bank: PatternBank, embedding: Float32Array): number[] {
  return bank.patterns().map((p) => cosine64(embedding, p.centroid));
}

describe('PatternBank extraction', () => {
  it('builds patterns by the documented rules: k, minimum members, mean quality, type mix', () => {
    fc.assert(
      fc.property(scenarioArb, ({ seed, count, ...options }) => {
        const trajectories = synthetic(seed, count);
        const bank = new PatternBank(options);
        const summary = bank.extract(trajectories, createRng(seed).fork('kmeans'));
        const m = trajectories.filter((t) => t.quality >= 0.35).length;
        expect(summary.successful).toBe(m);
        expect(summary.clusters).toBe(
          m < options.minPerPattern
            ? 0
            : Math.min(options.maxPatterns, Math.floor(m / options.minPerPattern)),
        );
        expect(summary.patterns).toBe(bank.size);
        expect(summary.patterns).toBeLessThanOrEqual(summary.candidates);
        expect(summary.candidates).toBeLessThanOrEqual(summary.clusters);
        if (m >= options.minPerPattern) expect(bank.size).toBeGreaterThanOrEqual(1);
        let members = 0;
        for (const p of bank.patterns()) {
          expect(p.count).toBeGreaterThanOrEqual(options.minPerPattern);
          expect(p.quality).toBeGreaterThanOrEqual(0.35 - 1e-12);
          expect(p.quality).toBeLessThanOrEqual(1);
          // Every type of the bank's members is a column, in code-unit order.
          const types = Object.keys(p.typeMix);
          expect(types).toEqual([...types].sort());
          const mix = types.map((t) => p.typeMix[t]!);
          expect(mix.reduce((a, b) => a + b, 0)).toBe(p.count);
          expect(p.dominantType).toBe(types[mix.indexOf(Math.max(...mix))]);
          expect(norm64(p.centroid)).toBeCloseTo(1, 5);
          members += p.count;
        }
        expect(members).toBeLessThanOrEqual(m);
        if (!options.diversity) {
          expect(bank.size).toBe(summary.candidates);
          const qualities = bank.qualities();
          for (let i = 1; i < qualities.length; i++)
            expect(qualities[i]!).toBeLessThanOrEqual(qualities[i - 1]!);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('counts every outcome, success or failure, at its most similar pattern when the cosine reaches simThreshold', () => {
    fc.assert(
      fc.property(scenarioArb, ({ seed, count, ...options }) => {
        const trajectories = synthetic(seed, count);
        const bank = new PatternBank(options);
        const summary = bank.extract(trajectories, createRng(seed));
        const trials = bank.patterns().map(() => new Map<string, number>());
        const successes = bank.patterns().map(() => new Map<string, number>());
        let attributed = 0;
        let uncertain = 0;
        for (const t of trajectories) {
          const sims = similarities(bank, t.embedding);
          if (sims.length === 0) continue;
          const sorted = [...sims].sort((a, b) => b - a);
          const best = sims.indexOf(sorted[0]!);
          if (
            Math.abs(sorted[0]! - 0.5) < NEAR ||
            (sorted.length > 1 && sorted[0]! - sorted[1]! < NEAR)
          ) {
            uncertain++;
            continue;
          }
          if (sorted[0]! < 0.5) continue;
          attributed++;
          trials[best]!.set(t.arm, (trials[best]!.get(t.arm) ?? 0) + 1);
          if (t.success) successes[best]!.set(t.arm, (successes[best]!.get(t.arm) ?? 0) + 1);
        }
        fc.pre(uncertain === 0);
        expect(summary.attributed).toBe(attributed);
        bank.patterns().forEach((p, i) => {
          for (const record of p.arms) {
            expect(record.trials).toBe(trials[i]!.get(record.arm) ?? 0);
            expect(record.successes).toBe(successes[i]!.get(record.arm) ?? 0);
          }
        });
        // Failures count as trials: a rate can fall below 1.
        const failuresSeen = bank
          .patterns()
          .some((p) => p.arms.some((r) => r.trials > r.successes));
        const failuresNear = trajectories.some((t) => !t.success);
        if (bank.size > 0 && failuresNear && attributed === trajectories.length)
          expect(failuresSeen).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('the same seed gives the same bank', () => {
    fc.assert(
      fc.property(scenarioArb, ({ seed, count, ...options }) => {
        const trajectories = synthetic(seed, count);
        const a = new PatternBank(options);
        const b = new PatternBank(options);
        a.extract(trajectories, createRng(seed));
        b.extract(trajectories, createRng(seed));
        expect(b.state()).toEqual(a.state());
      }),
      { numRuns: 30 },
    );
  });

  it('fewer successful trajectories than minPerPattern leave the bank empty (documented, not an error)', () => {
    const bank = new PatternBank({ minPerPattern: 5 });
    const trajectories = synthetic(1, 200);
    bank.extract(trajectories, createRng(1));
    expect(bank.size).toBeGreaterThan(0);
    const few = trajectories.filter((t) => t.quality >= 0.35).slice(0, 4);
    const summary = bank.extract(few, createRng(1));
    expect(summary).toMatchObject({ successful: 4, clusters: 0, patterns: 0 });
    expect(bank.size).toBe(0);
    expect(bank.match(few[0]!.embedding, 'bug_fix')).toEqual([]);
    expect(bank.armScores(few[0]!.embedding, 'bug_fix', ARMS)).toEqual(
      Float32Array.of(0.5, 0.5, 0.5),
    );
    expect(bank.extract([], createRng(1)).patterns).toBe(0);
  });

  it('trajectories with a zero embedding have no direction and are skipped', () => {
    const trajectories = synthetic(3, 120, 7);
    const bank = new PatternBank();
    const summary = bank.extract(trajectories, createRng(3));
    expect(summary.skipped).toBe(
      trajectories.filter((t) => t.embedding.every((v) => v === 0)).length,
    );
    expect(summary.skipped).toBeGreaterThan(0);
    expect(bank.size).toBeGreaterThan(0);
  });
});

function trained(seed: number, options = {}) {
  const bank = new PatternBank({ minPerPattern: 3, ...options });
  bank.extract(synthetic(seed, 150), createRng(seed));
  return bank;
}

const queryArb = fc.record({
  seed: fc.nat({ max: 20 }),
  query: fc
    .array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: DIM, maxLength: DIM })
    .map((v) => Float32Array.from(v)),
  type: fc.constantFrom(...TASK_TYPES),
  topK: fc.integer({ min: 1, max: 8 }),
});

describe('PatternBank matching', () => {
  it('match returns the top-k patterns with cosine ≥ 0.5, most similar first, weight ×1.2 for the same dominant type', () => {
    fc.assert(
      fc.property(queryArb, ({ seed, query, type, topK }) => {
        const bank = trained(seed, { topK });
        const sims = similarities(bank, query);
        const ranked = sims.map((s, id) => ({ s, id })).sort((a, b) => b.s - a.s || a.id - b.id);
        const gaps = ranked.slice(1).map((r, i) => ranked[i]!.s - r.s);
        fc.pre(sims.every((s) => Math.abs(s - 0.5) > NEAR) && gaps.every((g) => g > NEAR));
        const expected = ranked.slice(0, topK).filter((r) => r.s >= 0.5);
        const matches = bank.match(query, type);
        expect(matches.map((m) => m.pattern.id)).toEqual(expected.map((r) => r.id));
        matches.forEach((m, i) => {
          expect(m.similarity).toBeCloseTo(expected[i]!.s, 5);
          const bonus = m.pattern.dominantType === type ? 1.2 : 1;
          expect(m.weight).toBe(m.similarity * bonus);
        });
      }),
      { numRuns: 100 },
    );
  });

  it('armScores are the match-weighted Laplace success rates, aligned with the arms given', () => {
    fc.assert(
      fc.property(
        queryArb,
        fc.shuffledSubarray([...ARMS, 'never-tried']),
        ({ seed, query, type }, arms) => {
          const bank = trained(seed);
          const matches = bank.match(query, type);
          const scores = bank.armScores(query, type, arms);
          expect(scores.length).toBe(arms.length);
          arms.forEach((arm, a) => {
            if (matches.length === 0) {
              expect(scores[a]).toBe(0.5);
              return;
            }
            let weighted = 0;
            let total = 0;
            for (const m of matches) {
              const record = m.pattern.arms.find((r) => r.arm === arm);
              weighted += m.weight * (record ? smoothedRate(record.successes, record.trials) : 0.5);
              total += m.weight;
            }
            expect(scores[a]).toBeCloseTo(weighted / total, 6);
            expect(scores[a]).toBeGreaterThan(0);
            expect(scores[a]).toBeLessThan(1);
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a zero query matches nothing; a scaled query matches as the original, even near float32 limits', () => {
    const bank = trained(1);
    expect(bank.match(new Float32Array(DIM), 'refactor')).toEqual([]);
    const query = synthetic(1, 1)[0]!.embedding;
    const ids = (q: Float32Array) => bank.match(q, 'refactor').map((m) => m.pattern.id);
    expect(ids(query).length).toBeGreaterThan(0);
    for (const factor of [1e-30, 1e-20, 1e20, 1e30]) {
      const scaled = query.map((v) => v * factor);
      expect(ids(scaled)).toEqual(ids(query));
      bank.match(scaled, 'refactor').forEach((m, i) => {
        expect(m.similarity).toBeCloseTo(bank.match(query, 'refactor')[i]!.similarity, 5);
      });
    }
  });
});

describe('PatternBank errors', () => {
  it('bad input raises a SonaError and leaves the bank exactly as it was', () => {
    const bank = new PatternBank({ minPerPattern: 3 });
    const trajectories = synthetic(9, 80);
    bank.extract(trajectories, createRng(9));
    const before = bank.state();
    const good = trajectories[0]!;
    const bad: [unknown, SonaErrorCode][] = [
      [{ ...good, embedding: new Float32Array(DIM + 1) }, 'DIM_MISMATCH'],
      [
        { ...good, embedding: Float32Array.of(Number.NaN, ...new Float32Array(DIM - 1)) },
        'NON_FINITE',
      ],
      [{ ...good, quality: 1.2 }, 'OUT_OF_RANGE'],
      [{ ...good, type: '' }, 'INVALID_ARGUMENT'],
      [{ ...good, type: 42 }, 'INVALID_ARGUMENT'],
      [{ ...good, arm: 7 }, 'INVALID_ARGUMENT'],
      [{ ...good, success: 'yes' }, 'INVALID_ARGUMENT'],
      [null, 'INVALID_ARGUMENT'],
    ];
    for (const [t, code] of bad) {
      expectSonaError(() => bank.extract([...trajectories, t as Trajectory], createRng(1)), code);
    }
    expectSonaError(() => bank.extract(trajectories, undefined as never), 'INVALID_ARGUMENT');
    expectSonaError(() => bank.extract('x' as never, createRng(1)), 'INVALID_ARGUMENT');
    expectSonaError(() => bank.match(new Float32Array(DIM + 1), 'bug_fix'), 'DIM_MISMATCH');
    expectSonaError(() => bank.match(good.embedding, '' as never), 'INVALID_ARGUMENT');
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const query = good.embedding.slice();
      query[DIM - 1] = bad;
      expectSonaError(() => bank.match(query, 'bug_fix'), 'NON_FINITE');
      expectSonaError(() => bank.armScores(query, 'bug_fix', ['a']), 'NON_FINITE');
      expectSonaError(() => new PatternBank().match(query, 'bug_fix'), 'NON_FINITE');
    }
    expectSonaError(
      () => bank.armScores(good.embedding, 'bug_fix', [1] as never),
      'INVALID_ARGUMENT',
    );
    expect(bank.state()).toEqual(before);
    expectSonaError(() => new PatternBank({ maxPatterns: 0 }), 'OUT_OF_RANGE');
    expectSonaError(() => new PatternBank({ qualityThreshold: 2 }), 'OUT_OF_RANGE');
    expectSonaError(() => new PatternBank({ diversity: 'on' as never }), 'INVALID_ARGUMENT');
  });

  it('fromState rejects a state whose parts disagree', () => {
    const bank = new PatternBank({ minPerPattern: 3 });
    bank.extract(synthetic(4, 80), createRng(4));
    const s = bank.state();
    expect(s.qualities.length).toBeGreaterThan(0);
    const broken = (patch: Partial<Record<keyof PatternBankState, unknown>>) =>
      sonaErrorCode(() => PatternBank.fromState({ ...s, ...patch } as PatternBankState));
    expect(broken({})).toBe('none');
    expect(broken({ kind: 'bank' })).toBe('INVALID_STATE');
    expect(broken({ qualities: [...s.qualities, 0.5] })).toBe('INVALID_STATE');
    expect(broken({ qualities: s.qualities.map(() => 2) })).toBe('OUT_OF_RANGE');
    expect(broken({ counts: s.counts.map((c) => c + 1) })).toBe('INVALID_STATE');
    expect(broken({ successes: s.trials.map((row) => row.map((t) => t + 1)) })).toBe(
      'INVALID_STATE',
    );
    expect(broken({ arms: [...s.arms.slice(1), s.arms[0]!, s.arms[0]!] })).toBe('INVALID_STATE');
    expect(broken({ centroids: s.centroids.map((v) => v * 2) })).toBe('INVALID_STATE');
    expect(broken({ centroids: s.centroids.map(() => Number.NaN) })).toBe('NON_FINITE');
    expect(broken({ trials: s.trials.map((row) => row.map(() => -1)) })).toBe('OUT_OF_RANGE');
  });
});

describeStateLaws('PatternBank', {
  recipe: fc.nat({ max: 20 }),
  build: (seed) => trained(seed),
  state: (bank) => bank.state(),
  fromState: (state) => PatternBank.fromState(state),
  kind: 'pattern-bank',
  continuation: {
    input: () => queryArb,
    run: (bank, { query, type }) => [bank.match(query, type), bank.armScores(query, type, ARMS)],
  },
  numRuns: 30,
});

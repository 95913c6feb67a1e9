import { describe, expect, it } from 'vitest';
import type { Learner, LearnerFactory } from './learner';
import { checkLearnerContract, plainEqual } from './learner-contract';
import { UniformRandomLearner, uniformRandomLearner } from './learners/random';
import { perTypeBandit } from './test-support/learners';

/** A uniform random learner with one method replaced. */
function variant(
  patch: (inner: Learner, args: Parameters<LearnerFactory>[0]) => Partial<Learner>,
): LearnerFactory {
  return (args) => {
    const inner = new UniformRandomLearner(args);
    const base: Learner = {
      choose: (t, o) => inner.choose(t, o),
      record: (t, a, o) => inner.record(t, a, o),
      pickTask: (c) => inner.pickTask(c),
      endEpoch: () => inner.endEpoch(),
      stats: () => inner.stats(),
      state: () => inner.state(),
    };
    return { ...base, ...patch(inner, args) };
  };
}

describe('checkLearnerContract', () => {
  it('finds nothing wrong with the uniform random learner or a per-type bandit', () => {
    expect(checkLearnerContract(uniformRandomLearner)).toEqual([]);
    expect(checkLearnerContract(perTypeBandit)).toEqual([]);
  });

  it('catches a greedy choose that draws from the learner stream', () => {
    const problems = checkLearnerContract(
      variant((inner) => ({ choose: (t) => inner.choose(t, { explore: true }) })),
    );
    expect(problems).toContain('choose(task, { explore: false }) changed the learner state');
  });

  it('catches learners that do not repeat themselves for the same seed', () => {
    let calls = 0;
    const problems = checkLearnerContract(
      variant((inner, args) => ({
        choose: (t, o) => {
          calls++;
          const c = inner.choose(t, o);
          return o?.explore === false ? c : { ...c, arm: args.arms[calls % args.arms.length]! };
        },
      })),
    );
    expect(problems).toContain(
      'two learners from the same seed made different choices, summaries or stats on the same run',
    );
  });

  it('catches stats that depend on the clock', () => {
    let tick = 0;
    const problems = checkLearnerContract(
      variant((inner) => ({ stats: () => ({ ...inner.stats(), elapsedMs: tick++ }) })),
    );
    expect(problems).toContain(
      'two learners from the same seed made different choices, summaries or stats on the same run',
    );
  });

  it('catches bad choices, trajectories, summaries and state', () => {
    const arms = checkLearnerContract(
      variant((inner) => ({ choose: (t, o) => ({ ...inner.choose(t, o), arm: 'nope' }) })),
    );
    expect(arms.some((p) => p.includes('returned an arm not in the list'))).toBe(true);
    const td = checkLearnerContract(
      variant((inner) => ({ record: (t, a, o) => ({ ...inner.record(t, a, o), tdError: 0.5 }) })),
    );
    expect(td.some((p) => p.includes('does not match the attempt'))).toBe(true);
    const epoch = checkLearnerContract(
      variant((inner) => ({ endEpoch: () => ({ ...inner.endEpoch(), epoch: 0 }) })),
    );
    expect(epoch.some((p) => p.startsWith('endEpoch() reported epoch 0'))).toBe(true);
    const state = checkLearnerContract(variant(() => ({ state: () => ({ memory: new Map() }) })));
    expect(state).toContain('state().memory holds a Map, not plain data');
    const ignoresOffer = checkLearnerContract(
      variant((inner) => ({
        choose: (t, o) => inner.choose(t, o?.explore === undefined ? {} : { explore: o.explore }),
      })),
    );
    expect(ignoresOffer.some((p) => p.endsWith('(options.arms ignored)'))).toBe(true);
    const pick = checkLearnerContract(variant(() => ({ pickTask: (c) => ({ ...c[0]! }) })));
    expect(pick).toContain('pickTask returned a task that is not one of the candidates');
  });
});

describe('plainEqual', () => {
  it('compares Float32Arrays bit for bit and objects regardless of key order', () => {
    expect(
      plainEqual({ a: Float32Array.of(1, -0), b: [1] }, { b: [1], a: Float32Array.of(1, -0) }),
    ).toBe(true);
    expect(plainEqual(Float32Array.of(0), Float32Array.of(-0))).toBe(false);
    expect(plainEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(plainEqual([1, 2], [1, 2])).toBe(true);
  });
});

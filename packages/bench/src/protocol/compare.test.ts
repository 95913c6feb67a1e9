import { describe, expect, it } from 'vitest';
import { runBenchmark } from '../runner/run';
import { type BenchmarkSpec, jobKey, planJobs } from './context';

const PAIR = {
  name: 'test-pair',
  description: 'two of the reference profiles',
  models: [
    { name: 'large', paramsB: 7, baseRate: 0.352 },
    { name: 'small', paramsB: 1.3, baseRate: 0.158 },
  ],
};

const spec: BenchmarkSpec = { version: 'v3', mode: 'quick', seed: 5, profiles: PAIR };

const run = (learner: string, compare: string[] = []) =>
  runBenchmark({ ...spec, learner, compare, workers: 0 }).then((r) => r.result);

describe('comparing learners in one run (--compare)', () => {
  it('plans one full job per model and fold for each compared learner, no ablations for them', () => {
    const jobs = planJobs({ ...spec, compare: ['linucb', 'knn'] });
    const compared = jobs.filter((j) => j.learner !== undefined);
    expect(compared).toHaveLength(2 * 2 * 5);
    expect(compared.every((j) => j.variant === 'full')).toBe(true);
    expect(new Set(jobs.map(jobKey)).size).toBe(jobs.length);
    expect(planJobs({ ...spec, ablations: false }).every((j) => j.variant === 'full')).toBe(true);
  });

  it('gives a compared learner exactly the figures it gets when run alone (same tasks and streams)', async () => {
    const [together, alone] = await Promise.all([run('random', ['thompson']), run('thompson')]);
    const compared = together.compared[0]!;
    expect(compared.learner).toBe('thompson');
    expect(compared.description).toMatch(/Thompson/);
    compared.models.forEach((m, i) => {
      expect(m.heldOutLearned).toEqual(alone.models[i]!.heldOutLearned);
      expect(m.learned.rate).toBe(alone.models[i]!.learned.rate);
      expect(m.confidence).toEqual(alone.models[i]!.confidence);
    });
    expect(compared.summary.learned.rate).toBe(alone.summary.learned.rate);
    // A baseline run alone skips the ablations it would ignore.
    expect(alone.config.ablations).toEqual([]);
    expect(alone.models[0]!.ablations).toEqual([]);
  });

  it('reports the run’s learner minus each compared one, paired, per model and for the mean over models', async () => {
    const result = await run('random', ['thompson', 'ucb1']);
    expect(result.config.compare).toEqual(['thompson', 'ucb1']);
    expect(result.versus.map((v) => v.against)).toEqual(['thompson', 'ucb1']);
    for (const [k, v] of result.versus.entries()) {
      const other = result.compared[k]!;
      v.models.forEach((m, i) => {
        const mine = result.models[i]!.heldOutLearned;
        const theirs = other.models[i]!.heldOutLearned;
        const diff = mine.reduce((s, x, j) => s + x - theirs[j]!, 0) / mine.length;
        expect(m.difference.rate).toBeCloseTo(diff, 12);
        expect(m.difference.ci[0]).toBeLessThanOrEqual(m.difference.rate);
        expect(m.difference.rate).toBeLessThanOrEqual(m.difference.ci[1]);
      });
      const meanDiff = result.summary.learned.rate - other.summary.learned.rate;
      expect(v.mean.difference.rate).toBeCloseTo(meanDiff, 12);
    }
    // Random learns nothing; Thompson sampling learns each type's best arm: the paired interval shows it.
    const thompson = result.versus.find((v) => v.against === 'thompson')!;
    expect(thompson.mean.difference.ci[1]).toBeLessThan(0);
    expect(thompson.mean.verdict).toBe('hurts');
  });

  it('summarises each learner over models: mean learned rate, captured share, worst ECE, pooled bins', async () => {
    const result = await run('ucb1', ['thompson']);
    for (const [learner, models, summary] of [
      ['ucb1', result.models, result.summary],
      ['thompson', result.compared[0]!.models, result.compared[0]!.summary],
    ] as const) {
      expect(summary.learner).toBe(learner);
      const meanRate = models.reduce((s, m) => s + m.learned.rate, 0) / models.length;
      expect(summary.learned.rate).toBeCloseTo(meanRate, 12);
      expect(summary.worstEce).toBe(Math.max(...models.map((m) => m.confidence.ece)));
      const pooled = summary.calibration.bins.reduce((s, b) => s + b.count, 0);
      expect(pooled).toBe(models.length * 5 * result.evaluation.taskIds.length);
      for (const m of models) {
        expect(m.confidence.bins.reduce((s, b) => s + b.count, 0)).toBe(
          5 * result.evaluation.taskIds.length,
        );
      }
    }
  });

  it('refuses an unknown learner, the run’s own learner, or one listed twice', async () => {
    await expect(run('random', ['telepathy'])).rejects.toThrow(/unknown learner 'telepathy'/);
    await expect(run('random', ['random'])).rejects.toThrow(/not compared with itself/);
    await expect(run('random', ['knn', 'knn'])).rejects.toThrow(/listed twice/);
  });

  it('`all` stands for every registered learner but the run’s own', async () => {
    const jobs = planJobs({ ...spec, compare: ['thompson'] });
    expect(jobs.length).toBeGreaterThan(0);
    const { resolveCompare } = await import('../learners/registry');
    expect(resolveCompare(['all'], 'sona')).toEqual([
      'random',
      'thompson',
      'ucb1',
      'linucb',
      'lints',
      'knn',
    ]);
  });
});

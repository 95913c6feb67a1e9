import type { Bucket } from '@sona/core';

/**
 * Every parameter of the simulated world, in one place. They were fixed before any learner
 * was run against the world and are never tuned to flatter a version; changing one changes
 * `environment.parameters` in every result file (and so its `resultHash`).
 *
 * The world (SPEC "Environments"):
 * - Each task type owns `clustersPerType` latent clusters. A cluster centre is
 *   normalise(typeWeight·u_type + clusterWeight·u_cluster) with u_* independent random unit
 *   vectors, so clusters of one type share a direction (cosine ≈ typeWeight² = 0.36) and
 *   clusters of different types are nearly orthogonal.
 * - A task's embedding is normalise(centre + noise) with noise ~ N(0, (embeddingNoise²/dim)·I),
 *   i.e. a noise vector of length ≈ embeddingNoise against a unit centre: cosine to its own
 *   centre ≈ 1/√(1 + 0.8²) ≈ 0.78, to another task of its cluster ≈ 0.61.
 * - Hidden arm effects on the logit scale: effect(c, a) = shared(a) + specific(c, a) with
 *   shared ~ N(0, sharedEffectSd²) (some strategies are a little better everywhere) and
 *   specific ~ N(0, clusterEffectSd²) (which strategy suits which kind of task).
 * - Success of arm a on a task of cluster c and difficulty d is Bernoulli with
 *   p = σ(κ_model + effect(c, a) − difficultySlope·d); κ_model is calibrated per model so that a
 *   uniformly random arm succeeds with the profile's base rate.
 * - Quality comes from the same uniform draw u that decides success (success ⇔ u < p):
 *   success → successQualityFloor + (1 − successQualityFloor)·(p − u)/p, in (floor, 1];
 *   failure → successQualityFloor·(1 − (u − p)/(1 − p)), in (0, floor].
 *   Given the outcome, quality is uniform on its interval and says nothing more about p: it is
 *   partial credit, not a leak of the hidden probability.
 */
export const SIMULATED_WORLD_PARAMETERS = {
  /** Embedding dimension (the reference design's 256-dimensional task vectors). */
  dim: 256,
  /** Latent clusters per task type (4 types → 16 clusters). */
  clustersPerType: 4,
  /** Weight of the shared type direction in a cluster centre. */
  typeWeight: 0.6,
  /** Weight of the cluster's own direction in its centre (0.6² + 0.8² = 1). */
  clusterWeight: 0.8,
  /** Expected length of the noise added to a unit cluster centre before normalising. */
  embeddingNoise: 0.8,
  /** The arms: prompt strategies an agent can use on an attempt. */
  arms: [
    'direct',
    'chain-of-thought',
    'plan-then-code',
    'test-first',
    'few-shot-exemplars',
    'self-review',
  ] as const,
  /** Standard deviation (logit scale) of an arm's effect shared by all clusters. */
  sharedEffectSd: 0.3,
  /** Standard deviation (logit scale) of an arm's cluster-specific effect. */
  clusterEffectSd: 1.0,
  /** δ: logit lost per unit of difficulty. */
  difficultySlope: 2.0,
  /** Difficulty of a task is uniform on its bucket's range. */
  bucketRanges: {
    easy: [0.05, 0.35],
    medium: [0.35, 0.65],
    hard: [0.65, 0.95],
  } as Readonly<Record<Bucket, readonly [number, number]>>,
  /** Qualities of successes lie in (floor, 1], of failures in (0, floor]. */
  successQualityFloor: 0.3,
  /** κ is found by bisection on [−kappaBound, kappaBound]. */
  kappaBound: 30,
  /**
   * Intervals of the composite Simpson rule that integrates the base rate over each bucket's
   * difficulty range: the calibration expectation is exact to ~1e-11 (no sampling).
   */
  simpsonIntervals: 32,
  /** Bisection stops once the expected random-arm rate is this close to the base rate. */
  calibrationTolerance: 1e-12,
} as const;

export type SimulatedWorldParameters = typeof SIMULATED_WORLD_PARAMETERS;

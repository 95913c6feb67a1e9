import type { Membership } from '@sona/patterns';
import {
  ArmPosterior,
  fitSlope,
  type Observation,
  predictiveProbability,
  type SparseFeatures,
} from './outcome-model';

/**
 * Priors of the outcome model (logit scale). The effect variances are starting values: each
 * epoch they are re-estimated from the data (empirical Bayes), so they are not tuned by hand.
 */
export const MODEL_PRIORS = {
  /** Each arm's bias ~ N(0, 2.5²) (Gelman et al. 2008's weakly informative logistic scale). */
  biasSd: 2.5,
  /** Shared difficulty slope β ~ N(0, 2.5²). */
  slopeSd: 2.5,
  /** Starting sd of a task type's and a pattern's effect on an arm. */
  effectSd: 1,
  /** Most rounds of the refit's coordinate ascent (it stops earlier once nothing moves). */
  rounds: 20,
  /** Empirical-Bayes estimates stay within these sds. */
  minEffectSd: 0.05,
  maxEffectSd: 3,
} as const;

/** A recorded outcome in the model's terms. */
export interface ModelObservation {
  readonly arm: number;
  readonly type: string;
  readonly membership: Pick<Membership, 'ids' | 'weights'>;
  readonly difficulty: number | undefined;
  readonly y: 0 | 1;
}

/** A prediction: the logit's posterior mean and variance, and the predictive probability. */
export interface Prediction {
  readonly mean: number;
  readonly variance: number;
  readonly probability: number;
}

/**
 * The outcome model over the engine's arms: one `ArmPosterior` each over one shared feature
 * layout [bias, one indicator per task type seen, one membership weight per pattern], and the
 * offset −β·difficulty for tasks that have a difficulty.
 *
 * A task of a type the model has not seen, or the part of a task's membership that falls on
 * no pattern (the gate's null share n), adds the prior variance of such an effect to the
 * prediction: σ_t² for the type and n²·σ_p² for the unseen region. That is what makes an
 * unexplored region look uncertain rather than average.
 */
export class OutcomeModel {
  readonly arms: number;
  /** Types and patterns get feature indices in the order they appear (1, 2, ...). */
  #layout: ('type' | 'pattern')[] = [];
  #patternIndices: number[] = [];
  #types = new Map<string, number>();
  #patterns = 0;
  #arms: ArmPosterior[];
  #slope = 0;
  /** Difficulties are centred on the mean of the observations that have one (0.5 before any). */
  #centre = 0.5;
  #typeSd: number = MODEL_PRIORS.effectSd;
  #patternSd: number = MODEL_PRIORS.effectSd;

  constructor(arms: number) {
    this.arms = arms;
    this.#arms = Array.from({ length: arms }, () => new ArmPosterior());
    for (const arm of this.#arms) arm.grow([MODEL_PRIORS.biasSd ** 2]);
  }

  get slope(): number {
    return this.#slope;
  }

  get typeSd(): number {
    return this.#typeSd;
  }

  get patternSd(): number {
    return this.#patternSd;
  }

  get patternCount(): number {
    return this.#patterns;
  }

  /** The features of a task; new types and patterns get features (with their prior) first. */
  features(type: string, membership: Pick<Membership, 'ids' | 'weights'>): SparseFeatures {
    this.#ensureType(type);
    let most = -1;
    for (const id of membership.ids) most = Math.max(most, id);
    if (most >= this.#patterns) this.#ensurePatterns(most + 1);
    return this.#featuresOf(type, membership);
  }

  predict(
    arm: number,
    type: string,
    membership: Pick<Membership, 'ids' | 'weights'>,
    difficulty: number | undefined,
  ): Prediction {
    const features = this.#featuresOf(type, membership);
    const { mean, variance } = this.#arms[arm]!.predict(features, this.#offset(difficulty));
    const total = variance + this.#unseenVariance(type, membership);
    return { mean, variance: total, probability: predictiveProbability(mean, total) };
  }

  /** The posterior mean effect of pattern `id` on `arm` (0 for a pattern it has no feature for). */
  patternEffect(arm: number, id: number): number {
    return id < this.#patterns ? this.#arms[arm]!.weight(this.#patternIndex(id)) : 0;
  }

  /** One outcome's online update of its arm's posterior. */
  observe(observation: ModelObservation): void {
    const features = this.features(observation.type, observation.membership);
    this.#arms[observation.arm]!.update({
      features,
      offset: this.#offset(observation.difficulty),
      y: observation.y,
    });
  }

  /**
   * Rebuilds the model from `observations` over `patterns` patterns: each arm's Laplace
   * posterior at its MAP, the difficulty slope (when any observation has a difficulty), and the
   * type and pattern effect sds by empirical Bayes (the EM update σ² = mean of E[w²] under the
   * posterior), alternating twice. A function of its arguments alone: it starts from the
   * priors every time, so a restored engine refits to the same bits.
   */
  refit(observations: readonly ModelObservation[], patterns: number): void {
    this.#slope = 0;
    const difficulties = observations.filter((o) => o.difficulty !== undefined);
    this.#centre =
      difficulties.length === 0
        ? 0.5
        : difficulties.reduce((sum, o) => sum + o.difficulty!, 0) / difficulties.length;
    this.#typeSd = MODEL_PRIORS.effectSd;
    this.#patternSd = MODEL_PRIORS.effectSd;
    this.#types = new Map();
    this.#layout = [];
    this.#patternIndices = [];
    const types = [...new Set(observations.map((o) => o.type))].sort();
    this.#patterns = 0;
    this.#arms = Array.from({ length: this.arms }, () => new ArmPosterior());
    for (const arm of this.#arms) arm.grow([MODEL_PRIORS.biasSd ** 2]);
    for (const type of types) this.#ensureType(type);
    this.#ensurePatterns(patterns);
    // Block coordinate ascent: the arms given β and the sds, β given the arms, the sds by EM.
    // Centring the difficulty keeps β nearly uncorrelated with the arms' biases, so a few rounds
    // reach the joint optimum.
    const withDifficulty = difficulties.length > 0;
    for (let round = 0; round < MODEL_PRIORS.rounds; round++) {
      this.#fitArms(observations);
      const before = [this.#slope, this.#typeSd, this.#patternSd];
      if (withDifficulty) this.#fitSlope(observations);
      this.#estimateSds();
      const after = [this.#slope, this.#typeSd, this.#patternSd];
      if (before.every((v, i) => Math.abs(v - after[i]!) <= 1e-6)) break;
    }
    this.#fitArms(observations);
  }

  #fitArms(observations: readonly ModelObservation[]): void {
    const byArm: Observation[][] = Array.from({ length: this.arms }, () => []);
    for (const o of observations) {
      byArm[o.arm]!.push({
        features: this.#featuresOf(o.type, o.membership),
        offset: this.#offset(o.difficulty),
        y: o.y,
      });
    }
    const variances = this.#priorVariances();
    this.#arms = byArm.map((list) => {
      const arm = new ArmPosterior();
      arm.grow(variances);
      arm.refit(list);
      return arm;
    });
  }

  #fitSlope(observations: readonly ModelObservation[]): void {
    const rows: { base: number; difficulty: number; y: 0 | 1 }[] = [];
    for (const o of observations) {
      if (o.difficulty === undefined) continue;
      const features = this.#featuresOf(o.type, o.membership);
      rows.push({
        base: this.#arms[o.arm]!.predict(features, 0).mean,
        difficulty: o.difficulty - this.#centre,
        y: o.y,
      });
    }
    this.#slope = fitSlope(rows, this.#slope, MODEL_PRIORS.slopeSd);
  }

  #estimateSds(): void {
    const estimate = (indices: number[], current: number): number => {
      if (indices.length === 0) return current;
      let total = 0;
      for (const arm of this.#arms) {
        const { mean, covariance } = arm.snapshot();
        const p = mean.length;
        for (const i of indices) total += mean[i]! * mean[i]! + covariance[i * p + i]!;
      }
      const sd = Math.sqrt(total / (indices.length * this.#arms.length));
      return Math.min(MODEL_PRIORS.maxEffectSd, Math.max(MODEL_PRIORS.minEffectSd, sd));
    };
    const typeIndices = [...this.#types.values()];
    const patternIndices = Array.from({ length: this.#patterns }, (_, k) => this.#patternIndex(k));
    this.#typeSd = estimate(typeIndices, this.#typeSd);
    this.#patternSd = estimate(patternIndices, this.#patternSd);
  }

  #priorVariances(): number[] {
    const variances = [MODEL_PRIORS.biasSd ** 2];
    for (let i = 0; i < this.#types.size + this.#patterns; i++) variances.push(0);
    for (const index of this.#types.values()) variances[index] = this.#typeSd ** 2;
    for (let k = 0; k < this.#patterns; k++)
      variances[this.#patternIndex(k)] = this.#patternSd ** 2;
    return variances;
  }

  #ensureType(type: string): void {
    if (this.#types.has(type)) return;
    const index = 1 + this.#layout.length;
    this.#layout.push('type');
    this.#types.set(type, index);
    for (const arm of this.#arms) arm.grow([this.#typeSd ** 2]);
  }

  #ensurePatterns(count: number): void {
    while (this.#patterns < count) {
      const index = 1 + this.#layout.length;
      this.#layout.push('pattern');
      this.#patternIndices.push(index);
      this.#patterns++;
      for (const arm of this.#arms) arm.grow([this.#patternSd ** 2]);
    }
  }

  #patternIndex(id: number): number {
    return this.#patternIndices[id]!;
  }

  #featuresOf(type: string, membership: Pick<Membership, 'ids' | 'weights'>): SparseFeatures {
    const pairs: [number, number][] = [[0, 1]];
    const t = this.#types.get(type);
    if (t !== undefined) pairs.push([t, 1]);
    membership.ids.forEach((id, k) => {
      if (id < this.#patterns) pairs.push([this.#patternIndex(id), membership.weights[k]!]);
    });
    pairs.sort((a, b) => a[0] - b[0]);
    return { index: pairs.map((p) => p[0]), value: pairs.map((p) => p[1]) };
  }

  #offset(difficulty: number | undefined): number {
    return difficulty === undefined ? 0 : -this.#slope * (difficulty - this.#centre);
  }

  #unseenVariance(type: string, membership: Pick<Membership, 'ids' | 'weights'>): number {
    let mass = 0;
    membership.ids.forEach((id, k) => {
      if (id < this.#patterns) mass += membership.weights[k]!;
    });
    const unseen = 1 - mass;
    const typeVariance = this.#types.has(type) ? 0 : this.#typeSd ** 2;
    return typeVariance + unseen * unseen * this.#patternSd ** 2;
  }
}

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
 * refit re-estimates them from the data (empirical Bayes), so they are not tuned by hand.
 */
export const MODEL_PRIORS = {
  /** Each arm's bias ~ N(0, 2.5²) (Gelman et al. 2008's weakly informative logistic scale). */
  biasSd: 2.5,
  /**
   * Shared difficulty slope β ~ N(0, 10²): nearly flat, because a curriculum can show the model
   * only a narrow band of difficulties and a tighter prior then pulls β toward 0; its posterior
   * variance enters every prediction away from the band's centre.
   */
  slopeSd: 10,
  /** Starting sd of an effect on an arm: of a task type, a pattern, a coordinate of the code. */
  effectSd: 1,
  /** Most rounds of the refit's coordinate ascent (it stops earlier once nothing moves). */
  rounds: 20,
  /** The coordinate ascent stops once no sd and not the slope moves by more than this. */
  tolerance: 1e-6,
  /** Empirical-Bayes estimates stay within these sds. */
  minEffectSd: 0.05,
  maxEffectSd: 3,
} as const;

/** What the model sees of a task. */
export interface TaskView {
  readonly type: string;
  /** The task's gated pattern membership. */
  readonly membership: Pick<Membership, 'ids' | 'weights'>;
  /** The adapter's low-rank code of the task (`codeSize` values). */
  readonly code: ArrayLike<number>;
  readonly difficulty: number | undefined;
}

/** A recorded outcome in the model's terms. */
export interface ModelObservation extends TaskView {
  readonly arm: number;
  readonly y: 0 | 1;
}

/** An observation with its features built once for a refit (difficulty centred, 0 if none). */
interface PreparedObservation {
  readonly arm: number;
  readonly features: SparseFeatures;
  readonly difficulty: number;
  readonly y: 0 | 1;
}

/** A prediction: the logit's posterior mean and variance, and the predictive probability. */
export interface Prediction {
  readonly mean: number;
  readonly variance: number;
  readonly probability: number;
}

type Group = 'type' | 'pattern' | 'code';

/**
 * The outcome model over the engine's arms: one `ArmPosterior` each over one shared feature
 * layout [bias, the adapter's code (a low-rank linear view of the embedding), one indicator per
 * task type seen, one membership weight per pattern], and the offset −β·(difficulty − centre)
 * for tasks that have a difficulty. The linear code is the prior that patterns refine.
 *
 * A task of a type the model has not seen, or the part of a task's membership that falls on
 * no pattern (the gate's null share n), adds the prior variance of such an effect to the
 * prediction: σ_t² for the type and n²·σ_p² for the unseen region. That is what makes an
 * unexplored region look uncertain rather than average.
 */
export class OutcomeModel {
  readonly arms: number;
  readonly codeSize: number;
  /** Feature groups by index (index 0 is the bias). */
  #layout: Group[] = [];
  #patternIndices: number[] = [];
  #types = new Map<string, number>();
  #arms: ArmPosterior[] = [];
  #slope = 0;
  /** Difficulties are centred on the mean of the observations that have one (0.5 before any). */
  #centre = 0.5;
  #slopeVariance = 0;
  #sd: Record<Group, number> = {
    type: MODEL_PRIORS.effectSd,
    pattern: MODEL_PRIORS.effectSd,
    code: MODEL_PRIORS.effectSd,
  };

  constructor(arms: number, codeSize: number) {
    this.arms = arms;
    this.codeSize = codeSize;
    this.#reset();
  }

  get slope(): number {
    return this.#slope;
  }

  /** The current effect sds (empirical Bayes). */
  get sds(): Readonly<Record<Group, number>> {
    return { ...this.#sd };
  }

  get patternCount(): number {
    return this.#patternIndices.length;
  }

  predict(arm: number, task: TaskView): Prediction {
    const features = this.#featuresOf(task);
    const { mean, variance } = this.#arms[arm]!.predict(features, this.#offset(task.difficulty));
    const total = variance + this.#extraVariance(task);
    return { mean, variance: total, probability: predictiveProbability(mean, total) };
  }

  /** `predict` for every arm at once (the features are built once), into the given arrays. */
  predictAll(
    task: TaskView,
    means: Float64Array,
    variances: Float64Array,
    probabilities: Float32Array,
  ): void {
    const features = this.#featuresOf(task);
    const offset = this.#offset(task.difficulty);
    const extra = this.#extraVariance(task);
    for (let a = 0; a < this.arms; a++) {
      const { mean, variance } = this.#arms[a]!.predict(features, offset);
      means[a] = mean;
      variances[a] = variance + extra;
      probabilities[a] = predictiveProbability(mean, variance + extra);
    }
  }

  /** The posterior mean effect of pattern `id` on `arm` (0 for a pattern it has no feature for). */
  patternEffect(arm: number, id: number): number {
    return id < this.#patternIndices.length
      ? this.#arms[arm]!.weight(this.#patternIndices[id]!)
      : 0;
  }

  /** The posterior mean weight of code coordinate `j` for `arm`. */
  codeEffect(arm: number, j: number): number {
    return this.#arms[arm]!.weight(1 + j);
  }

  /** One outcome's online update of its arm's posterior; new types and patterns get features first. */
  observe(observation: ModelObservation): void {
    this.#ensureType(observation.type);
    let most = -1;
    for (const id of observation.membership.ids) most = Math.max(most, id);
    this.#ensurePatterns(most + 1);
    this.#arms[observation.arm]!.update({
      features: this.#featuresOf(observation),
      offset: this.#offset(observation.difficulty),
      y: observation.y,
    });
  }

  /**
   * Rebuilds the model from `observations` over `patterns` patterns: each arm's Laplace
   * posterior at its MAP, the difficulty slope (when any observation has a difficulty), and the
   * effect sds by empirical Bayes (the EM update σ² = mean of E[w²] under the posterior), by
   * block coordinate ascent until nothing moves. A function of its arguments alone: it starts
   * from the priors every time, so a restored engine refits to the same bits.
   */
  refit(observations: readonly ModelObservation[], patterns: number): void {
    this.#reset();
    const difficulties = observations.filter((o) => o.difficulty !== undefined);
    this.#centre =
      difficulties.length === 0
        ? 0.5
        : difficulties.reduce((sum, o) => sum + o.difficulty!, 0) / difficulties.length;
    for (const type of [...new Set(observations.map((o) => o.type))].sort()) {
      this.#ensureType(type);
    }
    this.#ensurePatterns(patterns);
    const prepared = observations.map((o) => ({
      arm: o.arm,
      features: this.#featuresOf(o),
      difficulty: o.difficulty === undefined ? 0 : o.difficulty - this.#centre,
      y: o.y,
    }));
    // Centring the difficulty keeps β nearly uncorrelated with the arms' biases, so a few
    // rounds reach the joint optimum.
    const withDifficulty = difficulties.length > 0;
    for (let round = 0; round < MODEL_PRIORS.rounds; round++) {
      this.#fitArms(prepared, 'diagonal');
      const before = [this.#slope, this.#sd.type, this.#sd.pattern, this.#sd.code];
      if (withDifficulty) this.#fitSlope(prepared);
      this.#estimateSds();
      const after = [this.#slope, this.#sd.type, this.#sd.pattern, this.#sd.code];
      if (before.every((v, i) => Math.abs(v - after[i]!) <= MODEL_PRIORS.tolerance)) break;
    }
    this.#fitArms(prepared, 'full');
  }

  #reset(): void {
    this.#slope = 0;
    this.#slopeVariance = 0;
    this.#centre = 0.5;
    this.#sd = {
      type: MODEL_PRIORS.effectSd,
      pattern: MODEL_PRIORS.effectSd,
      code: MODEL_PRIORS.effectSd,
    };
    this.#types = new Map();
    this.#patternIndices = [];
    this.#layout = [];
    this.#arms = Array.from({ length: this.arms }, () => new ArmPosterior());
    for (const arm of this.#arms) arm.grow([MODEL_PRIORS.biasSd ** 2]);
    for (let j = 0; j < this.codeSize; j++) this.#append('code');
  }

  /** Each arm's Laplace posterior under the current priors and slope, warm-started at its mean. */
  #fitArms(prepared: readonly PreparedObservation[], covariance: 'full' | 'diagonal'): void {
    const byArm: Observation[][] = Array.from({ length: this.arms }, () => []);
    for (const o of prepared) {
      byArm[o.arm]!.push({ features: o.features, offset: -this.#slope * o.difficulty, y: o.y });
    }
    const variances = [MODEL_PRIORS.biasSd ** 2, ...this.#layout.map((g) => this.#sd[g] ** 2)];
    this.#arms.forEach((arm, a) => {
      arm.setPriorVariances(variances);
      arm.refit(byArm[a]!, covariance);
    });
  }

  #fitSlope(prepared: readonly PreparedObservation[]): void {
    const rows: { base: number; difficulty: number; y: 0 | 1 }[] = [];
    for (const o of prepared) {
      if (o.difficulty === 0) continue;
      rows.push({
        base: this.#arms[o.arm]!.logit(o.features, 0),
        difficulty: o.difficulty,
        y: o.y,
      });
    }
    const fit = fitSlope(rows, this.#slope, MODEL_PRIORS.slopeSd);
    this.#slope = fit.slope;
    this.#slopeVariance = fit.variance;
  }

  /**
   * The EM update of each effect group's sd: σ² = mean over its weights of E[w²] = w_k² + v_k
   * under the posterior. (MacKay's evidence fixed point σ² = Σw_k²/Σ(1 − v_k/σ²), which moves
   * faster, gave lower held-out rates on the development seeds 1 and 2; see the README.)
   */
  #estimateSds(): void {
    for (const group of ['type', 'pattern', 'code'] as const) {
      let total = 0;
      let count = 0;
      this.#layout.forEach((g, k) => {
        if (g !== group) return;
        for (const arm of this.#arms) total += arm.weight(1 + k) ** 2 + arm.variance(1 + k);
        count += this.#arms.length;
      });
      if (count === 0) continue;
      const sd = Math.sqrt(total / count);
      this.#sd[group] = Math.min(MODEL_PRIORS.maxEffectSd, Math.max(MODEL_PRIORS.minEffectSd, sd));
    }
  }

  #append(group: Group): number {
    const index = 1 + this.#layout.length;
    this.#layout.push(group);
    for (const arm of this.#arms) arm.grow([this.#sd[group] ** 2]);
    return index;
  }

  #ensureType(type: string): void {
    if (!this.#types.has(type)) this.#types.set(type, this.#append('type'));
  }

  #ensurePatterns(count: number): void {
    while (this.#patternIndices.length < count) this.#patternIndices.push(this.#append('pattern'));
  }

  #featuresOf(task: TaskView): SparseFeatures {
    const index = [0];
    const value = [1];
    for (let j = 0; j < this.codeSize; j++) {
      index.push(1 + j);
      value.push(task.code[j]!);
    }
    const t = this.#types.get(task.type);
    if (t !== undefined) {
      index.push(t);
      value.push(1);
    }
    const { ids, weights } = task.membership;
    for (let k = 0; k < ids.length; k++) {
      if (ids[k]! < this.#patternIndices.length) {
        index.push(this.#patternIndices[ids[k]!]!);
        value.push(weights[k]!);
      }
    }
    return { index, value };
  }

  #offset(difficulty: number | undefined): number {
    return difficulty === undefined ? 0 : -this.#slope * (difficulty - this.#centre);
  }

  #extraVariance(task: TaskView): number {
    let mass = 0;
    const { ids, weights } = task.membership;
    for (let k = 0; k < ids.length; k++) {
      if (ids[k]! < this.#patternIndices.length) mass += weights[k]!;
    }
    const unseen = 1 - mass;
    const typeVariance = this.#types.has(task.type) ? 0 : this.#sd.type ** 2;
    const away = task.difficulty === undefined ? 0 : task.difficulty - this.#centre;
    return (
      typeVariance + unseen * unseen * this.#sd.pattern ** 2 + away * away * this.#slopeVariance
    );
  }
}

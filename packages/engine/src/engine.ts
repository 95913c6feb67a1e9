import type { Checkpoint, CheckpointRecord } from '@sona/checkpoint';
import { checkpointRecord, createCheckpoint } from '@sona/checkpoint';
import {
  type Arm,
  assertAllFinite,
  assertArray,
  assertFloat32Array,
  assertInRange,
  assertInteger,
  assertRng,
  type CalibrationSample,
  type Choice,
  type ChooseOptions,
  isTaskType,
  isVersion,
  type Learner,
  type Outcome,
  Rng,
  SonaError,
  type Task,
  type TaskType,
  type Trajectory,
  type Version,
} from '@sona/core';
import { rankForParams } from '@sona/lora';
import { ContrastiveMemory, type Membership, PatternSet } from '@sona/patterns';
import { PatternReplay, PrioritizedReplay, type ReplayStrategy, UniformReplay } from '@sona/replay';
import { AdapterStack } from './adapter';
import {
  type CheckpointContext,
  checkpointFromEngineState,
  patternQualities,
} from './checkpoint-state';
import { pickTask, usableSignals } from './curriculum';
import { checkDdaState, type DdaState, ddaAfter, initialDda } from './dda';
import { OutcomeModel, type TaskView } from './model';
import { applyPlatt, fitPlatt, type PlattMap, sigmoid } from './outcome-model';
import {
  initialLearningRate,
  type LearningRateState,
  nextLearningRate,
  temperatureAt,
} from './schedules';
import {
  checkConfig,
  checkCurrent,
  checkExperience,
  checkHeader,
  checkHistory,
  checkLearningRate,
  checkTypeStats,
  ENGINE_STATE_FORMAT,
  type EngineEpochSummary,
  type EngineState,
  type ExperienceRecord,
  type ReplayItem,
  type ReplayState,
  replayItemChecker,
  STREAMS,
  type StreamName,
} from './state';
import { VERSION_CONFIGS, type VersionConfig } from './versions';

/** Switches that turn one component of a version off or change it, for ablations. */
export type EngineOverrides = Partial<
  Pick<
    VersionConfig,
    | 'lora'
    | 'rank'
    | 'curriculum'
    | 'dda'
    | 'replay'
    | 'diversity'
    | 'contrastive'
    | 'learningRate'
    | 'baseLearningRate'
    | 'ewcLambda'
    | 'temperature'
  >
>;

export interface EngineOptions {
  readonly version: Version;
  /** Length of task embeddings. */
  readonly dim: number;
  /** The choices the agent can make, distinct non-empty strings. */
  readonly arms: readonly Arm[];
  /** Size of the model, in billions of parameters (sets the adapter rank from v2 on). */
  readonly modelParamsB: number;
  /** The engine's randomness; it forks its own streams from it and never draws from it. */
  readonly rng: Rng;
  /** Epochs the run is planned for (temperature and curriculum schedules). Default: the version's default mode. */
  readonly epochs?: number;
  readonly overrides?: EngineOverrides;
}

/** Engine constants that are not in the SPEC's version table, documented in the README. */
export const ENGINE_DEFAULTS = {
  /** Replayed outcomes per recorded outcome (adapter training). */
  replayBatch: 4,
  /** The adapter's gradient is clipped to this norm before each step. */
  maxGradientNorm: 1,
  /** Weight of the InfoNCE gradient relative to the outcome-model gradient (v3). */
  contrastiveWeight: 1,
  /** Recorded outcomes kept (oldest dropped at the end of an epoch) and replay slots. */
  experienceCapacity: 10_000,
  /**
   * Task types that get a head of their own in a multi-head adapter, in the order they are first
   * recorded; later types share the `other` head (as does a type literally named `other`).
   */
  maxTypeHeads: 8,
  /**
   * Smallest norm of a task embedding: below it a float32 vector has no usable direction (its
   * cosines and gradients overflow), so such a task is refused up front.
   */
  minEmbeddingNorm: 1e-20,
} as const;

/** What `stats()` reports: plain figures, deterministic in the seed. */
export type EngineStats = {
  readonly version: Version;
  readonly epoch: number;
  readonly rank: number;
  readonly parameters: number;
  readonly heads: number;
  readonly patterns: number;
  readonly experience: number;
  readonly replaySize: number;
  readonly learningRate: number;
  readonly temperature: number;
  readonly difficulty: number;
  readonly difficultySlope: number;
  readonly typeEffectSd: number;
  readonly patternEffectSd: number;
  readonly codeEffectSd: number;
  /** Whether the last `pickTask` could use buckets (curriculum) and difficulties (DDA). */
  readonly curriculumActive: boolean;
  readonly ddaActive: boolean;
  readonly uniformPicks: number;
  readonly history: readonly EngineEpochSummary[];
};

function resolveConfig(version: Version, overrides: EngineOverrides = {}): VersionConfig {
  return { ...VERSION_CONFIGS[version], ...overrides, version };
}

function checkArms(arms: unknown): readonly Arm[] {
  if (!Array.isArray(arms) || arms.length === 0 || arms.length > 4096) {
    throw new SonaError('INVALID_ARGUMENT', 'arms must be an array of 1 to 4096 strings', {
      path: 'arms',
    });
  }
  const seen = new Set<string>();
  arms.forEach((arm, i) => {
    if (typeof arm !== 'string' || arm.length === 0 || arm.length > 256 || seen.has(arm)) {
      throw new SonaError(
        'INVALID_ARGUMENT',
        `arms[${i}] must be a distinct string of 1 to 256 characters`,
        { path: `arms[${i}]` },
      );
    }
    seen.add(arm);
  });
  return [...arms];
}

type TypeStats = { successes: number[]; trials: number[]; qualitySum: number };
type LearnView = TaskView & { readonly membership: Membership; readonly code: Float32Array };
type Replay = ReplayStrategy<ReplayItem> & { state(): ReplayState };

/**
 * SONA's learning loop. For each task it adapts the embedding (LoRA), finds the task's soft
 * membership in the pattern set, and predicts every arm's success with the outcome model (a
 * Bayesian logistic regression per arm over bias, task type and pattern memberships, offset by
 * the task's difficulty); it explores by Thompson sampling from that posterior and reports the
 * posterior predictive probability as its confidence. From each outcome it updates the outcome
 * model, the patterns (online DP-means) and the adapter (SGD on the outcome model's log loss,
 * InfoNCE per arm, replay, EWC++); at each epoch's end it re-clusters, refits the model on
 * everything recorded, consolidates EWC++ and advances its schedules.
 */
export class SonaEngine implements Learner {
  readonly version: Version;
  readonly dim: number;
  readonly arms: readonly Arm[];
  readonly modelParamsB: number;
  readonly epochs: number;
  readonly config: VersionConfig;
  readonly rank: number;

  #streams: Record<StreamName, Rng>;
  #adapter: AdapterStack;
  #patterns: PatternSet;
  #fittedPatterns: number | null = null;
  #calibration: PlattMap | null = null;
  #model: OutcomeModel;
  #experience: ExperienceRecord[] = [];
  #replay: Replay;
  #contrastive: ContrastiveMemory[] | null;
  #typeStats = new Map<TaskType, TypeStats>();
  #dda: DdaState;
  #learningRate: LearningRateState;
  #epoch = 0;
  #current = { attempts: 0, successes: 0, confidence: 0, quality: 0, withDifficulty: 0 };
  #previousSuccessRate: number | null = null;
  #history: EngineEpochSummary[] = [];
  #signals = { buckets: true, difficulty: true, uniformPicks: 0 };
  readonly #armIndex: Map<Arm, number>;
  readonly #adapted: Float32Array;
  readonly #grad64: Float64Array;
  readonly #grad32: Float32Array;
  #codeGrad: Float32Array;

  constructor(options: EngineOptions) {
    if (options === null || typeof options !== 'object') {
      throw new SonaError('INVALID_ARGUMENT', 'SonaEngine needs an options object');
    }
    if (!isVersion(options.version)) {
      throw new SonaError(
        'INVALID_ARGUMENT',
        `version must be v1, v2 or v3, got ${String(options.version)}`,
        { path: 'version' },
      );
    }
    assertRng(options.rng);
    this.version = options.version;
    this.dim = assertInteger(options.dim, 'dim', 1, 65_536);
    this.arms = checkArms(options.arms);
    this.modelParamsB = assertInRange(options.modelParamsB, 'modelParamsB', 1e-6, 1e6);
    this.config = resolveConfig(options.version, checkOverrides(options.overrides));
    this.epochs = assertInteger(
      options.epochs ?? this.config.modes.default.epochs,
      'epochs',
      1,
      1_000_000,
    );
    this.rank =
      this.config.rank === 'by-size'
        ? rankForParams(this.modelParamsB)
        : Math.min(this.config.rank, this.dim);
    this.#armIndex = new Map(this.arms.map((arm, i) => [arm, i]));
    this.#adapted = new Float32Array(this.dim);
    this.#grad64 = new Float64Array(this.dim);
    this.#grad32 = new Float32Array(this.dim);

    const rng = options.rng;
    this.#streams = {
      explore: rng.fork('explore'),
      replay: rng.fork('replay'),
      curriculum: rng.fork('curriculum'),
      patterns: rng.fork('patterns'),
      heads: rng.fork('adapter-heads'),
    };
    this.#adapter = AdapterStack.create({
      kind: this.config.lora,
      dim: this.dim,
      rank: this.rank,
      ewcLambda: this.config.ewcLambda,
      maxTypeHeads: ENGINE_DEFAULTS.maxTypeHeads,
      rng: rng.fork('adapter-init'),
    });
    this.#patterns = SonaEngine.#newPatterns(this.dim, this.config);
    this.#model = new OutcomeModel(this.arms.length, this.#adapter.codeSize);
    this.#codeGrad = new Float32Array(this.#adapter.codeSize);
    this.#replay = SonaEngine.#newReplay(this.config);
    this.#contrastive = this.config.contrastive
      ? this.arms.map(() => new ContrastiveMemory())
      : null;
    this.#dda = initialDda();
    this.#learningRate = initialLearningRate(this.config.baseLearningRate);
  }

  static #newPatterns(dim: number, config: VersionConfig): PatternSet {
    return new PatternSet({ dim, clustering: config.diversity ? 'dp-means' : 'k-means' });
  }

  static #newReplay(config: VersionConfig): Replay {
    const capacity = ENGINE_DEFAULTS.experienceCapacity;
    if (config.replay === 'prioritized') return new PrioritizedReplay<ReplayItem>({ capacity });
    if (config.replay === 'pattern') return new PatternReplay<ReplayItem>({ keep: 10 });
    return new UniformReplay<ReplayItem>({ capacity });
  }

  get epoch(): number {
    return this.#epoch;
  }

  /** The exploration temperature this epoch: it scales the posterior sd Thompson sampling draws with. */
  get temperature(): number {
    return temperatureAt(this.config.temperature, this.#epoch, this.epochs);
  }

  get learningRate(): number {
    return this.#learningRate.rate;
  }

  get targetDifficulty(): number {
    return this.#dda.difficulty;
  }

  /**
   * Scores every arm for a task (its predicted success probability) and picks one: with
   * `explore` (the default) by Thompson sampling, the arm whose logit drawn from its posterior
   * (sd scaled by the temperature) is highest; without, the arm of highest posterior mean logit
   * (the first on ties), changing nothing. `arms` restricts the pick to a subset; scores are
   * still given for every arm.
   */
  choose(task: Task, options: ChooseOptions = {}): Choice {
    const input = this.#checkTask(task);
    if (options === null || typeof options !== 'object') {
      throw new SonaError('INVALID_ARGUMENT', 'options must be an object', { path: 'options' });
    }
    const allowed = this.#allowedIndices(options.arms);
    const explore = options.explore !== false;
    const view = this.#view(input, task.type, task.difficulty).view;
    const scores = new Float32Array(this.arms.length);
    const means = new Float64Array(this.arms.length);
    const variances = new Float64Array(this.arms.length);
    this.#model.predictAll(view, means, variances, scores);
    if (this.#calibration !== null) {
      for (let a = 0; a < scores.length; a++) scores[a] = this.#calibrated(scores[a]!);
    }
    const temperature = this.temperature;
    let best = -1;
    let bestValue = -Infinity;
    for (const a of allowed) {
      const value = explore
        ? means[a]! + temperature * Math.sqrt(variances[a]!) * this.#streams.explore.normal()
        : means[a]!;
      if (value > bestValue) {
        bestValue = value;
        best = a;
      }
    }
    return { arm: this.arms[best]!, confidence: scores[best]!, scores };
  }

  #allowedIndices(arms: readonly Arm[] | undefined): number[] {
    if (arms === undefined) return this.arms.map((_, i) => i);
    if (!Array.isArray(arms) || arms.length === 0) {
      throw new SonaError('INVALID_ARGUMENT', 'options.arms must be a non-empty array of arms', {
        path: 'options.arms',
      });
    }
    const indices = new Set<number>();
    for (const arm of arms) {
      const index = this.#armIndex.get(arm);
      if (index === undefined) {
        throw new SonaError('INVALID_ARGUMENT', `unknown arm ${describe(arm)}`, {
          path: 'options.arms',
        });
      }
      indices.add(index);
    }
    return [...indices].sort((a, b) => a - b);
  }

  /**
   * Learns from the outcome of `arm` on `task` and returns the trajectory. The confidence is the
   * arm's predicted success now (what `choose` gave, if nothing was learned in between); the TD
   * error is outcome − confidence. Every check runs before anything changes.
   */
  record(task: Task, arm: Arm, outcome: Outcome): Trajectory {
    const input = this.#checkTask(task);
    const armIndex = this.#armIndex.get(arm);
    if (armIndex === undefined) {
      throw new SonaError('INVALID_ARGUMENT', `unknown arm ${describe(arm)}`, { path: 'arm' });
    }
    if (outcome === null || typeof outcome !== 'object' || typeof outcome.success !== 'boolean') {
      throw new SonaError('INVALID_ARGUMENT', 'outcome must be { success: boolean, quality? }', {
        path: 'outcome',
      });
    }
    const quality =
      outcome.quality === undefined
        ? outcome.success
          ? 1
          : 0
        : assertInRange(outcome.quality, 'outcome.quality', 0, 1);
    const type = task.type;
    const difficulty = task.difficulty;
    const seen = this.#view(input, type, difficulty);
    const before = seen.adapted.slice();
    const confidence = this.#calibrated(this.#model.predict(armIndex, seen.view).probability);
    const y = outcome.success ? 1 : 0;
    const trajectory: Trajectory = {
      taskId: task.id,
      type,
      ...(difficulty === undefined ? {} : { difficulty }),
      embedding: before,
      arm,
      success: outcome.success,
      quality,
      confidence,
      tdError: y - confidence,
      epoch: this.#epoch + 1,
    };

    // Nothing above changed the engine; from here on nothing throws for any input that passed.
    this.#adapter.ensureHead(type, () => this.#streams.heads.fork(`head:${type}`));
    this.#patterns.absorb(this.#adapter.forward(input, type, this.#adapted));
    const { view, adapted: now } = this.#view(input, type, difficulty);
    const adapted = now.slice();
    this.#model.observe({ ...view, arm: armIndex, y });
    const record: ExperienceRecord = {
      input: input.slice(),
      type,
      difficulty: difficulty ?? null,
      arm: armIndex,
      success: outcome.success,
      quality,
      epoch: this.#epoch + 1,
      patterns: [...view.membership.ids],
      weights: [...view.membership.weights],
      code: Array.from(view.code),
    };
    this.#experience.push(record);
    this.#replay.add(
      {
        input: record.input,
        type,
        difficulty: record.difficulty,
        arm: armIndex,
        success: outcome.success,
        quality,
      },
      y - confidence,
    );
    const stats = this.#statsOf(type);
    stats.trials[armIndex]! += 1;
    if (outcome.success) stats.successes[armIndex]! += 1;
    stats.qualitySum += quality;

    this.#learn(input, adapted, view, armIndex, y);

    if (this.config.dda) this.#dda = ddaAfter(this.#dda, outcome.success);
    this.#current.attempts += 1;
    if (outcome.success) this.#current.successes += 1;
    this.#current.confidence += confidence;
    this.#current.quality += quality;
    if (difficulty !== undefined) this.#current.withDifficulty += 1;
    return trajectory;
  }

  /**
   * One SGD step on the adapter: the gradient of the outcome model's log loss with respect to
   * the adapted embedding (through the gated pattern membership), for v3 plus the InfoNCE
   * gradient of the arm's contrastive memory, and a replayed batch (uniform v1, best-10 v2,
   * prioritized v3 with importance weights, priorities set from the new errors). EWC++ adds its
   * penalty and updates its Fisher estimate from the data gradient.
   */
  #learn(input: Float32Array, adapted: Float32Array, view: LearnView, arm: number, y: 0 | 1): void {
    const adapter = this.#adapter;
    adapter.zeroGrad();
    let touched = this.#backpropLogLoss(input, adapted, view, arm, y, 1);
    const memory = this.#contrastive?.[arm];
    if (memory) {
      if (y === 1 && memory.positiveCount > 0 && memory.negativeCount > 0) {
        const g = memory.gradient(adapted, this.#grad32);
        let any = false;
        for (let i = 0; i < g.length; i++) {
          g[i] = g[i]! * ENGINE_DEFAULTS.contrastiveWeight;
          if (g[i] !== 0) any = true;
        }
        if (any && firstNonFinite32(g) < 0) {
          adapter.backward(input, view.type, g);
          touched = true;
        }
      }
      memory.add(adapted, y === 1);
    }
    if (this.#replay.size > 0) {
      const batch = this.#replay.sample(ENGINE_DEFAULTS.replayBatch, this.#streams.replay);
      const errors = new Float64Array(batch.items.length);
      for (let i = 0; i < batch.items.length; i++) {
        const item = batch.items[i]!;
        const replayed = this.#view(item.input, item.type, item.difficulty ?? undefined);
        const target = item.success ? 1 : 0;
        errors[i] = target - this.#model.predict(item.arm, replayed.view).probability;
        const weight = batch.weights[i]! / batch.items.length;
        const adaptedCopy = replayed.adapted.slice();
        if (
          this.#backpropLogLoss(item.input, adaptedCopy, replayed.view, item.arm, target, weight)
        ) {
          touched = true;
        }
      }
      this.#replay.updatePriorities(batch.indices, errors);
    }
    if (touched) adapter.step(this.#learningRate.rate, ENGINE_DEFAULTS.maxGradientNorm);
  }

  /**
   * weight · the gradient of the outcome model's log loss with respect to the adapter, at the
   * MAP weights, residual r = σ(z) − y:
   * - through the code: ∂L/∂c_j = r·u_j (u_j the arm's weight on code coordinate j), into A;
   * - through the membership: ∂L/∂m_k = r·w_k (w_k the arm's weight on pattern k), carried to
   *   the adapted embedding by `PatternSet.membershipGradient`, into A and B.
   * False when both are zero.
   */
  #backpropLogLoss(
    input: Float32Array,
    adapted: Float32Array,
    view: LearnView,
    arm: number,
    y: 0 | 1,
    weight: number,
  ): boolean {
    const model = this.#model;
    const residual = sigmoid(model.predict(arm, view).mean) - y;
    if (residual === 0) return false;
    let touched = false;
    const code = this.#codeGrad;
    let anyCode = false;
    for (let j = 0; j < code.length; j++) {
      code[j] = weight * residual * model.codeEffect(arm, j);
      if (code[j] !== 0) anyCode = true;
    }
    if (anyCode && firstNonFinite32(code) < 0) {
      this.#adapter.backwardCode(input, view.type, code);
      touched = true;
    }
    const { membership } = view;
    if (membership.ids.length > 0) {
      const coefficients = membership.ids.map((id) => residual * model.patternEffect(arm, id));
      const grad64 = this.#grad64.fill(0);
      this.#patterns.membershipGradient(adapted, membership, coefficients, weight, grad64);
      const grad32 = this.#grad32;
      let any = false;
      for (let i = 0; i < grad64.length; i++) {
        grad32[i] = grad64[i]!;
        if (grad32[i] !== 0) any = true;
      }
      if (any && firstNonFinite32(grad32) < 0) {
        this.#adapter.backward(input, view.type, grad32);
        touched = true;
      }
    }
    return touched;
  }

  /** What the model sees of a task now: adapted embedding, membership, code. */
  #view(
    input: Float32Array,
    type: TaskType,
    difficulty: number | undefined,
  ): { adapted: Float32Array; view: LearnView } {
    const adapted = this.#adapter.forward(input, type, this.#adapted);
    const membership = this.#patterns.membership(adapted);
    const code = this.#adapter.code(input, type);
    return { adapted, view: { type, membership, code, difficulty } };
  }

  /**
   * Fits the map from predicted to observed success (Platt scaling) on outcomes of this engine's
   * greedy choices on tasks it did not learn from, e.g. a validation split; from then on the
   * reported confidences and scores go through it. Which arm is chosen does not change (the map
   * never decreases). The map stays until the next call; `calibrate([])` removes it.
   */
  calibrate(samples: readonly CalibrationSample[]): void {
    const list = assertArray(samples, 'samples');
    const pairs = list.map((sample, i) => {
      const path = `samples[${i}]`;
      if (sample === null || typeof sample !== 'object') {
        throw new SonaError('INVALID_ARGUMENT', `${path} must be { task, arm, outcome }`, { path });
      }
      const { task, arm, outcome } = sample as CalibrationSample;
      const input = this.#checkTask(task);
      const a = this.#armIndex.get(arm);
      if (a === undefined) {
        throw new SonaError('INVALID_ARGUMENT', `${path}.arm is unknown: ${describe(arm)}`, {
          path: `${path}.arm`,
        });
      }
      if (outcome === null || typeof outcome !== 'object' || typeof outcome.success !== 'boolean') {
        throw new SonaError('INVALID_ARGUMENT', `${path}.outcome must be { success: boolean }`, {
          path: `${path}.outcome`,
        });
      }
      const p = this.#model.predict(a, this.#view(input, task.type, task.difficulty).view);
      return { p: p.probability, y: (outcome.success ? 1 : 0) as 0 | 1 };
    });
    this.#calibration = pairs.length === 0 ? null : fitPlatt(pairs);
  }

  #calibrated(probability: number): number {
    return this.#calibration === null ? probability : applyPlatt(this.#calibration, probability);
  }

  /** The next training task from `candidates`: curriculum and DDA where the version has them. */
  pickTask(candidates: readonly Task[]): Task {
    if (!Array.isArray(candidates)) {
      throw new SonaError('INVALID_ARGUMENT', 'candidates must be an array of tasks', {
        path: 'candidates',
      });
    }
    candidates.forEach((t, i) => {
      if (t === null || typeof t !== 'object') {
        throw new SonaError('INVALID_ARGUMENT', `candidates[${i}] must be a task`, {
          path: `candidates[${i}]`,
        });
      }
    });
    if (this.config.curriculum || this.config.dda) {
      const usable = usableSignals(candidates);
      const uniform =
        (this.config.curriculum && !usable.buckets) || (this.config.dda && !usable.difficulty);
      this.#signals = {
        buckets: usable.buckets,
        difficulty: usable.difficulty,
        uniformPicks: this.#signals.uniformPicks + (uniform ? 1 : 0),
      };
    }
    return pickTask(
      candidates,
      {
        curriculum: this.config.curriculum,
        dda: this.config.dda,
        epoch: this.#epoch,
        epochs: this.epochs,
        targetDifficulty: this.#dda.difficulty,
      },
      this.#streams.curriculum,
    );
  }

  /**
   * Ends an epoch: drops the oldest outcomes beyond the capacity, re-runs the adapter over every
   * recorded task, re-clusters the patterns, refits the outcome model on all of it, consolidates
   * EWC++, moves the learning rate by this epoch's trend, and advances the temperature.
   */
  endEpoch(): EngineEpochSummary {
    const { attempts } = this.#current;
    const successRate = attempts === 0 ? 0 : this.#current.successes / attempts;
    const excess = this.#experience.length - ENGINE_DEFAULTS.experienceCapacity;
    if (excess > 0) this.#experience = this.#experience.slice(excess);
    const n = this.#experience.length;
    const adapted = new Float32Array(n * this.dim);
    this.#experience.forEach((r, i) => {
      this.#adapter.forward(r.input, r.type, this.#adapted);
      adapted.set(this.#adapted, i * this.dim);
    });
    this.#patterns.refit(adapted, n, this.#streams.patterns);
    this.#experience = this.#experience.map((r, i) => {
      const m = this.#patterns.membership(adapted.subarray(i * this.dim, (i + 1) * this.dim));
      const code = Array.from(this.#adapter.code(r.input, r.type));
      return { ...r, patterns: [...m.ids], weights: [...m.weights], code };
    });
    this.#fittedPatterns = this.#patterns.size;
    this.#model.refit(this.#observations(this.#experience), this.#fittedPatterns);
    this.#adapter.consolidate();
    const trend = this.#previousSuccessRate === null ? 0 : successRate - this.#previousSuccessRate;
    const summary: EngineEpochSummary = {
      epoch: this.#epoch + 1,
      attempts,
      successRate,
      meanConfidence: attempts === 0 ? 0 : this.#current.confidence / attempts,
      meanQuality: attempts === 0 ? 0 : this.#current.quality / attempts,
      patterns: this.#patterns.size,
      learningRate: this.#learningRate.rate,
      temperature: this.temperature,
      difficulty: this.#dda.difficulty,
      withDifficulty: attempts === 0 ? 0 : this.#current.withDifficulty / attempts,
    };
    this.#learningRate = nextLearningRate(
      this.config.learningRate,
      this.#learningRate,
      trend,
      this.config.baseLearningRate,
    );
    if (attempts > 0) this.#previousSuccessRate = successRate;
    this.#history.push(summary);
    this.#epoch += 1;
    this.#current = { attempts: 0, successes: 0, confidence: 0, quality: 0, withDifficulty: 0 };
    return summary;
  }

  #observations(records: readonly ExperienceRecord[]) {
    return records.map((r) => ({
      arm: r.arm,
      type: r.type,
      membership: { ids: r.patterns, weights: r.weights },
      code: r.code,
      difficulty: r.difficulty ?? undefined,
      y: (r.success ? 1 : 0) as 0 | 1,
    }));
  }

  stats(): EngineStats {
    return {
      version: this.version,
      epoch: this.#epoch,
      rank: this.rank,
      parameters: this.#adapter.parameterCount,
      heads: this.#adapter.heads.length,
      patterns: this.#patterns.size,
      experience: this.#experience.length,
      replaySize: this.#replay.size,
      learningRate: this.#learningRate.rate,
      temperature: this.temperature,
      difficulty: this.#dda.difficulty,
      difficultySlope: this.#model.slope,
      typeEffectSd: this.#model.sds.type,
      patternEffectSd: this.#model.sds.pattern,
      codeEffectSd: this.#model.sds.code,
      curriculumActive: this.config.curriculum && this.#signals.buckets,
      ddaActive: this.config.dda && this.#signals.difficulty,
      uniformPicks: this.#signals.uniformPicks,
      history: this.#history.map((h) => ({ ...h })),
    };
  }

  /** The patterns' centroids (rows of `dim`) and qualities, for reports and checkpoints. */
  patterns(): { centroids: Float32Array; qualities: number[] } {
    return { centroids: this.#patterns.centroids(), qualities: patternQualities(this.state()) };
  }

  #statsOf(type: TaskType): TypeStats {
    let stats = this.#typeStats.get(type);
    if (stats === undefined) {
      stats = {
        successes: new Array(this.arms.length).fill(0),
        trials: new Array(this.arms.length).fill(0),
        qualitySum: 0,
      };
      this.#typeStats.set(type, stats);
    }
    return stats;
  }

  #checkTask(task: Task): Float32Array {
    if (task === null || typeof task !== 'object') {
      throw new SonaError('INVALID_ARGUMENT', 'task must be an object', { path: 'task' });
    }
    if (typeof task.id !== 'string') {
      throw new SonaError('INVALID_ARGUMENT', 'task.id must be a string', { path: 'task.id' });
    }
    if (!isTaskType(task.type)) {
      throw new SonaError(
        'INVALID_ARGUMENT',
        `task.type must be a label of 1 to 256 characters, got ${describe(task.type)}`,
        { path: 'task.type' },
      );
    }
    if (task.difficulty !== undefined) assertInRange(task.difficulty, 'task.difficulty', 0, 1);
    const embedding = assertFloat32Array(task.embedding, 'task.embedding', this.dim);
    assertAllFinite(embedding, 'task.embedding');
    let largest = 0;
    for (let i = 0; i < embedding.length; i++) largest = Math.max(largest, Math.abs(embedding[i]!));
    if (!(largest >= ENGINE_DEFAULTS.minEmbeddingNorm)) {
      throw new SonaError(
        'OUT_OF_RANGE',
        `task.embedding is zero or too small to have a direction (largest |value| ${largest}, below ${ENGINE_DEFAULTS.minEmbeddingNorm})`,
        { path: 'task.embedding' },
      );
    }
    return embedding;
  }

  /**
   * Rebuilds an engine from `state()`; it continues bit-identically to the one that produced
   * the state. Every field is checked (shapes, ranges, finiteness, agreement between parts); a
   * bad state throws `INVALID_STATE` (or the failing component's code) and builds nothing.
   */
  static fromState(state: EngineState): SonaEngine {
    const s = checkHeader(state);
    const overrides = checkConfig(s.config);
    const engine = new SonaEngine({
      version: s.version,
      dim: s.dim,
      arms: s.arms,
      modelParamsB: s.modelParamsB,
      rng: Rng.seeded(0),
      epochs: s.epochs,
      overrides,
    });
    if (engine.rank !== s.rank) {
      throw new SonaError(
        'INVALID_STATE',
        `rank ${String(s.rank)} does not follow from the config`,
        {
          path: 'rank',
        },
      );
    }
    const streams = s.streams as Record<string, unknown> | undefined;
    if (!streams || typeof streams !== 'object') {
      throw new SonaError('INVALID_STATE', 'streams missing', { path: 'streams' });
    }
    const restored = {} as Record<StreamName, Rng>;
    for (const name of STREAMS) restored[name] = Rng.fromState(streams[name] as never);
    const adapter = AdapterStack.fromState(s.adapter, s.ewc, ENGINE_DEFAULTS.maxTypeHeads);
    if (adapter.multiHead !== (engine.config.lora === 'multi-head')) {
      throw new SonaError('INVALID_STATE', 'adapter kind does not match the config', {
        path: 'adapter.kind',
      });
    }
    if (adapter.dim !== engine.dim || adapter.rank !== engine.rank) {
      throw new SonaError('INVALID_STATE', 'adapter shape disagrees with dim and rank', {
        path: 'adapter',
      });
    }
    if ((s.ewc === null) !== (engine.config.ewcLambda === 0)) {
      throw new SonaError('INVALID_STATE', 'EWC state present exactly when λ > 0', { path: 'ewc' });
    }
    if (adapter.ewc) {
      if (adapter.ewc.size !== adapter.parameterCount) {
        throw new SonaError('INVALID_STATE', 'EWC size differs from the adapter parameters', {
          path: 'ewc.size',
        });
      }
      if (adapter.ewc.lambda !== engine.config.ewcLambda) {
        throw new SonaError('INVALID_STATE', 'EWC λ differs from the config', {
          path: 'ewc.lambda',
        });
      }
    }
    const patterns = PatternSet.fromState(s.patterns);
    if (
      patterns.options.dim !== engine.dim ||
      patterns.options.clustering !== (engine.config.diversity ? 'dp-means' : 'k-means')
    ) {
      throw new SonaError('INVALID_STATE', 'pattern set disagrees with dim or the config', {
        path: 'patterns.options',
      });
    }
    const epoch = assertInteger(s.epoch, 'epoch', 0, 1_000_000);
    const fitted =
      s.fittedPatterns === null
        ? null
        : assertInteger(s.fittedPatterns, 'fittedPatterns', 0, patterns.size);
    if ((fitted === null) !== (epoch === 0)) {
      throw new SonaError(
        'INVALID_STATE',
        'fittedPatterns is null exactly before the first epoch ends',
        {
          path: 'fittedPatterns',
        },
      );
    }
    if (!Array.isArray(s.experience)) {
      throw new SonaError('INVALID_STATE', 'experience must be an array', { path: 'experience' });
    }
    const arms = engine.arms.length;
    const experience = s.experience.map((r, i) =>
      checkExperience(
        r,
        `experience[${i}]`,
        engine.dim,
        arms,
        epoch,
        patterns.size,
        adapter.codeSize,
      ),
    );
    const previous = experience.filter((r) => r.epoch <= epoch);
    if (previous.some((r) => r.patterns.some((id) => id >= (fitted ?? 0)))) {
      throw new SonaError(
        'INVALID_STATE',
        'an earlier epoch’s record names a pattern the model was not fit over',
        {
          path: 'experience',
        },
      );
    }
    for (let i = 1; i < experience.length; i++) {
      if (experience[i]!.epoch < experience[i - 1]!.epoch) {
        throw new SonaError('INVALID_STATE', 'experience must be in recording order', {
          path: `experience[${i}].epoch`,
        });
      }
    }
    const check = replayItemChecker(engine.dim, arms);
    const replay = s.replay;
    if (replay?.kind !== kindOfReplay(engine.config)) {
      throw new SonaError('INVALID_STATE', 'replay kind does not match the config', {
        path: 'replay.kind',
      });
    }
    const replayMemory: Replay =
      replay.kind === 'prioritized'
        ? PrioritizedReplay.fromState(replay, check)
        : replay.kind === 'pattern'
          ? PatternReplay.fromState(replay, check)
          : UniformReplay.fromState(replay, check);
    let contrastive: ContrastiveMemory[] | null = null;
    if ((s.contrastive === null) !== !engine.config.contrastive) {
      throw new SonaError('INVALID_STATE', 'contrastive state present exactly when enabled', {
        path: 'contrastive',
      });
    }
    if (s.contrastive !== null) {
      if (!Array.isArray(s.contrastive) || s.contrastive.length !== arms) {
        throw new SonaError('INVALID_STATE', 'contrastive must hold one memory per arm', {
          path: 'contrastive',
        });
      }
      contrastive = s.contrastive.map((m, i) => {
        const memory = ContrastiveMemory.fromState(m);
        if (memory.dim !== null && memory.dim !== engine.dim) {
          throw new SonaError('INVALID_STATE', `contrastive[${i}] has the wrong dimension`, {
            path: `contrastive[${i}]`,
          });
        }
        return memory;
      });
    }
    const typeStats = checkTypeStats(s.typeStats, arms);
    const heads = adapter.heads;
    if (heads.length > 0 && heads.slice(1).some((h) => !typeStats.has(h))) {
      throw new SonaError('INVALID_STATE', 'an adapter head names a type never recorded', {
        path: 'adapter.types',
      });
    }
    const current = checkCurrent(s.current);
    if (experience.filter((r) => r.epoch === epoch + 1).length !== current.attempts) {
      throw new SonaError('INVALID_STATE', 'current.attempts differs from this epoch’s records', {
        path: 'current.attempts',
      });
    }
    const previousSuccessRate =
      s.previousSuccessRate === null
        ? null
        : assertInRange(s.previousSuccessRate, 'previousSuccessRate', 0, 1);
    const history = checkHistory(s.history, epoch);
    const dda = checkDdaState(s.dda);
    const learningRate = checkLearningRate(s.learningRate, engine.config.baseLearningRate);

    engine.#streams = restored;
    engine.#adapter = adapter;
    engine.#patterns = patterns;
    engine.#fittedPatterns = fitted;
    engine.#calibration = checkCalibration(s.calibration);
    engine.#experience = experience;
    engine.#replay = replayMemory;
    engine.#contrastive = contrastive;
    engine.#typeStats = typeStats;
    engine.#dda = dda;
    engine.#learningRate = learningRate;
    engine.#epoch = epoch;
    engine.#current = current;
    engine.#previousSuccessRate = previousSuccessRate;
    engine.#history = history;
    // The model is a function of the experience: the last refit, then this epoch's updates.
    if (fitted !== null) engine.#model.refit(engine.#observations(previous), fitted);
    for (const o of engine.#observations(experience.filter((r) => r.epoch === epoch + 1))) {
      engine.#model.observe(o);
    }
    return engine;
  }

  /**
   * The engine as checkpoint content for `@sona/checkpoint`'s `createCheckpoint`: the SPEC's
   * fields derived from the state, and the whole state for an exact resume.
   */
  toCheckpointRecord(context: CheckpointContext): CheckpointRecord {
    return checkpointFromEngineState(this.state(), context);
  }

  /**
   * Resumes from a checkpoint that `loadCheckpoint`/`parseCheckpoint` verified. The restored
   * engine must reproduce the checkpoint exactly (same stateHash): a file whose SPEC fields
   * disagree with its engine state is refused (`INVALID_STATE`).
   */
  static fromCheckpoint(checkpoint: Checkpoint): SonaEngine {
    const content = checkpointRecord(checkpoint);
    if (content.engine === null || content.engine === undefined) {
      throw new SonaError('INVALID_STATE', 'the checkpoint holds no engine state to resume from', {
        path: 'engine',
      });
    }
    const engine = SonaEngine.fromState(content.engine as unknown as EngineState);
    const again = createCheckpoint(
      engine.toCheckpointRecord({ model: content.model, seed: content.config.seed }),
    );
    if (again.stateHash !== checkpoint.stateHash) {
      throw new SonaError(
        'INVALID_STATE',
        'the checkpoint fields disagree with its engine state (they are not what the engine would write)',
        { path: 'engine' },
      );
    }
    return engine;
  }

  /** Everything the engine holds, as plain data; `SonaEngine.fromState` continues it exactly. */
  state(): EngineState {
    const streams = {} as Record<StreamName, ReturnType<Rng['state']>>;
    for (const name of STREAMS) streams[name] = this.#streams[name].state();
    return {
      kind: 'sona-engine',
      formatVersion: ENGINE_STATE_FORMAT,
      version: this.version,
      dim: this.dim,
      arms: [...this.arms],
      modelParamsB: this.modelParamsB,
      epochs: this.epochs,
      config: this.config,
      rank: this.rank,
      streams,
      adapter: this.#adapter.state(),
      ewc: this.#adapter.ewcState(),
      patterns: this.#patterns.state(),
      fittedPatterns: this.#fittedPatterns,
      calibration: this.#calibration === null ? null : { ...this.#calibration },
      experience: this.#experience.map((r) => ({
        ...r,
        input: r.input.slice(),
        patterns: [...r.patterns],
        weights: [...r.weights],
        code: [...r.code],
      })),
      replay: copiedReplayState(this.#replay.state()),
      contrastive: this.#contrastive?.map((m) => m.state()) ?? null,
      typeStats: [...this.#typeStats.keys()].sort().map((type) => {
        const stats = this.#typeStats.get(type)!;
        return {
          type,
          successes: [...stats.successes],
          trials: [...stats.trials],
          qualitySum: stats.qualitySum,
        };
      }),
      dda: { difficulty: this.#dda.difficulty, outcomes: [...this.#dda.outcomes] },
      learningRate: { ...this.#learningRate },
      epoch: this.#epoch,
      current: { ...this.#current },
      previousSuccessRate: this.#previousSuccessRate,
      history: this.#history.map((h) => ({ ...h })),
    };
  }
}

function checkCalibration(value: unknown): PlattMap | null {
  if (value === null) return null;
  const v = value as PlattMap;
  if (v === undefined || typeof v !== 'object') {
    throw new SonaError('INVALID_STATE', 'calibration must be null or { a, b }', {
      path: 'calibration',
    });
  }
  return {
    a: assertInRange(v.a, 'calibration.a', 0, 100),
    b: assertInRange(v.b, 'calibration.b', -100, 100),
  };
}

function kindOfReplay(config: VersionConfig): ReplayState['kind'] {
  return config.replay === 'prioritized'
    ? 'prioritized'
    : config.replay === 'pattern'
      ? 'pattern'
      : 'uniform';
}

function checkOverrides(overrides: unknown): EngineOverrides {
  if (overrides === undefined) return {};
  if (overrides === null || typeof overrides !== 'object') {
    throw new SonaError('INVALID_ARGUMENT', 'overrides must be an object', { path: 'overrides' });
  }
  return overrides as EngineOverrides;
}

function describe(value: unknown): string {
  if (typeof value === 'string') {
    return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  }
  return typeof value === 'object' ? (value === null ? 'null' : 'an object') : String(value);
}

function firstNonFinite32(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return i;
  return -1;
}

/** A replay state whose items own their inputs (the memory's items share the engine's arrays). */
function copiedReplayState(state: ReplayState): ReplayState {
  return {
    ...state,
    items: state.items.map((item) => ({ ...item, input: item.input.slice() })),
  } as ReplayState;
}

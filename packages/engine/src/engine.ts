import {
  type Checkpoint,
  type CheckpointState,
  checkpointState,
  createCheckpoint,
} from '@sona/checkpoint';
import {
  type Arm,
  assertAllFinite,
  assertFloat32Array,
  assertInRange,
  assertInteger,
  assertRng,
  type Choice,
  type ChooseOptions,
  type EpochSummary,
  isTaskType,
  isVersion,
  type Learner,
  type Outcome,
  Rng,
  type RngState,
  SonaError,
  type Task,
  type TaskType,
  type Trajectory,
  type Version,
} from '@sona/core';
import { Ewc, type EwcState } from '@sona/ewc';
import {
  MicroLoRA,
  type MicroLoRAState,
  MultiHeadLoRA,
  type MultiHeadLoRAState,
  rankForParams,
} from '@sona/lora';
import {
  ContrastiveMemory,
  type ContrastiveMemoryState,
  PatternBank,
  type PatternBankState,
  type PatternMatch,
} from '@sona/patterns';
import {
  assertTrajectory,
  PatternReplay,
  type PatternReplayState,
  PrioritizedReplay,
  type PrioritizedReplayState,
  type ReplayStrategy,
  TrajectoryBuffer,
  type TrajectoryBufferState,
  UniformReplay,
  type UniformReplayState,
} from '@sona/replay';
import { type CheckpointContext, checkpointFromEngineState } from './checkpoint-state';
import { pickTask } from './curriculum';
import { checkDdaState, type DdaState, ddaAfter, initialDda } from './dda';
import { addTdGradient, PatternStats, scoresFromMatches } from './learning-signal';
import {
  argmax,
  initialLearningRate,
  type LearningRateState,
  nextLearningRate,
  softmax,
  temperatureAt,
} from './schedules';
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
    | 'patternThreshold'
    | 'diversity'
    | 'contrastive'
    | 'learningRate'
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

/** What the engine reports at the end of an epoch: the core summary and its own figures. */
export interface EngineEpochSummary extends EpochSummary {
  readonly meanQuality: number;
  readonly patterns: number;
  readonly learningRate: number;
  readonly temperature: number;
  readonly difficulty: number;
}

/** Per task type: trials and successes per arm (engine order) and the sum of qualities. */
export interface TypeStatsEntry {
  readonly type: TaskType;
  readonly successes: number[];
  readonly trials: number[];
  readonly qualitySum: number;
}

/** Engine constants that are not in the SPEC's version table, documented in the README. */
export const ENGINE_DEFAULTS = {
  /** Replayed trajectories per recorded outcome. */
  replayBatch: 4,
  /**
   * Task types that get a head of their own in a multi-head adapter, in the order they are first
   * recorded; later types share the `other` head (as does a type literally named `other`).
   */
  maxTypeHeads: 8,
  /** Weight of the InfoNCE gradient relative to the TD gradient (v3). */
  contrastiveWeight: 1,
  /** Trajectories kept for pattern extraction (SPEC: 10,000, best 80% kept when full). */
  bufferCapacity: 10_000,
  /** Slots of the uniform and prioritized replay memories. */
  replayCapacity: 10_000,
} as const;

interface ReplayItem {
  readonly quality: number;
  readonly trajectory: Trajectory;
  /** The task embedding before the adapter, so replay can run the adapter again. */
  readonly input: Float32Array;
}

type AdapterState = MicroLoRAState | MultiHeadLoRAState;
type ReplayState =
  | UniformReplayState<ReplayItem>
  | PatternReplayState<ReplayItem>
  | PrioritizedReplayState<ReplayItem>;

/** Everything an engine holds, as plain data (tensors as Float32Array); see `SonaEngine.fromState`. */
export interface EngineState {
  readonly kind: 'sona-engine';
  readonly formatVersion: 2;
  readonly version: Version;
  readonly dim: number;
  readonly arms: readonly Arm[];
  readonly modelParamsB: number;
  readonly epochs: number;
  readonly config: VersionConfig;
  readonly rank: number;
  readonly streams: Readonly<Record<StreamName, RngState>>;
  readonly adapter: AdapterState;
  readonly ewc: EwcState | null;
  readonly buffer: TrajectoryBufferState;
  readonly replay: ReplayState;
  readonly patterns: PatternBankState;
  readonly contrastive: ContrastiveMemoryState | null;
  readonly online: { pattern: number; successes: number[]; trials: number[] }[];
  /** Per task type seen, in code-unit order of the type. */
  readonly typeStats: TypeStatsEntry[];
  readonly dda: DdaState;
  readonly learningRate: LearningRateState;
  readonly epoch: number;
  readonly current: { attempts: number; successes: number; confidence: number; quality: number };
  readonly previousSuccessRate: number | null;
  readonly history: EngineEpochSummary[];
}

/** The head that task types beyond `ENGINE_DEFAULTS.maxTypeHeads` share. */
export const OTHER_HEAD = 'other';

const STREAMS = ['explore', 'replay', 'curriculum', 'patterns', 'heads'] as const;
type StreamName = (typeof STREAMS)[number];

interface Adapter {
  forward(x: Float32Array, type: TaskType, out?: Float32Array): Float32Array;
  backward(x: Float32Array, type: TaskType, gradOut: Float32Array): void;
  zeroGrad(): void;
  step(lr: number): void;
  parameters(): Float32Array;
  gradients(): Float32Array;
  state(): AdapterState;
}

function singleHead(lora: MicroLoRA): Adapter {
  return {
    forward: (x, _type, out) => lora.forward(x, out),
    backward: (x, _type, g) => {
      lora.backward(x, g);
    },
    zeroGrad: () => lora.zeroGrad(),
    step: (lr) => lora.step(lr),
    parameters: () => lora.parameters(),
    gradients: () => lora.gradients(),
    state: () => lora.state(),
  };
}

function multiHead(lora: MultiHeadLoRA): Adapter {
  return {
    forward: (x, type, out) => lora.forward(x, type, out),
    backward: (x, type, g) => {
      lora.backward(x, type, g);
    },
    zeroGrad: () => lora.zeroGrad(),
    step: (lr) => lora.step(lr),
    parameters: () => lora.parameters(),
    gradients: () => lora.gradients(),
    state: () => lora.state(),
  };
}

function resolveConfig(version: Version, overrides: EngineOverrides = {}): VersionConfig {
  return { ...VERSION_CONFIGS[version], ...overrides, version };
}

function checkArms(arms: unknown): readonly Arm[] {
  if (!Array.isArray(arms) || arms.length === 0) {
    throw new SonaError('INVALID_ARGUMENT', 'arms must be a non-empty array of strings', {
      path: 'arms',
    });
  }
  const seen = new Set<string>();
  arms.forEach((arm, i) => {
    if (typeof arm !== 'string' || arm.length === 0 || seen.has(arm)) {
      throw new SonaError('INVALID_ARGUMENT', `arms[${i}] must be a distinct non-empty string`, {
        path: `arms[${i}]`,
      });
    }
    seen.add(arm);
  });
  return [...arms];
}

/**
 * SONA's learning loop. For each task it embeds through the adapter, matches the pattern
 * bank, scores every arm and picks one; from each outcome it learns (TD and, in v3,
 * contrastive gradients through the adapter, replay, EWC++, online pattern statistics), and at
 * each epoch's end it extracts patterns, consolidates EWC++ and advances its schedules.
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
  #adapter: Adapter;
  #lora: MicroLoRA | MultiHeadLoRA;
  #ewc: Ewc | null;
  #buffer: TrajectoryBuffer;
  #replay: ReplayStrategy<ReplayItem> & { state(): ReplayState };
  #bank: PatternBank;
  #contrastive: ContrastiveMemory | null;
  #patternStats: PatternStats;
  #typeStats = new Map<TaskType, { successes: number[]; trials: number[]; qualitySum: number }>();
  #dda: DdaState;
  #learningRate: LearningRateState;
  #epoch = 0;
  #current = { attempts: 0, successes: 0, confidence: 0, quality: 0 };
  #previousSuccessRate: number | null = null;
  #history: EngineEpochSummary[] = [];
  readonly #armIndex: Map<Arm, number>;
  readonly #scratch: {
    adapted: Float32Array;
    grad64: Float64Array;
    grad32: Float32Array;
    rates: Float64Array;
    norms: Float64Array;
  };

  constructor(options: EngineOptions) {
    if (options === null || typeof options !== 'object') {
      throw new SonaError('INVALID_ARGUMENT', 'SonaEngine needs an options object');
    }
    if (!isVersion(options.version)) {
      throw new SonaError(
        'INVALID_ARGUMENT',
        `version must be v1, v2 or v3, got ${String(options.version)}`,
        {
          path: 'version',
        },
      );
    }
    assertRng(options.rng);
    this.version = options.version;
    this.dim = assertInteger(options.dim, 'dim', 1, 65_536);
    this.arms = checkArms(options.arms);
    this.modelParamsB = assertInRange(options.modelParamsB, 'modelParamsB', 1e-6, 1e6);
    this.config = resolveConfig(options.version, options.overrides);
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
    this.#scratch = {
      adapted: new Float32Array(this.dim),
      grad64: new Float64Array(this.dim),
      grad32: new Float32Array(this.dim),
      rates: new Float64Array(8),
      norms: new Float64Array(8),
    };

    const rng = options.rng;
    this.#streams = {
      explore: rng.fork('explore'),
      replay: rng.fork('replay'),
      curriculum: rng.fork('curriculum'),
      patterns: rng.fork('patterns'),
      heads: rng.fork('adapter-heads'),
    };
    const init = rng.fork('adapter-init');
    if (this.config.lora === 'multi-head') {
      const lora = new MultiHeadLoRA({
        dim: this.dim,
        rank: this.rank,
        types: [OTHER_HEAD],
        rng: init,
      });
      this.#lora = lora;
      this.#adapter = multiHead(lora);
    } else {
      const lora = new MicroLoRA({ dim: this.dim, rank: this.rank, rng: init });
      this.#lora = lora;
      this.#adapter = singleHead(lora);
    }
    const size = this.#adapter.parameters().length;
    this.#ewc = this.config.ewcLambda > 0 ? new Ewc({ size, lambda: this.config.ewcLambda }) : null;
    this.#buffer = new TrajectoryBuffer({ capacity: ENGINE_DEFAULTS.bufferCapacity });
    this.#replay = SonaEngine.#newReplay(this.config);
    this.#bank = new PatternBank({
      qualityThreshold: this.config.patternThreshold,
      diversity: this.config.diversity,
    });
    this.#contrastive = this.config.contrastive ? new ContrastiveMemory() : null;
    this.#patternStats = new PatternStats(this.arms.length);
    this.#dda = initialDda();
    this.#learningRate = initialLearningRate();
  }

  static #newReplay(config: VersionConfig): ReplayStrategy<ReplayItem> & { state(): ReplayState } {
    if (config.replay === 'prioritized') {
      return new PrioritizedReplay<ReplayItem>({ capacity: ENGINE_DEFAULTS.replayCapacity });
    }
    if (config.replay === 'pattern') return new PatternReplay<ReplayItem>({ keep: 10 });
    return new UniformReplay<ReplayItem>({ capacity: ENGINE_DEFAULTS.replayCapacity });
  }

  get epoch(): number {
    return this.#epoch;
  }

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
   * Scores every arm for a task and picks one: with `explore` (the default) by sampling the
   * softmax of the scores at the current temperature, without it the best (first on ties).
   * `arms` restricts the pick to a subset (for tasks that offer only some arms); scores are
   * still given for every arm.
   */
  choose(task: Task, options: ChooseOptions = {}): Choice {
    const input = this.#checkTask(task);
    const allowed = this.#allowedIndices(options.arms);
    const adapted = this.#adapter.forward(input, this.#headOf(task.type), this.#scratch.adapted);
    const scores = new Float32Array(this.arms.length);
    this.#score(adapted, task.type, this.#bank.match(adapted, task.type), scores);
    const candidates = allowed === null ? scores : Float32Array.from(allowed, (a) => scores[a]!);
    const pick =
      options.explore === false
        ? argmax(candidates)
        : this.#streams.explore.choice(softmax(candidates, this.temperature));
    const index = allowed === null ? pick : allowed[pick]!;
    return { arm: this.arms[index]!, confidence: scores[index]!, scores };
  }

  #allowedIndices(arms: readonly Arm[] | undefined): number[] | null {
    if (arms === undefined) return null;
    if (!Array.isArray(arms) || arms.length === 0) {
      throw new SonaError('INVALID_ARGUMENT', 'options.arms must be a non-empty array of arms', {
        path: 'options.arms',
      });
    }
    const indices = new Set<number>();
    for (const arm of arms) {
      const index = this.#armIndex.get(arm);
      if (index === undefined) {
        throw new SonaError('INVALID_ARGUMENT', `unknown arm ${String(arm)}`, {
          path: 'options.arms',
        });
      }
      indices.add(index);
    }
    return [...indices].sort((a, b) => a - b);
  }

  /**
   * Learns from the outcome of `arm` on `task` and returns the trajectory. The confidence is
   * the arm's score now (the same as `choose` gave if nothing was learned in between); the TD
   * error is outcome − confidence.
   */
  record(task: Task, arm: Arm, outcome: Outcome): Trajectory {
    const input = this.#checkTask(task);
    const armIndex = this.#armIndex.get(arm);
    if (armIndex === undefined) {
      throw new SonaError('INVALID_ARGUMENT', `unknown arm ${String(arm)}`, { path: 'arm' });
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
    this.#growHeadFor(type);
    const head = this.#headOf(type);
    const adapted = this.#adapter.forward(input, head).slice();
    const matches = this.#bank.match(adapted, type);
    const scores = new Float32Array(this.arms.length);
    this.#score(adapted, type, matches, scores);
    const confidence = scores[armIndex]!;
    const value = outcome.success ? 1 : 0;
    const trajectory: Trajectory = {
      taskId: task.id,
      type,
      ...(task.difficulty === undefined ? {} : { difficulty: task.difficulty }),
      embedding: adapted,
      arm,
      success: outcome.success,
      quality,
      confidence,
      tdError: value - confidence,
      epoch: this.#epoch + 1,
    };

    this.#buffer.push(trajectory);
    this.#replay.add({ quality, trajectory, input: input.slice() }, trajectory.tdError);
    if (matches.length > 0)
      this.#patternStats.record(matches[0]!.pattern.id, armIndex, outcome.success);
    const stats = this.#statsOf(type);
    stats.trials[armIndex]! += 1;
    if (outcome.success) stats.successes[armIndex]! += 1;
    stats.qualitySum += quality;
    this.#contrastive?.add(adapted, outcome.success);

    this.#learn(input, head, type, adapted, matches, armIndex, value);

    if (this.config.dda) this.#dda = ddaAfter(this.#dda, outcome.success);
    this.#current.attempts += 1;
    if (outcome.success) this.#current.successes += 1;
    this.#current.confidence += confidence;
    this.#current.quality += quality;
    return trajectory;
  }

  /** The next training task from `candidates`: curriculum and DDA where the version has them. */
  pickTask(candidates: readonly Task[]): Task {
    if (!Array.isArray(candidates)) {
      throw new SonaError('INVALID_ARGUMENT', 'candidates must be an array of tasks');
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
   * Ends an epoch: extracts patterns from the trajectory buffer, consolidates EWC++, moves the
   * learning rate by this epoch's trend, and advances the temperature schedule.
   */
  endEpoch(): EngineEpochSummary {
    const attempts = this.#current.attempts;
    const successRate = attempts === 0 ? 0 : this.#current.successes / attempts;
    this.#bank.extract(this.#buffer.toArray(), this.#streams.patterns);
    this.#resetPatternStats();
    this.#ewc?.consolidate(this.#adapter.parameters());
    const trend = this.#previousSuccessRate === null ? 0 : successRate - this.#previousSuccessRate;
    const summary: EngineEpochSummary = {
      epoch: this.#epoch + 1,
      attempts,
      successRate,
      meanQuality: attempts === 0 ? 0 : this.#current.quality / attempts,
      meanConfidence: attempts === 0 ? 0 : this.#current.confidence / attempts,
      patterns: this.#bank.patterns.length,
      learningRate: this.#learningRate.rate,
      temperature: this.temperature,
      difficulty: this.#dda.difficulty,
    };
    this.#learningRate = nextLearningRate(this.config.learningRate, this.#learningRate, trend);
    if (attempts > 0) this.#previousSuccessRate = successRate;
    this.#history.push(summary);
    this.#epoch += 1;
    this.#current = { attempts: 0, successes: 0, confidence: 0, quality: 0 };
    return summary;
  }

  stats() {
    const buffer = this.#buffer.stats();
    return {
      version: this.version,
      epoch: this.#epoch,
      rank: this.rank,
      parameters: this.#adapter.parameters().length,
      patterns: this.#bank.patterns.length,
      trajectories: buffer.count,
      successRate: buffer.successRate,
      meanQuality: buffer.meanQuality,
      replaySize: this.#replay.size,
      learningRate: this.#learningRate.rate,
      temperature: this.temperature,
      difficulty: this.#dda.difficulty,
      history: [...this.#history],
    };
  }

  /** The patterns' centroids (rows of `dim`) and qualities, for reports and checkpoints. */
  patterns(): { centroids: Float32Array; qualities: number[] } {
    return { centroids: this.#bank.centroids(), qualities: this.#bank.qualities() };
  }

  /** The adapter head a task type uses: its own once it has one, else the shared `other` head. */
  #headOf(type: TaskType): string {
    return this.#lora instanceof MultiHeadLoRA && this.#lora.types.includes(type)
      ? type
      : OTHER_HEAD;
  }

  /**
   * Gives a task type its own head when it is first recorded and fewer than
   * `ENGINE_DEFAULTS.maxTypeHeads` types have one; EWC++ grows with the parameters (the new ones
   * carry no Fisher information yet). The head's A comes from a stream forked by the type's
   * name, so it does not depend on which types came before.
   */
  #growHeadFor(type: TaskType): void {
    const lora = this.#lora;
    if (!(lora instanceof MultiHeadLoRA) || lora.types.includes(type)) return;
    if (lora.types.length - 1 >= ENGINE_DEFAULTS.maxTypeHeads) return;
    const grown = lora.withHead(type, this.#streams.heads.fork(`head:${type}`));
    const before = lora.size;
    this.#lora = grown;
    this.#adapter = multiHead(grown);
    if (this.#ewc) this.#ewc = this.#ewc.grown(grown.size, grown.parameters().slice(before));
  }

  #statsOf(type: TaskType): { successes: number[]; trials: number[]; qualitySum: number } {
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
    if (!isTaskType(task.type)) {
      throw new SonaError(
        'INVALID_ARGUMENT',
        `task.type must be a non-empty label of at most 256 characters, got ${describeType(task.type)}`,
        { path: 'task.type' },
      );
    }
    if (task.difficulty !== undefined) assertInRange(task.difficulty, 'task.difficulty', 0, 1);
    const embedding = assertFloat32Array(task.embedding, 'task.embedding', this.dim);
    assertAllFinite(embedding, 'task.embedding');
    return embedding;
  }

  #score(
    adapted: Float32Array,
    type: TaskType,
    matches: readonly PatternMatch[],
    out: Float32Array,
  ): void {
    if (matches.length > 0) {
      scoresFromMatches(matches, this.#patternStats, out);
      return;
    }
    // No pattern matches: the task type's own arm statistics, Laplace-smoothed.
    const stats = this.#typeStats.get(type);
    for (let a = 0; a < out.length; a++) {
      out[a] = stats === undefined ? 0.5 : (stats.successes[a]! + 1) / (stats.trials[a]! + 2);
    }
    void adapted;
  }

  #resetPatternStats(): void {
    this.#patternStats.reset(this.#bank.patterns, (arm) => this.#armIndex.get(arm));
  }

  /** Fills scratch buffers with each match's smoothed rate for `arm` and its centroid's norm. */
  #matchTerms(
    matches: readonly PatternMatch[],
    arm: number,
  ): { rates: Float64Array; norms: Float64Array } {
    if (this.#scratch.rates.length < matches.length) {
      this.#scratch.rates = new Float64Array(matches.length);
      this.#scratch.norms = new Float64Array(matches.length);
    }
    const { rates, norms } = this.#scratch;
    for (let k = 0; k < matches.length; k++) {
      const p = matches[k]!.pattern.id;
      rates[k] = this.#patternStats.rate(p, arm);
      norms[k] = this.#patternStats.centroidNorm(p);
    }
    return { rates, norms };
  }

  /**
   * One SGD step on the adapter: the TD gradient of this outcome, the contrastive (InfoNCE)
   * gradient for a success (v3), and a replayed batch (uniform v1, best-10 v2, prioritized v3,
   * whose priorities become the new |TD errors|); EWC++ adds its penalty gradient and updates
   * its Fisher estimate from the data gradient.
   */
  #learn(
    input: Float32Array,
    head: string,
    type: TaskType,
    adapted: Float32Array,
    matches: readonly PatternMatch[],
    arm: number,
    value: number,
  ): void {
    const adapter = this.#adapter;
    adapter.zeroGrad();
    let touched = this.#backpropTd(input, head, adapted, matches, arm, value, 1);
    if (this.#contrastive && value === 1 && this.#contrastive.negativeCount > 0) {
      const g = this.#contrastive.gradient(adapted, this.#scratch.grad32);
      for (let i = 0; i < g.length; i++) g[i] = g[i]! * ENGINE_DEFAULTS.contrastiveWeight;
      adapter.backward(input, head, g);
      touched = true;
    }
    if (this.#replay.size > 0) {
      const batch = this.#replay.sample(ENGINE_DEFAULTS.replayBatch, this.#streams.replay);
      const tdErrors = new Float64Array(batch.items.length);
      for (let i = 0; i < batch.items.length; i++) {
        const item = batch.items[i]!;
        const t = item.trajectory;
        const replayHead = this.#headOf(t.type);
        const replayed = adapter.forward(item.input, replayHead).slice();
        const replayMatches = this.#bank.match(replayed, t.type);
        const replayArm = this.#armIndex.get(t.arm)!;
        const weight = batch.weights[i]! / batch.items.length;
        const predicted = this.#predict(replayed, t.type, replayMatches, replayArm);
        tdErrors[i] = (t.success ? 1 : 0) - predicted;
        if (
          this.#backpropTd(
            item.input,
            replayHead,
            replayed,
            replayMatches,
            replayArm,
            t.success ? 1 : 0,
            weight,
          )
        ) {
          touched = true;
        }
      }
      this.#replay.updatePriorities(batch.indices, tdErrors);
    }
    if (!touched) return;
    const gradients = adapter.gradients();
    this.#ewc?.updateFisherAndAddGradient(adapter.parameters(), gradients);
    adapter.step(this.#learningRate.rate);
  }

  #predict(
    adapted: Float32Array,
    type: TaskType,
    matches: readonly PatternMatch[],
    arm: number,
  ): number {
    const scores = new Float32Array(this.arms.length);
    this.#score(adapted, type, matches, scores);
    return scores[arm]!;
  }

  /** Backpropagates weight·∂(½ TD²)/∂y through the adapter; false when there is no gradient. */
  #backpropTd(
    input: Float32Array,
    head: string,
    adapted: Float32Array,
    matches: readonly PatternMatch[],
    arm: number,
    value: number,
    weight: number,
  ): boolean {
    if (matches.length === 0) return false;
    const grad64 = this.#scratch.grad64.fill(0);
    const { rates, norms } = this.#matchTerms(matches, arm);
    addTdGradient(adapted, matches, rates, norms, value, weight, grad64);
    const grad32 = this.#scratch.grad32;
    for (let i = 0; i < grad64.length; i++) grad32[i] = grad64[i]!;
    this.#adapter.backward(input, head, grad32);
    return true;
  }

  /**
   * Rebuilds an engine from `state()`; it continues bit-identically to the one that produced
   * the state. Every component validates its part; a bad state throws and builds nothing.
   */
  static fromState(state: EngineState): SonaEngine {
    if (state === null || typeof state !== 'object' || state.kind !== 'sona-engine') {
      throw new SonaError('INVALID_STATE', 'not a SONA engine state', { path: 'kind' });
    }
    if (state.formatVersion !== 2) {
      throw new SonaError(
        'INVALID_STATE',
        `engine state format ${String(state.formatVersion)} is not 2 (this engine resumes only the states it writes)`,
        {
          path: 'formatVersion',
        },
      );
    }
    const overrides = checkOverrides(state.config, state.version);
    const engine = new SonaEngine({
      version: state.version,
      dim: state.dim,
      arms: state.arms,
      modelParamsB: state.modelParamsB,
      rng: Rng.seeded(0),
      epochs: state.epochs,
      overrides,
    });
    if (engine.rank !== state.rank) {
      throw new SonaError(
        'INVALID_STATE',
        `rank ${String(state.rank)} does not follow from the config`,
        {
          path: 'rank',
        },
      );
    }
    const streams = state.streams as Record<string, RngState> | undefined;
    if (!streams || typeof streams !== 'object') {
      throw new SonaError('INVALID_STATE', 'streams missing', { path: 'streams' });
    }
    engine.#streams = {
      explore: Rng.fromState(streams.explore!),
      replay: Rng.fromState(streams.replay!),
      curriculum: Rng.fromState(streams.curriculum!),
      patterns: Rng.fromState(streams.patterns!),
      heads: Rng.fromState(streams.heads!),
    };
    if (engine.config.lora === 'multi-head') {
      const lora = MultiHeadLoRA.fromState(state.adapter as MultiHeadLoRAState);
      engine.#lora = lora;
      engine.#adapter = multiHead(lora);
    } else {
      const lora = MicroLoRA.fromState(state.adapter as MicroLoRAState);
      engine.#lora = lora;
      engine.#adapter = singleHead(lora);
    }
    const parameters = engine.#adapter.parameters().length;
    if (engine.#lora.dim !== engine.dim || engine.#lora.rank !== engine.rank) {
      throw new SonaError('INVALID_STATE', 'adapter shape disagrees with dim and rank', {
        path: 'adapter',
      });
    }
    if ((state.ewc === null) !== (engine.config.ewcLambda === 0)) {
      throw new SonaError('INVALID_STATE', 'EWC state present exactly when λ > 0', { path: 'ewc' });
    }
    engine.#ewc = state.ewc === null ? null : Ewc.fromState(state.ewc);
    if (engine.#ewc && engine.#ewc.size !== parameters) {
      throw new SonaError('INVALID_STATE', 'EWC size differs from the adapter parameters', {
        path: 'ewc',
      });
    }
    engine.#buffer = TrajectoryBuffer.fromState(state.buffer);
    const dim = engine.dim;
    const arms = engine.#armIndex;
    const validateItem = (value: unknown, path: string): ReplayItem => {
      const item = value as ReplayItem;
      if (item === null || typeof item !== 'object') {
        throw new SonaError('INVALID_STATE', `${path} must be a replay item`, { path });
      }
      const trajectory = assertTrajectory(item.trajectory, `${path}.trajectory`);
      if (!arms.has(trajectory.arm) || trajectory.embedding.length !== dim) {
        throw new SonaError('INVALID_STATE', `${path} has an unknown arm or a wrong dimension`, {
          path,
        });
      }
      const input = assertFloat32Array(item.input, `${path}.input`, dim);
      assertAllFinite(input, `${path}.input`);
      if (item.quality !== trajectory.quality) {
        throw new SonaError('INVALID_STATE', `${path}.quality differs from its trajectory`, {
          path,
        });
      }
      return { quality: item.quality, trajectory, input };
    };
    const replay = state.replay;
    if (replay?.kind !== kindOfReplay(engine.config)) {
      throw new SonaError('INVALID_STATE', 'replay kind does not match the config', {
        path: 'replay.kind',
      });
    }
    if (replay.kind === 'prioritized')
      engine.#replay = PrioritizedReplay.fromState(replay, validateItem);
    else if (replay.kind === 'pattern')
      engine.#replay = PatternReplay.fromState(replay, validateItem);
    else engine.#replay = UniformReplay.fromState(replay, validateItem);
    engine.#bank = PatternBank.fromState(state.patterns);
    if ((state.contrastive === null) !== !engine.config.contrastive) {
      throw new SonaError('INVALID_STATE', 'contrastive state present exactly when enabled', {
        path: 'contrastive',
      });
    }
    engine.#contrastive =
      state.contrastive === null ? null : ContrastiveMemory.fromState(state.contrastive);
    engine.#resetPatternStats();
    engine.#patternStats.restoreOnline(
      checkOnline(state.online, engine.arms.length, engine.#bank.patterns.length),
    );
    engine.#typeStats = checkTypeStats(state.typeStats, engine.arms.length);
    if (engine.#lora instanceof MultiHeadLoRA) {
      const heads = engine.#lora.types;
      if (
        heads[0] !== OTHER_HEAD ||
        heads.length - 1 > ENGINE_DEFAULTS.maxTypeHeads ||
        heads.slice(1).some((h) => !engine.#typeStats.has(h))
      ) {
        throw new SonaError(
          'INVALID_STATE',
          `adapter heads must be ${OTHER_HEAD}, then up to ${ENGINE_DEFAULTS.maxTypeHeads} recorded task types`,
          { path: 'adapter.types' },
        );
      }
    }
    engine.#dda = checkDdaState(state.dda);
    engine.#learningRate = checkLearningRate(state.learningRate);
    engine.#epoch = assertInteger(state.epoch, 'epoch', 0);
    engine.#current = checkCurrent(state.current);
    engine.#previousSuccessRate =
      state.previousSuccessRate === null
        ? null
        : assertInRange(state.previousSuccessRate, 'previousSuccessRate', 0, 1);
    if (!Array.isArray(state.history) || state.history.length !== engine.#epoch) {
      throw new SonaError('INVALID_STATE', 'history must hold one summary per finished epoch', {
        path: 'history',
      });
    }
    engine.#history = state.history.map((h) => ({ ...h }));
    return engine;
  }

  /**
   * The engine as checkpoint content for `@sona/checkpoint`'s `createCheckpoint`: the SPEC's
   * fields derived from the state, and the whole state for an exact resume.
   */
  toCheckpointState(context: CheckpointContext): CheckpointState {
    return checkpointFromEngineState(this.state(), context);
  }

  /**
   * Resumes from a checkpoint that `loadCheckpoint`/`parseCheckpoint` verified. The restored
   * engine must reproduce the checkpoint exactly (same stateHash): a file whose SPEC fields
   * disagree with its engine state is refused (`INVALID_STATE`).
   */
  static fromCheckpoint(checkpoint: Checkpoint): SonaEngine {
    const content = checkpointState(checkpoint);
    if (content.engine === null || content.engine === undefined) {
      throw new SonaError('INVALID_STATE', 'the checkpoint holds no engine state to resume from', {
        path: 'engine',
      });
    }
    const engine = SonaEngine.fromState(content.engine as unknown as EngineState);
    const again = createCheckpoint(
      engine.toCheckpointState({ model: content.model, seed: content.config.seed }),
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
    return {
      kind: 'sona-engine',
      formatVersion: 2,
      version: this.version,
      dim: this.dim,
      arms: [...this.arms],
      modelParamsB: this.modelParamsB,
      epochs: this.epochs,
      config: this.config,
      rank: this.rank,
      streams: {
        explore: this.#streams.explore.state(),
        replay: this.#streams.replay.state(),
        curriculum: this.#streams.curriculum.state(),
        patterns: this.#streams.patterns.state(),
        heads: this.#streams.heads.state(),
      },
      adapter: this.#adapter.state(),
      ewc: this.#ewc?.state() ?? null,
      buffer: this.#buffer.state(),
      replay: this.#replay.state(),
      patterns: this.#bank.state(),
      contrastive: this.#contrastive?.state() ?? null,
      online: this.#patternStats.state(),
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

function describeType(value: unknown): string {
  return typeof value === 'string' ? `${value.length} characters` : String(value);
}

function kindOfReplay(config: VersionConfig): ReplayState['kind'] {
  return config.replay === 'prioritized'
    ? 'prioritized'
    : config.replay === 'pattern'
      ? 'pattern'
      : 'uniform';
}

/** The overrides that turn the version's table into `config`, after checking every field. */
function checkOverrides(config: unknown, version: unknown): EngineOverrides {
  if (!isVersion(version)) {
    throw new SonaError('INVALID_STATE', `version ${String(version)} is not v1, v2 or v3`, {
      path: 'version',
    });
  }
  const c = config as VersionConfig;
  const fail = (field: string): never => {
    throw new SonaError('INVALID_STATE', `config.${field} is not valid`, {
      path: `config.${field}`,
    });
  };
  if (c === null || typeof c !== 'object') fail('');
  if (c.lora !== 'single' && c.lora !== 'multi-head') fail('lora');
  if (c.rank !== 'by-size' && !(Number.isInteger(c.rank) && (c.rank as number) >= 1)) fail('rank');
  for (const flag of ['curriculum', 'dda', 'diversity', 'contrastive'] as const) {
    if (typeof c[flag] !== 'boolean') fail(flag);
  }
  if (!['uniform', 'pattern', 'prioritized'].includes(c.replay)) fail('replay');
  if (!['fixed', 'momentum', 'meta'].includes(c.learningRate)) fail('learningRate');
  if (!(c.patternThreshold >= 0 && c.patternThreshold <= 1)) fail('patternThreshold');
  if (!(c.ewcLambda >= 0 && Number.isFinite(c.ewcLambda))) fail('ewcLambda');
  if (
    !(
      c.temperature?.start > 0 &&
      c.temperature?.end > 0 &&
      Number.isFinite(c.temperature.start + c.temperature.end)
    )
  ) {
    fail('temperature');
  }
  return {
    lora: c.lora,
    rank: c.rank,
    curriculum: c.curriculum,
    dda: c.dda,
    replay: c.replay,
    patternThreshold: c.patternThreshold,
    diversity: c.diversity,
    contrastive: c.contrastive,
    learningRate: c.learningRate,
    ewcLambda: c.ewcLambda,
    temperature: { start: c.temperature.start, end: c.temperature.end },
  };
}

function checkCounts(value: unknown, arms: number, path: string): number[] {
  if (
    !Array.isArray(value) ||
    value.length !== arms ||
    !value.every((v) => Number.isInteger(v) && v >= 0)
  ) {
    throw new SonaError('INVALID_STATE', `${path} must hold ${arms} non-negative integers`, {
      path,
    });
  }
  return [...value];
}

function checkOnline(value: unknown, arms: number, patterns: number) {
  if (!Array.isArray(value))
    throw new SonaError('INVALID_STATE', 'online must be an array', { path: 'online' });
  let previous = -1;
  return value.map((entry, i) => {
    const e = entry as { pattern: number; successes: number[]; trials: number[] };
    assertInteger(e?.pattern, `online[${i}].pattern`, previous + 1, patterns - 1);
    previous = e.pattern;
    const successes = checkCounts(e.successes, arms, `online[${i}].successes`);
    const trials = checkCounts(e.trials, arms, `online[${i}].trials`);
    if (successes.some((s, a) => s > trials[a]!)) {
      throw new SonaError('INVALID_STATE', `online[${i}] has more successes than trials`, {
        path: `online[${i}]`,
      });
    }
    return { pattern: e.pattern, successes, trials };
  });
}

function checkTypeStats(
  value: unknown,
  arms: number,
): Map<TaskType, { successes: number[]; trials: number[]; qualitySum: number }> {
  if (!Array.isArray(value)) {
    throw new SonaError('INVALID_STATE', 'typeStats must be an array of per-type counts', {
      path: 'typeStats',
    });
  }
  const out = new Map<TaskType, { successes: number[]; trials: number[]; qualitySum: number }>();
  let previous: string | null = null;
  value.forEach((entry, i) => {
    const path = `typeStats[${i}]`;
    const e = entry as TypeStatsEntry;
    if (e === null || typeof e !== 'object' || !isTaskType(e.type)) {
      throw new SonaError('INVALID_STATE', `${path} must name a task type`, { path });
    }
    if (previous !== null && !(previous < e.type)) {
      throw new SonaError('INVALID_STATE', 'typeStats must be in code-unit order of the type', {
        path,
      });
    }
    previous = e.type;
    const trials = checkCounts(e.trials, arms, `${path}.trials`);
    const successes = checkCounts(e.successes, arms, `${path}.successes`);
    if (successes.some((n, a) => n > trials[a]!)) {
      throw new SonaError('INVALID_STATE', `${path} has more successes than trials`, {
        path: `${path}.successes`,
      });
    }
    const qualitySum = assertInRange(
      e.qualitySum,
      `${path}.qualitySum`,
      0,
      trials.reduce((a, b) => a + b, 0),
    );
    out.set(e.type, { successes, trials, qualitySum });
  });
  return out;
}

function checkLearningRate(value: unknown): LearningRateState {
  const v = value as LearningRateState;
  if (!v || typeof v !== 'object')
    throw new SonaError('INVALID_STATE', 'learningRate missing', { path: 'learningRate' });
  return {
    rate: assertInRange(v.rate, 'learningRate.rate', 0, 1),
    velocity: assertInRange(v.velocity, 'learningRate.velocity', -1, 1),
  };
}

function checkCurrent(value: unknown): {
  attempts: number;
  successes: number;
  confidence: number;
  quality: number;
} {
  const v = value as { attempts: number; successes: number; confidence: number; quality: number };
  if (!v || typeof v !== 'object')
    throw new SonaError('INVALID_STATE', 'current missing', { path: 'current' });
  const attempts = assertInteger(v.attempts, 'current.attempts', 0);
  return {
    attempts,
    successes: assertInteger(v.successes, 'current.successes', 0, attempts),
    confidence: assertInRange(v.confidence, 'current.confidence', 0, attempts),
    quality: assertInRange(v.quality, 'current.quality', 0, attempts),
  };
}

/**
 * Learners for tests only (not exported by the package): one that peeks at the hidden truth,
 * to check that the harness scores a perfect policy as the oracle, and a simple per-type
 * bandit that learns something, to check that curves and gains move.
 */
import type { Task, Trajectory } from '@sona/core';
import type {
  ChooseOptions,
  EpochSummary,
  Learner,
  LearnerFactory,
  LearnerFactoryArgs,
  Outcome,
} from '../learner';
import type { ModelWorld } from '../simulated/world';

abstract class CountingLearner implements Learner {
  protected readonly args: LearnerFactoryArgs;
  protected epoch = 0;
  #attempts = 0;
  #successes = 0;
  #confidence = 0;
  #difficulty = 0;

  constructor(args: LearnerFactoryArgs) {
    this.args = args;
  }

  abstract choose(
    task: Task,
    options?: ChooseOptions,
  ): { arm: string; confidence: number; scores: Float32Array };

  protected learn(_task: Task, _arm: number, _outcome: Outcome): void {}

  record(task: Task, arm: string, outcome: Outcome): Trajectory {
    const confidence = this.choose(task, { explore: false }).scores[this.args.arms.indexOf(arm)]!;
    this.learn(task, this.args.arms.indexOf(arm), outcome);
    this.#attempts++;
    if (outcome.success) this.#successes++;
    this.#confidence += confidence;
    this.#difficulty += task.difficulty ?? 0;
    return {
      taskId: task.id,
      type: task.type,
      ...(task.difficulty === undefined ? {} : { difficulty: task.difficulty }),
      embedding: task.embedding,
      arm,
      success: outcome.success,
      quality: outcome.quality ?? (outcome.success ? 1 : 0),
      confidence,
      tdError: (outcome.success ? 1 : 0) - confidence,
      epoch: this.epoch + 1,
    };
  }

  pickTask(candidates: readonly Task[]): Task {
    return this.args.rng.pick(candidates);
  }

  endEpoch(): EpochSummary {
    this.epoch++;
    const n = Math.max(1, this.#attempts);
    const summary = {
      epoch: this.epoch,
      successRate: this.#successes / n,
      meanConfidence: this.#confidence / n,
      patterns: 0,
      learningRate: 0,
      temperature: 0,
      difficulty: this.#difficulty / n,
      attempts: this.#attempts,
    };
    this.#attempts = 0;
    this.#successes = 0;
    this.#confidence = 0;
    this.#difficulty = 0;
    return summary;
  }

  stats(): Record<string, unknown> {
    return { epochs: this.epoch, name: this.constructor.name };
  }

  state(): unknown {
    return { epoch: this.epoch };
  }
}

/** Chooses the arm with the highest hidden success probability; its confidence is that probability. */
export class PeekingLearner extends CountingLearner {
  readonly #model: ModelWorld;
  readonly #index: Map<string, number>;

  constructor(args: LearnerFactoryArgs, model: ModelWorld) {
    super(args);
    this.#model = model;
    this.#index = new Map(model.world.taskIds.map((id, i) => [id, i]));
  }

  choose(task: Task) {
    const i = this.#index.get(task.id)!;
    const scores = Float32Array.from(this.args.arms, (_, a) =>
      this.#model.successProbability(i, a),
    );
    const best = this.#model.oracle(i);
    return { arm: this.args.arms[best.arm]!, confidence: best.rate, scores };
  }
}

export function peekingFactory(model: ModelWorld): LearnerFactory {
  return (args) => new PeekingLearner(args, model);
}

/**
 * Per task type, each arm's observed success rate (Laplace-smoothed); ε-greedy while training,
 * greedy when evaluating. Learns the type-level best arm, not the cluster-level one.
 */
export class PerTypeBandit extends CountingLearner {
  readonly #successes = new Map<string, Float64Array>();
  readonly #attempts = new Map<string, Float64Array>();

  #table(map: Map<string, Float64Array>, type: string): Float64Array {
    let t = map.get(type);
    if (t === undefined) {
      t = new Float64Array(this.args.arms.length);
      map.set(type, t);
    }
    return t;
  }

  choose(task: Task, options: ChooseOptions = {}) {
    const s = this.#table(this.#successes, task.type);
    const n = this.#table(this.#attempts, task.type);
    const scores = Float32Array.from(n, (count, a) => (s[a]! + 1) / (count + 2));
    const offered = this.args.arms
      .map((arm, a) => (options.arms === undefined || options.arms.includes(arm) ? a : -1))
      .filter((a) => a >= 0);
    let best = offered[0]!;
    for (const a of offered) if (scores[a]! > scores[best]!) best = a;
    if (options.explore !== false && this.args.rng.uniform() < 0.2) {
      best = offered[this.args.rng.int(offered.length)]!;
    }
    return { arm: this.args.arms[best]!, confidence: scores[best]!, scores };
  }

  protected override learn(task: Task, arm: number, outcome: Outcome): void {
    this.#table(this.#attempts, task.type)[arm]! += 1;
    if (outcome.success) this.#table(this.#successes, task.type)[arm]! += 1;
  }

  override state(): unknown {
    const tables: Record<string, number[]> = {};
    for (const [type, n] of this.#attempts) tables[type] = Array.from(n);
    return { epoch: this.epoch, attempts: tables };
  }
}

export const perTypeBandit: LearnerFactory = (args) => new PerTypeBandit(args);

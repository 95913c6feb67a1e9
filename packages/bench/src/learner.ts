import type { Arm, Rng, Version } from '@sona/core';

// The learner seam is one definition in @sona/core; the benchmark adds only how it builds one.
export type {
  Choice,
  ChooseOptions,
  EpochSummary,
  Learner,
  Outcome,
} from '@sona/core';

export interface LearnerFactoryArgs {
  readonly version: Version;
  /** Embedding dimension of the tasks. */
  readonly dim: number;
  readonly arms: readonly Arm[];
  /** Model size in billions of (activated) parameters; the LoRA rank follows from it. */
  readonly modelParamsB: number;
  /** The learner's own stream (a fork per model and fold). */
  readonly rng: Rng;
  /** Training epochs the run is planned for (schedules such as temperature depend on it). */
  readonly epochs: number;
  /** Components switched off or changed, by key (see `ABLATIONS`). */
  readonly overrides?: Readonly<Record<string, unknown>>;
}

export type LearnerFactory = (args: LearnerFactoryArgs) => import('@sona/core').Learner;

/** A dense vector. Float32 end to end: no `number[]` on hot paths. */
export type Embedding = Float32Array;

/**
 * The four well-known coding task types of the SPEC and the simulated world. A task's type is
 * any label (a repository, a category); these are only the defaults.
 */
export const TASK_TYPES = ['code_completion', 'bug_fix', 'refactor', 'test_gen'] as const;
export type KnownTaskType = (typeof TASK_TYPES)[number];

/** A task's label: any non-empty string of at most `MAX_TASK_TYPE_LENGTH` UTF-16 code units. */
export type TaskType = string;

/** Longest task type label accepted (a repository path or a category name fits easily). */
export const MAX_TASK_TYPE_LENGTH = 256;

/** Share of each task type in a generated task set (SPEC: 25 / 35 / 20 / 20 %). */
export const TASK_TYPE_MIX: Readonly<Record<KnownTaskType, number>> = {
  code_completion: 0.25,
  bug_fix: 0.35,
  refactor: 0.2,
  test_gen: 0.2,
};

export const BUCKETS = ['easy', 'medium', 'hard'] as const;
export type Bucket = (typeof BUCKETS)[number];

/** Share of each difficulty bucket in a generated task set (SPEC: 30 / 50 / 20 %). */
export const BUCKET_MIX: Readonly<Record<Bucket, number>> = { easy: 0.3, medium: 0.5, hard: 0.2 };

export const VERSIONS = ['v1', 'v2', 'v3'] as const;
export type Version = (typeof VERSIONS)[number];

export interface Task {
  readonly id: string;
  /** Any label: one of `TASK_TYPES`, a repository, a category. */
  readonly type: TaskType;
  /** 0 (trivial) to 1 (hardest), when known; real logs rarely have it. */
  readonly difficulty?: number;
  /** The difficulty bucket, when known (curriculum falls back to uniform without it). */
  readonly bucket?: Bucket;
  readonly embedding: Embedding;
}

/**
 * One discrete choice the agent makes per attempt (a prompt strategy, an
 * exemplar set, a model route), named by a stable id.
 */
export type Arm = string;

/** One attempt at a task and what came of it. */
export interface Trajectory {
  readonly taskId: string;
  readonly type: TaskType;
  /** The task's difficulty, when it had one. */
  readonly difficulty?: number;
  /** The task embedding after the adapter (what patterns are built from). */
  readonly embedding: Embedding;
  readonly arm: Arm;
  readonly success: boolean;
  /** 0..1. */
  readonly quality: number;
  /** Predicted probability of success when the arm was chosen. */
  readonly confidence: number;
  /** Outcome minus prediction: (success ? 1 : 0) - confidence. */
  readonly tdError: number;
  /** The training epoch the attempt belongs to, counted from 1 (as `EpochSummary.epoch`). */
  readonly epoch: number;
}

/** A usable task type label: a non-empty string of at most `MAX_TASK_TYPE_LENGTH` code units. */
export function isTaskType(value: unknown): value is TaskType {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_TASK_TYPE_LENGTH;
}

/** One of the four well-known coding task types. */
export function isKnownTaskType(value: unknown): value is KnownTaskType {
  return typeof value === 'string' && (TASK_TYPES as readonly string[]).includes(value);
}

export function isVersion(value: unknown): value is Version {
  return typeof value === 'string' && (VERSIONS as readonly string[]).includes(value);
}

import type { TaskType, Version } from '@sona/core';
import type { JsonValue, PlainData } from './plain-data';

/**
 * The checkpoint file format this library writes. Format 1 (multi-head adapters with exactly
 * the four `TASK_TYPES` heads, in that order) is still read; format 2 names any heads and says
 * their order in `multiHeadLoRA.headOrder`.
 */
export const CHECKPOINT_FORMAT_VERSION = 2;

/** Every format version this library reads. */
export const READABLE_FORMAT_VERSIONS: readonly number[] = [1, 2];

/** Counts and mean quality over a set of trajectories. */
export interface TrajectoryCounts {
  readonly total: number;
  readonly successes: number;
  /** Mean quality in [0, 1]; 0 when `total` is 0. */
  readonly meanQuality: number;
}

/**
 * Over every trajectory the run recorded; `byType` splits the same trajectories by task type
 * label (format 1: exactly the four `TASK_TYPES`).
 */
export interface TrajectoryStats extends TrajectoryCounts {
  readonly byType: Readonly<Record<TaskType, TrajectoryCounts>>;
}

/** One row of `improvementHistory`: the metrics of one epoch, any further metrics as numbers. */
export interface EpochMetrics {
  readonly epoch: number;
  /** Share of successful attempts in the epoch, in [0, 1]. */
  readonly successRate: number;
  /** Mean quality of the epoch's attempts, in [0, 1]. */
  readonly meanQuality: number;
  readonly [metric: string]: number;
}

export interface CheckpointModel {
  readonly name: string;
  /** Parameter count in billions (the SPEC's model profiles), or null when unknown. */
  readonly sizeBillions: number | null;
}

/** The run's configuration: the SONA version (v1/v2/v3), the seed, and any further settings. */
export interface CheckpointConfig {
  readonly sonaVersion: Version;
  readonly seed: number;
  readonly [setting: string]: JsonValue;
}

// ---- the file (JSON) form, `…File`: tensors are base64 strings (encodeFloat32 of @sona/core) ----

/** MicroLoRA `y = x + (α/r)·B(A x)`: `A` is rank × dim, `B` is dim × rank, both row-major. */
export interface LoraAdapterFile {
  readonly dim: number;
  readonly rank: number;
  readonly alpha: number;
  readonly A: string;
  readonly B: string;
}

export interface MultiHeadLoraFile {
  readonly shared: LoraAdapterFile;
  /** One head per task type label (1..64 heads); every head has the shared adapter's `dim`. */
  readonly heads: Readonly<Record<TaskType, LoraAdapterFile>>;
  /**
   * Format 2: the head names in parameter order (each key of `heads` once). Format 1 has no
   * such field: its heads are the four `TASK_TYPES`, in that order.
   */
  readonly headOrder?: readonly TaskType[];
}

/**
 * EWC++ state. `fisher` and `anchor` follow the flat parameter vector of the adapters (see
 * `adapterParameterCount`): `loraWeights`, then `multiHeadLoRA` (shared, then the heads in
 * `headOrderOf` order); within each adapter A (rank × dim) then Bᵀ (rank × dim), both row-major,
 * which is the order of `parameters()` in `@sona/lora`.
 */
export interface EwcFile {
  readonly lambda: number;
  readonly fisher: string;
  readonly anchor: string;
}

/** `count` centroids of `dim` values each, row-major. */
export interface PatternCentroidsFile {
  readonly count: number;
  readonly dim: number;
  readonly data: string;
}

export interface CheckpointSignature {
  readonly algorithm: 'Ed25519';
  /** First 16 hex characters of SHA-256 of the raw 32-byte Ed25519 public key. */
  readonly keyId: string;
  /** Base64 of the 64-byte signature of `signedMessage(keyId, stateHash)`. */
  readonly value: string;
}

/** A checkpoint exactly as stored in its file. */
export interface Checkpoint {
  /** 2 for files this library writes; 1 for older files it still reads. */
  readonly version: 1 | typeof CHECKPOINT_FORMAT_VERSION;
  readonly model: CheckpointModel;
  readonly config: CheckpointConfig;
  readonly loraWeights: LoraAdapterFile | null;
  readonly multiHeadLoRA: MultiHeadLoraFile | null;
  readonly trajectoryStats: TrajectoryStats;
  readonly ewcState: EwcFile | null;
  readonly patternCentroids: PatternCentroidsFile;
  /** `patternCentroids.count` qualities in [0, 1], base64 float32. */
  readonly patternQualities: string;
  readonly improvementHistory: readonly EpochMetrics[];
  /** The engine's exact-resume state, `encodePlainData` of its `state()`; null when absent. */
  readonly engine: JsonValue | null;
  /** SHA-256 (hex) of the RFC 8785 canonical JSON of every other field except `signature`. */
  readonly stateHash: string;
  readonly signature?: CheckpointSignature;
}

// ---- the decoded form, `…Record`: tensors are Float32Arrays ----

export interface LoraAdapterRecord {
  readonly dim: number;
  readonly rank: number;
  readonly alpha: number;
  readonly A: Float32Array;
  readonly B: Float32Array;
}

export interface MultiHeadLoraRecord {
  readonly shared: LoraAdapterRecord;
  readonly heads: Readonly<Record<TaskType, LoraAdapterRecord>>;
  /** The head names in parameter order, each key of `heads` once. */
  readonly headOrder: readonly TaskType[];
}

export interface EwcRecord {
  readonly lambda: number;
  readonly fisher: Float32Array;
  readonly anchor: Float32Array;
}

export interface PatternCentroidsRecord {
  readonly count: number;
  readonly dim: number;
  readonly data: Float32Array;
}

/** What `createCheckpoint` takes and `checkpointRecord` gives back. */
export interface CheckpointRecord {
  readonly model: CheckpointModel;
  readonly config: CheckpointConfig;
  readonly loraWeights: LoraAdapterRecord | null;
  readonly multiHeadLoRA: MultiHeadLoraRecord | null;
  readonly trajectoryStats: TrajectoryStats;
  readonly ewcState: EwcRecord | null;
  readonly patternCentroids: PatternCentroidsRecord;
  readonly patternQualities: Float32Array;
  readonly improvementHistory: readonly EpochMetrics[];
  /** The engine's `state()`: plain data with Float32Array tensors, or null. */
  readonly engine?: PlainData | null;
}

/** Every field of a checkpoint, in the order saved files have them: the SPEC's, then the rest. */
export const CHECKPOINT_FIELDS: readonly (keyof Checkpoint)[] = [
  'version',
  'model',
  'config',
  'loraWeights',
  'multiHeadLoRA',
  'trajectoryStats',
  'ewcState',
  'patternCentroids',
  'patternQualities',
  'improvementHistory',
  'engine',
  'stateHash',
  'signature',
];

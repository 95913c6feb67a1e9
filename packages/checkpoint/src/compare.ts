import { decodeFloat32 } from '@sona/core';
import { requireValid } from './checkpoint';
import { canonicalJson } from './hash';
import { appendPath } from './path';
import type { JsonValue } from './plain-data';
import type { Checkpoint, LoraAdapterFile } from './types';
import { headOrderOf } from './validate';

export interface FieldChange {
  /** Document path of the setting, for example `config.seed` or `model.name`. */
  readonly path: string;
  readonly kind: 'added' | 'removed' | 'changed';
  /** Value in the first checkpoint (null when added). */
  readonly before: JsonValue | null;
  /** Value in the second checkpoint (null when removed). */
  readonly after: JsonValue | null;
}

export interface MetricDelta {
  readonly a: number | null;
  readonly b: number | null;
  /** `b − a`, or null when either side lacks the metric. */
  readonly delta: number | null;
}

export interface EpochComparison {
  readonly epoch: number;
  readonly metrics: Readonly<Record<string, MetricDelta>>;
}

export interface TensorComparison {
  /** Document path of the tensor, for example `loraWeights.A`. */
  readonly tensor: string;
  readonly shapeA: readonly number[] | null;
  readonly shapeB: readonly number[] | null;
  /** Euclidean distance `‖b − a‖₂` (accumulated in float64), null unless the shapes agree. */
  readonly l2: number | null;
}

export interface CountChange {
  readonly a: number;
  readonly b: number;
  readonly change: number;
}

export interface CheckpointComparison {
  readonly stateHashA: string;
  readonly stateHashB: string;
  /** Same stateHash: the content is the same. */
  readonly identical: boolean;
  /** Differences in `model` and `config`, sorted by path. */
  readonly configChanges: readonly FieldChange[];
  /** One row per epoch in either history, ascending, with every metric of either side. */
  readonly epochs: readonly EpochComparison[];
  readonly tensors: readonly TensorComparison[];
  readonly patterns: CountChange;
  readonly trajectories: CountChange;
}

function flatten(value: JsonValue, path: string, out: Map<string, JsonValue>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, JsonValue>;
    const keys = Object.keys(record);
    if (keys.length === 0) out.set(path, value);
    for (const key of keys) flatten(record[key]!, appendPath(path, key), out);
  } else {
    out.set(path, value);
  }
}

function fieldChanges(a: Checkpoint, b: Checkpoint): FieldChange[] {
  const left = new Map<string, JsonValue>();
  const right = new Map<string, JsonValue>();
  flatten({ model: a.model, config: a.config } as unknown as JsonValue, '', left);
  flatten({ model: b.model, config: b.config } as unknown as JsonValue, '', right);
  const paths = [...new Set([...left.keys(), ...right.keys()])].sort();
  const changes: FieldChange[] = [];
  for (const path of paths) {
    const before = left.get(path);
    const after = right.get(path);
    if (before === undefined) changes.push({ path, kind: 'added', before: null, after: after! });
    else if (after === undefined) changes.push({ path, kind: 'removed', before, after: null });
    else if (canonicalJson(before) !== canonicalJson(after)) {
      changes.push({ path, kind: 'changed', before, after });
    }
  }
  return changes;
}

function epochComparisons(a: Checkpoint, b: Checkpoint): EpochComparison[] {
  const byEpoch = (checkpoint: Checkpoint) =>
    new Map(checkpoint.improvementHistory.map((row) => [row.epoch, row]));
  const left = byEpoch(a);
  const right = byEpoch(b);
  const epochs = [...new Set([...left.keys(), ...right.keys()])].sort((x, y) => x - y);
  return epochs.map((epoch) => {
    const rowA = left.get(epoch);
    const rowB = right.get(epoch);
    const names = [...new Set([...Object.keys(rowA ?? {}), ...Object.keys(rowB ?? {})])]
      .filter((name) => name !== 'epoch')
      .sort();
    const metrics: Record<string, MetricDelta> = {};
    for (const name of names) {
      const valueA = rowA?.[name] ?? null;
      const valueB = rowB?.[name] ?? null;
      metrics[name] = {
        a: valueA,
        b: valueB,
        delta: valueA === null || valueB === null ? null : valueB - valueA,
      };
    }
    return { epoch, metrics };
  });
}

interface NamedTensor {
  readonly shape: readonly number[];
  readonly data: string;
}

function tensorsOf(checkpoint: Checkpoint): Map<string, NamedTensor> {
  const tensors = new Map<string, NamedTensor>();
  const adapter = (path: string, lora: LoraAdapterFile) => {
    tensors.set(`${path}.A`, { shape: [lora.rank, lora.dim], data: lora.A });
    tensors.set(`${path}.B`, { shape: [lora.dim, lora.rank], data: lora.B });
  };
  if (checkpoint.loraWeights !== null) adapter('loraWeights', checkpoint.loraWeights);
  const multi = checkpoint.multiHeadLoRA;
  if (multi !== null) {
    adapter('multiHeadLoRA.shared', multi.shared);
    for (const type of headOrderOf(checkpoint)) {
      adapter(appendPath('multiHeadLoRA.heads', type), multi.heads[type]!);
    }
  }
  const ewc = checkpoint.ewcState;
  if (ewc !== null) {
    const length = decodeFloat32(ewc.fisher).length;
    tensors.set('ewcState.fisher', { shape: [length], data: ewc.fisher });
    tensors.set('ewcState.anchor', { shape: [length], data: ewc.anchor });
  }
  const { count, dim, data } = checkpoint.patternCentroids;
  tensors.set('patternCentroids.data', { shape: [count, dim], data });
  tensors.set('patternQualities', { shape: [count], data: checkpoint.patternQualities });
  return tensors;
}

function l2Distance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = b[i]! - a[i]!;
    sum += d * d;
  }
  return Math.sqrt(sum);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

function tensorComparisons(a: Checkpoint, b: Checkpoint): TensorComparison[] {
  const left = tensorsOf(a);
  const right = tensorsOf(b);
  const names = [...left.keys(), ...[...right.keys()].filter((name) => !left.has(name))];
  return names.map((tensor) => {
    const x = left.get(tensor);
    const y = right.get(tensor);
    const comparable = x !== undefined && y !== undefined && sameShape(x.shape, y.shape);
    return {
      tensor,
      shapeA: x?.shape ?? null,
      shapeB: y?.shape ?? null,
      l2: comparable ? l2Distance(decodeFloat32(x.data), decodeFloat32(y.data)) : null,
    };
  });
}

function requireValidNamed(checkpoint: Checkpoint, which: string): Checkpoint {
  try {
    return requireValid(checkpoint);
  } catch (error) {
    if (error instanceof Error) error.message = `checkpoint ${which}: ${error.message}`;
    throw error;
  }
}

/**
 * What changed from checkpoint `a` to checkpoint `b`: settings, per-epoch metrics, the L2
 * distance of every weight tensor, the pattern and trajectory counts. Both must be valid.
 */
export function compareCheckpoints(a: Checkpoint, b: Checkpoint): CheckpointComparison {
  a = requireValidNamed(a, 'a');
  b = requireValidNamed(b, 'b');
  const count = (x: number, y: number): CountChange => ({ a: x, b: y, change: y - x });
  return {
    stateHashA: a.stateHash,
    stateHashB: b.stateHash,
    identical: a.stateHash === b.stateHash,
    configChanges: fieldChanges(a, b),
    epochs: epochComparisons(a, b),
    tensors: tensorComparisons(a, b),
    patterns: count(a.patternCentroids.count, b.patternCentroids.count),
    trajectories: count(a.trajectoryStats.total, b.trajectoryStats.total),
  };
}

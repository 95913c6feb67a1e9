import type {
  CheckpointRecord,
  EpochMetrics,
  LoraAdapterRecord,
  PlainData,
  TrajectoryCounts,
} from '@sona/checkpoint';
import type { TaskType } from '@sona/core';
import type { EngineState } from './state';

/** What a checkpoint records about the run that the engine does not know itself. */
export interface CheckpointContext {
  readonly model: { readonly name: string; readonly sizeBillions: number | null };
  readonly seed: number;
}

/**
 * One adapter block of a flat `@sona/lora` weight vector (A rank × dim, then Bᵀ rank × dim)
 * in the checkpoint's layout (A rank × dim, B dim × rank, both row-major).
 */
function adapterBlock(
  weights: Float32Array,
  offset: number,
  dim: number,
  rank: number,
  alpha: number,
): LoraAdapterRecord {
  const A = weights.slice(offset, offset + rank * dim);
  const B = new Float32Array(dim * rank);
  const bT = offset + rank * dim;
  for (let r = 0; r < rank; r++) {
    for (let i = 0; i < dim; i++) B[i * rank + r] = weights[bT + r * dim + i]!;
  }
  return { dim, rank, alpha, A, B };
}

/** Per pattern: the mean quality of the recorded outcomes, weighted by their membership. */
export function patternQualities(state: EngineState): number[] {
  const k = state.patterns.counts.length;
  const weight = new Float64Array(k);
  const sum = new Float64Array(k);
  for (const r of state.experience) {
    r.patterns.forEach((id, j) => {
      if (id >= k) return;
      weight[id] = weight[id]! + r.weights[j]!;
      sum[id] = sum[id]! + r.weights[j]! * r.quality;
    });
  }
  return Array.from(weight, (w, p) => (w > 0 ? Math.min(1, Math.max(0, sum[p]! / w)) : 0));
}

/**
 * The checkpoint content of an engine state: the SPEC's fields (adapter weights, EWC++ state,
 * pattern centroids and qualities, trajectory statistics, improvement history), all derived
 * from the state, and the state itself in `engine` for an exact resume.
 */
export function checkpointFromEngineState(
  state: EngineState,
  context: CheckpointContext,
): CheckpointRecord {
  const { dim, rank } = state;
  const adapter = state.adapter;
  const block = 2 * rank * dim;
  let loraWeights: LoraAdapterRecord | null = null;
  let multiHeadLoRA: CheckpointRecord['multiHeadLoRA'] = null;
  if (adapter.kind === 'multi-head-lora') {
    const heads: Record<TaskType, LoraAdapterRecord> = {};
    adapter.types.forEach((type, h) => {
      heads[type] = adapterBlock(adapter.weights, (h + 1) * block, dim, rank, adapter.alpha);
    });
    multiHeadLoRA = {
      shared: adapterBlock(adapter.weights, 0, dim, rank, adapter.alpha),
      heads,
      headOrder: [...adapter.types],
    };
  } else {
    loraWeights = adapterBlock(adapter.weights, 0, dim, rank, adapter.alpha);
  }

  const byType: Record<TaskType, TrajectoryCounts> = {};
  let total = 0;
  let wins = 0;
  let quality = 0;
  for (const { type, successes, trials, qualitySum } of state.typeStats) {
    const n = trials.reduce((a, b) => a + b, 0);
    const s = successes.reduce((a, b) => a + b, 0);
    byType[type] = { total: n, successes: s, meanQuality: n === 0 ? 0 : qualitySum / n };
    total += n;
    wins += s;
    quality += qualitySum;
  }

  const count = state.patterns.counts.length;
  const improvementHistory: EpochMetrics[] = state.history.map((h) => ({ ...h }));
  const { version: sonaVersion, ...settings } = state.config;
  return {
    model: context.model,
    config: {
      sonaVersion,
      seed: context.seed,
      ...settings,
      temperature: { ...settings.temperature },
      modes: JSON.parse(JSON.stringify(settings.modes)),
      dim,
      arms: [...state.arms],
      rank,
      epochs: state.epochs,
    },
    loraWeights,
    multiHeadLoRA,
    trajectoryStats: {
      total,
      successes: wins,
      meanQuality: total === 0 ? 0 : quality / total,
      byType,
    },
    ewcState:
      state.ewc === null
        ? null
        : { lambda: state.ewc.lambda, fisher: state.ewc.fisher, anchor: state.ewc.anchor },
    patternCentroids: { count, dim, data: state.patterns.centroids.slice(0, count * dim) },
    patternQualities: Float32Array.from(patternQualities(state)),
    improvementHistory,
    engine: state as unknown as PlainData,
  };
}

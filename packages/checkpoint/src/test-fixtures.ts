/**
 * Valid checkpoint states for tests and benchmarks: fast-check arbitraries built from small
 * pieces, and a seeded builder for large states. Not exported from the package.
 */
import { createRng, type Rng, TASK_TYPES, type TaskType, VERSIONS } from '@sona/core';
import fc from 'fast-check';
import type { PlainData } from './plain-data';
import type {
  CheckpointRecord,
  EpochMetrics,
  LoraAdapterRecord,
  MultiHeadLoraRecord,
  TrajectoryCounts,
  TrajectoryStats,
} from './types';

const float32 = (length: number) =>
  fc.float32Array({ minLength: length, maxLength: length, noNaN: true, noDefaultInfinity: true });

const unitFloat32 = (length: number) =>
  fc.float32Array({ minLength: length, maxLength: length, min: 0, max: 1, noNaN: true });

const quality = fc.double({ min: 0, max: 1, noNaN: true });

export const adapterArbitrary = (dim: number): fc.Arbitrary<LoraAdapterRecord> =>
  fc.integer({ min: 1, max: 3 }).chain((rank) =>
    fc.record({
      dim: fc.constant(dim),
      rank: fc.constant(rank),
      alpha: fc.double({ min: 0.5, max: 16, noNaN: true }),
      A: float32(rank * dim),
      B: float32(dim * rank),
    }),
  );

const countsArbitrary: fc.Arbitrary<TrajectoryCounts> = fc.nat({ max: 500 }).chain((total) =>
  fc.record({
    total: fc.constant(total),
    successes: fc.nat({ max: total }),
    meanQuality: quality,
  }),
);

/** Task type labels: the four well-known ones and open labels (repositories, categories). */
export const typeLabelArbitrary: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...TASK_TYPES, 'django/django', 'astropy/astropy', 'other'),
  fc
    .string({ minLength: 1, maxLength: 10, unit: 'grapheme' })
    .filter((key) => !['__proto__', 'constructor', 'prototype'].includes(key)),
);

const typeLabelsArbitrary = (maxLength: number) =>
  fc.uniqueArray(typeLabelArbitrary, { minLength: 1, maxLength });

export const trajectoryStatsArbitrary: fc.Arbitrary<TrajectoryStats> = fc
  .tuple(
    typeLabelsArbitrary(6).chain((types) =>
      fc.tuple(fc.constant(types), fc.tuple(...types.map(() => countsArbitrary))),
    ),
    quality,
  )
  .map(([[types, perType], meanQuality]) => ({
    total: perType.reduce((sum, counts) => sum + counts.total, 0),
    successes: perType.reduce((sum, counts) => sum + counts.successes, 0),
    meanQuality,
    byType: Object.fromEntries(types.map((type, i) => [type, perType[i]!])),
  }));

const historyArbitrary: fc.Arbitrary<EpochMetrics[]> = fc
  .array(
    fc.record({
      successRate: quality,
      meanQuality: quality,
      temperature: fc.double({ min: 0.1, max: 1, noNaN: true }),
    }),
    { maxLength: 5 },
  )
  .map((rows) => rows.map((row, epoch) => ({ epoch, ...row })));

const safeKey = fc
  .string({ minLength: 1, maxLength: 8 })
  .filter(
    (key) => !key.startsWith('$') && !['__proto__', 'constructor', 'prototype'].includes(key),
  );

/** Plain data as a component's state() returns it: JSON values and Float32Array tensors. */
export const plainDataArbitrary: fc.Arbitrary<PlainData> = fc.letrec<{ value: PlainData }>(
  (tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom<PlainData>(null, true, false, -0, 0),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.string({ maxLength: 12, unit: 'grapheme' }),
      fc.float32Array({ maxLength: 6 }).map((t) => t.map((x) => (Number.isFinite(x) ? x : 0))),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(safeKey, tie('value'), { maxKeys: 4 }),
    ),
  }),
).value;

export const checkpointRecordArbitrary: fc.Arbitrary<CheckpointRecord> = fc
  .record({
    dim: fc.integer({ min: 1, max: 6 }),
    patternCount: fc.nat({ max: 4 }),
    withLora: fc.boolean(),
    withMultiHead: fc.boolean(),
    withEwc: fc.boolean(),
  })
  .chain(({ dim, patternCount, withLora, withMultiHead, withEwc }) =>
    fc
      .record({
        model: fc.record({
          name: fc.constantFrom('Qwen2.5-Coder-7B', 'DeepSeek-Coder-1.3B', 'Phi-3-mini-4k'),
          sizeBillions: fc.option(fc.constantFrom(7, 1.3, 3.8), { nil: null }),
        }),
        config: fc.record({
          sonaVersion: fc.constantFrom(...VERSIONS),
          seed: fc.nat(),
          epochs: fc.integer({ min: 1, max: 12 }),
          learningRate: fc.double({ min: 1e-4, max: 3e-3, noNaN: true }),
        }),
        loraWeights: withLora ? adapterArbitrary(dim) : fc.constant(null),
        multiHeadLoRA: withMultiHead
          ? typeLabelsArbitrary(5).chain((headOrder) =>
              fc.record({
                shared: adapterArbitrary(dim),
                heads: fc
                  .tuple(...headOrder.map(() => adapterArbitrary(dim)))
                  .map((adapters) =>
                    Object.fromEntries(headOrder.map((type, i) => [type, adapters[i]!])),
                  ),
                headOrder: fc.constant(headOrder),
              }),
            )
          : fc.constant(null),
        trajectoryStats: trajectoryStatsArbitrary,
        lambda: fc.constantFrom(1000, 500, 400),
        centroids: float32(patternCount * dim),
        patternQualities: unitFloat32(patternCount),
        improvementHistory: historyArbitrary,
        engine: fc.option(plainDataArbitrary, { nil: null }),
      })
      .chain((parts) => {
        const parameters = parameterCount(parts.loraWeights, parts.multiHeadLoRA);
        const ewc = withEwc
          ? fc.record({
              lambda: fc.constant(parts.lambda),
              fisher: fc.float32Array({
                minLength: parameters,
                maxLength: parameters,
                min: 0,
                noNaN: true,
                noDefaultInfinity: true,
              }),
              anchor: float32(parameters),
            })
          : fc.constant(null);
        return ewc.map(
          (ewcState): CheckpointRecord => ({
            model: parts.model,
            config: parts.config,
            loraWeights: parts.loraWeights,
            multiHeadLoRA: parts.multiHeadLoRA,
            trajectoryStats: parts.trajectoryStats,
            ewcState,
            patternCentroids: { count: patternCount, dim, data: parts.centroids },
            patternQualities: parts.patternQualities,
            improvementHistory: parts.improvementHistory,
            engine: parts.engine,
          }),
        );
      }),
  );

function parameterCount(lora: LoraAdapterRecord | null, multi: MultiHeadLoraRecord | null): number {
  const size = (adapter: LoraAdapterRecord) => 2 * adapter.dim * adapter.rank;
  let total = lora === null ? 0 : size(lora);
  if (multi !== null) {
    total += size(multi.shared);
    for (const type of multi.headOrder) total += size(multi.heads[type]!);
  }
  return total;
}

function normals(rng: Rng, length: number, scale: number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.normal(0, scale);
  return out;
}

function uniforms(rng: Rng, length: number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.uniform();
  return out;
}

/**
 * A v3-shaped state from a seed: multi-head LoRA, EWC, `patterns` centroids of `dim` values and
 * an engine state holding `replayItems` embeddings (the bulk of a real checkpoint's size).
 */
export function seededState(
  seed: number,
  { dim = 64, patterns = 20, replayItems = 100, epochs = 4 } = {},
): CheckpointRecord {
  const rng = createRng(seed);
  const adapter = (rank: number): LoraAdapterRecord => ({
    dim,
    rank,
    alpha: 8,
    A: normals(rng, rank * dim, 0.01),
    B: normals(rng, dim * rank, 0.01),
  });
  const shared = adapter(4);
  const heads = Object.fromEntries(TASK_TYPES.map((type) => [type, adapter(2)])) as Record<
    TaskType,
    LoraAdapterRecord
  >;
  const parameters = 2 * dim * 4 + TASK_TYPES.length * 2 * dim * 2;
  const byType = Object.fromEntries(
    TASK_TYPES.map((type) => [type, { total: 25, successes: 10, meanQuality: 0.5 }]),
  ) as Record<TaskType, TrajectoryCounts>;
  return {
    model: { name: 'Qwen2.5-Coder-7B', sizeBillions: 7 },
    config: { sonaVersion: 'v3', seed, epochs, tasksPerEpoch: 60 },
    loraWeights: null,
    multiHeadLoRA: { shared, heads, headOrder: [...TASK_TYPES] },
    trajectoryStats: { total: 100, successes: 40, meanQuality: 0.5, byType },
    ewcState: {
      lambda: 400,
      fisher: uniforms(rng, parameters),
      anchor: normals(rng, parameters, 0.01),
    },
    patternCentroids: { count: patterns, dim, data: normals(rng, patterns * dim, 1) },
    patternQualities: uniforms(rng, patterns),
    improvementHistory: Array.from({ length: epochs }, (_, epoch) => ({
      epoch,
      successRate: rng.uniform(),
      meanQuality: rng.uniform(),
      temperature: 1 - epoch * 0.1,
    })),
    engine: {
      rng: { key: [1, 2, 3, 4], generator: [5, 6, 7, 8] },
      replay: Array.from({ length: replayItems }, (_, i) => ({
        id: `task-${i}`,
        priority: rng.uniform(),
        embedding: normals(rng, dim, 1),
      })),
    },
  };
}

/** Equality down to the bit: Float32Arrays by their bytes, numbers with Object.is (so -0 ≠ 0). */
export function bitEqual(a: unknown, b: unknown): boolean {
  if (a instanceof Float32Array || b instanceof Float32Array) {
    if (!(a instanceof Float32Array && b instanceof Float32Array) || a.length !== b.length) {
      return false;
    }
    const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
    const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
    return x.every((word, i) => word === y[i]);
  }
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every(
    (key) =>
      Object.hasOwn(b, key) &&
      bitEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}

/**
 * JSON values without the keys checkpoints refuse as hostile (`__proto__`, `constructor`,
 * `prototype`), which `fc.jsonValue` can produce.
 */
export const cleanJsonValue = fc
  .jsonValue()
  .filter((value) => !/"(__proto__|constructor|prototype)"/.test(JSON.stringify(value)));

/** Object keys other than the refused ones. */
export const cleanKey = fc
  .string()
  .filter((key) => !['__proto__', 'constructor', 'prototype'].includes(key));

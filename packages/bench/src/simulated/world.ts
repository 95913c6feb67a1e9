import {
  type Arm,
  assertInteger,
  BUCKET_MIX,
  BUCKETS,
  type Bucket,
  type KnownTaskType,
  type Rng,
  SonaError,
  TASK_TYPE_MIX,
  TASK_TYPES,
  type Task,
} from '@sona/core';
import { largestRemainder } from '../stats/split';
import { bisectIncreasing, sigmoid, simpsonRule } from './calibrate';
import { SIMULATED_WORLD_PARAMETERS, type SimulatedWorldParameters } from './parameters';
import type { ModelProfile } from './profiles';

/** Number of strata (task type × difficulty bucket). */
export const STRATA = TASK_TYPES.length * BUCKETS.length;

/** The stratum index of a (type, bucket) pair: type-major. */
export function stratumIndex(type: KnownTaskType, bucket: Bucket): number {
  return TASK_TYPES.indexOf(type) * BUCKETS.length + BUCKETS.indexOf(bucket);
}

/** A task of the simulated world: every one has a well-known type, a difficulty and a bucket. */
export interface SimulatedTask extends Task {
  readonly type: KnownTaskType;
  readonly difficulty: number;
  readonly bucket: Bucket;
}

export interface SimulatedWorldOptions {
  /** The world's stream (the benchmark passes `root.fork('world')`). */
  readonly rng: Rng;
  /** Number of tasks in the pool. */
  readonly poolSize: number;
  readonly parameters?: SimulatedWorldParameters;
}

/**
 * The seeded world of the SPEC's simulated environment: latent clusters per task type, hidden
 * arm effects per cluster and a pool of tasks drawn around the clusters. The hidden truth
 * (which cluster a task belongs to, the effects) lives in private fields; learners only ever
 * see the `Task` objects from `materializeTasks()`.
 *
 * Clusters and effects depend only on the stream; the pool also on `poolSize`.
 */
export class SimulatedWorld {
  readonly parameters: SimulatedWorldParameters;
  readonly arms: readonly Arm[];
  readonly dim: number;
  readonly poolSize: number;
  readonly taskIds: readonly string[];
  readonly taskTypes: readonly KnownTaskType[];
  readonly taskBuckets: readonly Bucket[];
  /** Stratum (type × bucket) of each task, see `stratumIndex`. */
  readonly strata: Int32Array;
  readonly difficulties: Float64Array;
  /** poolSize × dim, row-major, each row of unit length. */
  readonly embeddings: Float32Array;

  readonly #clusterOfTask: Int32Array;
  /** clusters × arms, row-major: effect(c, a) on the logit scale. */
  readonly #effects: Float64Array;
  readonly #clusterCount: number;
  readonly #simpson: { readonly nodes: Float64Array; readonly weights: Float64Array };

  constructor(options: SimulatedWorldOptions) {
    const params = options.parameters ?? SIMULATED_WORLD_PARAMETERS;
    const poolSize = assertInteger(options.poolSize, 'poolSize', 1, 1_000_000);
    const { dim, clustersPerType } = params;
    this.parameters = params;
    this.arms = Object.freeze([...params.arms]);
    this.dim = dim;
    this.poolSize = poolSize;
    const armCount = this.arms.length;
    const clusterCount = TASK_TYPES.length * clustersPerType;
    this.#clusterCount = clusterCount;
    this.#simpson = simpsonRule(params.simpsonIntervals);

    // Cluster centres: normalise(typeWeight·u_type + clusterWeight·u_cluster).
    const centreRng = options.rng.fork('centres');
    const centres = new Float64Array(clusterCount * dim);
    for (let t = 0; t < TASK_TYPES.length; t++) {
      const typeDirection = randomUnitVector(centreRng, dim);
      for (let k = 0; k < clustersPerType; k++) {
        const own = randomUnitVector(centreRng, dim);
        const row = (t * clustersPerType + k) * dim;
        for (let i = 0; i < dim; i++) {
          centres[row + i] = params.typeWeight * typeDirection[i]! + params.clusterWeight * own[i]!;
        }
        normaliseInPlace(centres, row, dim);
      }
    }

    // Hidden effects: shared(a) + specific(c, a).
    const effectRng = options.rng.fork('effects');
    const shared = new Float64Array(armCount);
    for (let a = 0; a < armCount; a++) shared[a] = effectRng.normal(0, params.sharedEffectSd);
    const effects = new Float64Array(clusterCount * armCount);
    for (let c = 0; c < clusterCount; c++) {
      for (let a = 0; a < armCount; a++) {
        effects[c * armCount + a] = shared[a]! + effectRng.normal(0, params.clusterEffectSd);
      }
    }
    this.#effects = effects;

    // The pool: exact type × bucket quotas (largest remainder), cluster uniform within the
    // type, difficulty uniform within the bucket's range, embedding = normalise(centre + noise).
    const weights = new Float64Array(STRATA);
    for (let t = 0; t < TASK_TYPES.length; t++) {
      for (let b = 0; b < BUCKETS.length; b++) {
        weights[t * BUCKETS.length + b] = TASK_TYPE_MIX[TASK_TYPES[t]!] * BUCKET_MIX[BUCKETS[b]!];
      }
    }
    const quotas = largestRemainder(poolSize, weights);
    const taskRng = options.rng.fork('tasks');
    const genCluster = new Int32Array(poolSize);
    const genStratum = new Int32Array(poolSize);
    const genDifficulty = new Float64Array(poolSize);
    const genEmbedding = new Float32Array(poolSize * dim);
    const noiseSd = params.embeddingNoise / Math.sqrt(dim);
    const scratch = new Float64Array(dim);
    let n = 0;
    for (let s = 0; s < STRATA; s++) {
      const t = Math.floor(s / BUCKETS.length);
      const [lo, hi] = params.bucketRanges[BUCKETS[s % BUCKETS.length]!];
      for (let j = 0; j < quotas[s]!; j++, n++) {
        const cluster = t * clustersPerType + taskRng.int(clustersPerType);
        genCluster[n] = cluster;
        genStratum[n] = s;
        genDifficulty[n] = lo + (hi - lo) * taskRng.uniform();
        for (let i = 0; i < dim; i++) {
          scratch[i] = centres[cluster * dim + i]! + taskRng.normal(0, noiseSd);
        }
        normaliseInPlace(scratch, 0, dim);
        genEmbedding.set(scratch, n * dim);
      }
    }

    // Shuffle so that ids and positions say nothing about how the pool was generated.
    const order = new Int32Array(poolSize);
    for (let i = 0; i < poolSize; i++) order[i] = i;
    options.rng.fork('order').shuffle(order);
    this.#clusterOfTask = new Int32Array(poolSize);
    this.strata = new Int32Array(poolSize);
    this.difficulties = new Float64Array(poolSize);
    this.embeddings = new Float32Array(poolSize * dim);
    const ids: string[] = [];
    const types: KnownTaskType[] = [];
    const buckets: Bucket[] = [];
    const width = String(poolSize - 1).length;
    for (let i = 0; i < poolSize; i++) {
      const g = order[i]!;
      this.#clusterOfTask[i] = genCluster[g]!;
      this.strata[i] = genStratum[g]!;
      this.difficulties[i] = genDifficulty[g]!;
      this.embeddings.set(genEmbedding.subarray(g * dim, (g + 1) * dim), i * dim);
      ids.push(`task-${String(i).padStart(width, '0')}`);
      types.push(TASK_TYPES[Math.floor(genStratum[g]! / BUCKETS.length)]!);
      buckets.push(BUCKETS[genStratum[g]! % BUCKETS.length]!);
    }
    this.taskIds = Object.freeze(ids);
    this.taskTypes = Object.freeze(types);
    this.taskBuckets = Object.freeze(buckets);
  }

  /**
   * Fresh `Task` objects for one learner: frozen, with their own copy of the embeddings, so
   * nothing a learner does to them reaches another learner or the world.
   */
  materializeTasks(): SimulatedTask[] {
    const buffer = this.embeddings.slice();
    const tasks: SimulatedTask[] = [];
    for (let i = 0; i < this.poolSize; i++) {
      tasks.push(
        Object.freeze({
          id: this.taskIds[i]!,
          type: this.taskTypes[i]!,
          difficulty: this.difficulties[i]!,
          bucket: this.taskBuckets[i]!,
          embedding: buffer.subarray(i * this.dim, (i + 1) * this.dim),
        }),
      );
    }
    return tasks;
  }

  /**
   * Expected success rate of a uniformly random arm over the task distribution (type mix,
   * uniform cluster within type, bucket mix, uniform difficulty within the bucket), for a given
   * κ. Exact up to the Simpson rule's error (no sampling).
   */
  expectedRandomArmRate(kappa: number): number {
    const { clustersPerType, difficultySlope, bucketRanges } = this.parameters;
    const { nodes, weights } = this.#simpson;
    const armCount = this.arms.length;
    let total = 0;
    for (let t = 0; t < TASK_TYPES.length; t++) {
      let typeTotal = 0;
      for (let k = 0; k < clustersPerType; k++) {
        const c = t * clustersPerType + k;
        let clusterTotal = 0;
        for (const bucket of BUCKETS) {
          const [lo, hi] = bucketRanges[bucket];
          let integral = 0;
          for (let q = 0; q < nodes.length; q++) {
            const d = lo + (hi - lo) * nodes[q]!;
            let armMean = 0;
            for (let a = 0; a < armCount; a++) {
              armMean += sigmoid(kappa + this.#effects[c * armCount + a]! - difficultySlope * d);
            }
            integral += weights[q]! * (armMean / armCount);
          }
          clusterTotal += BUCKET_MIX[bucket] * integral;
        }
        typeTotal += clusterTotal / clustersPerType;
      }
      total += TASK_TYPE_MIX[TASK_TYPES[t]!] * typeTotal;
    }
    return total;
  }

  /** κ such that a uniformly random arm succeeds with `baseRate` over the task distribution. */
  calibrateKappa(baseRate: number): number {
    if (!(baseRate > 0 && baseRate < 1)) {
      throw new SonaError('OUT_OF_RANGE', `base rate must lie in (0, 1), got ${baseRate}`, {
        path: 'baseRate',
      });
    }
    const bound = this.parameters.kappaBound;
    return bisectIncreasing(
      (k) => this.expectedRandomArmRate(k),
      baseRate,
      -bound,
      bound,
      this.parameters.calibrationTolerance,
    ).x;
  }

  /** The world as one model meets it: κ calibrated to the profile's base rate. */
  forModel(profile: ModelProfile): ModelWorld {
    return new ModelWorld(this, profile, this.calibrateKappa(profile.baseRate), {
      clusterOfTask: this.#clusterOfTask,
      effects: this.#effects,
    });
  }

  /** Number of latent clusters (reported in the environment description). */
  get clusterCount(): number {
    return this.#clusterCount;
  }
}

interface HiddenTruth {
  readonly clusterOfTask: Int32Array;
  readonly effects: Float64Array;
}

/**
 * One model's view of the world: the hidden success probability of every (task, arm), exact
 * oracle and base rates, and attempts drawn from them. Held by the harness, never by a learner.
 */
export class ModelWorld {
  readonly world: SimulatedWorld;
  readonly profile: ModelProfile;
  readonly kappa: number;
  readonly #truth: HiddenTruth;
  readonly #armCount: number;
  readonly #slope: number;
  readonly #floor: number;

  constructor(world: SimulatedWorld, profile: ModelProfile, kappa: number, truth: HiddenTruth) {
    this.world = world;
    this.profile = profile;
    this.kappa = kappa;
    this.#truth = truth;
    this.#armCount = world.arms.length;
    this.#slope = world.parameters.difficultySlope;
    this.#floor = world.parameters.successQualityFloor;
  }

  /** p = σ(κ + effect(cluster, arm) − δ·difficulty). */
  successProbability(taskIndex: number, armIndex: number): number {
    const cluster = this.#truth.clusterOfTask[taskIndex]!;
    return sigmoid(
      this.kappa +
        this.#truth.effects[cluster * this.#armCount + armIndex]! -
        this.#slope * this.world.difficulties[taskIndex]!,
    );
  }

  /** Expected success of a uniformly random arm on one task. */
  randomArmRate(taskIndex: number): number {
    let sum = 0;
    for (let a = 0; a < this.#armCount; a++) sum += this.successProbability(taskIndex, a);
    return sum / this.#armCount;
  }

  /** The best arm for a task (ties to the lower index) and its success probability. */
  oracle(taskIndex: number): { arm: number; rate: number } {
    let best = 0;
    let bestRate = this.successProbability(taskIndex, 0);
    for (let a = 1; a < this.#armCount; a++) {
      const p = this.successProbability(taskIndex, a);
      if (p > bestRate) {
        best = a;
        bestRate = p;
      }
    }
    return { arm: best, rate: bestRate };
  }

  /**
   * One attempt: a single uniform draw u decides success (u < p) and sets the quality (see
   * SIMULATED_WORLD_PARAMETERS).
   */
  attempt(taskIndex: number, armIndex: number, rng: Rng): { success: boolean; quality: number } {
    const p = this.successProbability(taskIndex, armIndex);
    const u = rng.uniform();
    const floor = this.#floor;
    if (u < p) return { success: true, quality: floor + ((1 - floor) * (p - u)) / p };
    return { success: false, quality: floor * (1 - (u - p) / (1 - p)) };
  }
}

function randomUnitVector(rng: Rng, dim: number): Float64Array {
  const v = new Float64Array(dim);
  for (let i = 0; i < dim; i++) v[i] = rng.normal();
  normaliseInPlace(v, 0, dim);
  return v;
}

function normaliseInPlace(v: Float64Array, offset: number, dim: number): void {
  let sq = 0;
  for (let i = 0; i < dim; i++) sq += v[offset + i]! * v[offset + i]!;
  const inv = 1 / Math.sqrt(sq);
  for (let i = 0; i < dim; i++) v[offset + i] = v[offset + i]! * inv;
}

import {
  type Arm,
  assertAllFinite,
  assertArray,
  assertBoolean,
  assertFinite,
  assertFloat32Array,
  assertInRange,
  assertInteger,
  assertRecord,
  assertRng,
  assertString,
  type Embedding,
  isTaskType,
  type Rng,
  SonaError,
  type TaskType,
  type Trajectory,
} from '@sona/core';
import { dotMany, norm, topK } from '@sona/simd';
import { selectDiverse } from './diversity';
import { kmeans } from './kmeans';
import { norm64, writeUnit } from './unit-vector';

export interface PatternBankOptions {
  /** Most patterns kept (default 150). */
  readonly maxPatterns?: number;
  /** Fewest successful trajectories per pattern (default 5). */
  readonly minPerPattern?: number;
  /** Quality at or above which a trajectory counts as successful (default 0.35). */
  readonly qualityThreshold?: number;
  /** Greedy selection by `quality · (1 − 0.5·maxSim)` (default true). */
  readonly diversity?: boolean;
  /** Patterns returned by `match` (default 5). */
  readonly topK?: number;
  /** Smallest cosine for a match (default 0.5). */
  readonly simThreshold?: number;
  /** Weight factor for a pattern whose dominant task type is the query's (default 1.2). */
  readonly taskBonus?: number;
  /** Most Lloyd steps of the clustering (default 50). */
  readonly maxIter?: number;
}

type ResolvedOptions = Required<PatternBankOptions>;

export interface ArmRecord {
  readonly arm: Arm;
  readonly successes: number;
  readonly trials: number;
}

export interface Pattern {
  /** Position in the bank (selection order). */
  readonly id: number;
  /** Unit-length centroid (a copy: changing it does not change the bank). */
  readonly centroid: Float32Array;
  /** Mean quality of the pattern's members. */
  readonly quality: number;
  /** Members: successful trajectories of its cluster. */
  readonly count: number;
  /** Members per task type (the types of the bank's members, in code-unit order). */
  readonly typeMix: Readonly<Record<TaskType, number>>;
  /** The type with the most members (the first in code-unit order on ties). */
  readonly dominantType: TaskType;
  /** Outcomes per arm of every trajectory attributed to the pattern, arms in code-unit order. */
  readonly arms: readonly ArmRecord[];
}

export interface PatternMatch {
  readonly pattern: Pattern;
  /** Cosine of the query with the pattern's centroid. */
  readonly similarity: number;
  /** `similarity × taskBonus` when the pattern's dominant type is the query's, else `similarity`. */
  readonly weight: number;
}

export interface ExtractionSummary {
  /** Trajectories given. */
  readonly trajectories: number;
  /** Trajectories left out because their embedding is zero (no direction, no cosine). */
  readonly skipped: number;
  /** Usable trajectories at or above the quality threshold. */
  readonly successful: number;
  /** Clusters asked of k-means (0 when there were too few successful trajectories). */
  readonly clusters: number;
  /** Clusters with at least `minPerPattern` members. */
  readonly candidates: number;
  /** Patterns now in the bank. */
  readonly patterns: number;
  /** Trajectories whose outcome counts towards some pattern's arm statistics. */
  readonly attributed: number;
}

export interface PatternBankState {
  readonly kind: 'pattern-bank';
  readonly options: ResolvedOptions;
  /** Embedding dimension, null until an extraction has seen a trajectory. */
  readonly dim: number | null;
  /** patterns × dim, row-major, unit rows. */
  readonly centroids: Float32Array;
  readonly qualities: number[];
  readonly counts: number[];
  /** Task types of the members, in code-unit order: the columns of `typeCounts`. */
  readonly types: string[];
  /** Per pattern, member counts per type of `types`. */
  readonly typeCounts: number[][];
  /** Arm ids, the columns of `successes` and `trials`. */
  readonly arms: string[];
  readonly successes: number[][];
  readonly trials: number[][];
}

/** Query norms for which float32 sums of squares and dot products neither underflow nor overflow. */
const SAFE_NORM = { min: 1e-15, max: 1e15 } as const;

/** Success rate of an arm with s successes in n trials: Laplace's rule (s + 1) / (n + 2). */
export function smoothedRate(successes: number, trials: number): number {
  return (successes + 1) / (trials + 2);
}

/**
 * Patterns of what worked: clusters of successful trajectories (quality ≥ threshold) with, for
 * each, the outcomes of every arm tried near it. `match` finds the patterns nearest a task and
 * `armScores` turns their arm statistics into one score per arm.
 *
 * `extract(trajectories, rng)` replaces the bank:
 * 1. m = trajectories with quality ≥ `qualityThreshold`. If m < `minPerPattern` the bank is left
 *    empty (a documented result, not an error).
 * 2. k = min(maxPatterns, floor(m / minPerPattern)) clusters: on average every cluster can
 *    reach `minPerPattern` members. Spherical k-means++ (cosine) over their embeddings.
 * 3. Clusters with fewer than `minPerPattern` members are dropped; the rest are candidates with
 *    quality = mean member quality and a task-type mix of their members.
 * 4. With `diversity`, candidates are picked greedily by `quality · (1 − 0.5·maxSim)` with maxSim
 *    the largest cosine to the patterns already picked; the best is always kept, and picking
 *    stops once the best remaining score is below `qualityThreshold` (a near-duplicate of a kept
 *    pattern must be good enough to clear the bar after its penalty). Without it, every
 *    candidate is kept, best quality first.
 * 5. Arm statistics: every trajectory given, successful or not, is attributed to its most
 *    similar kept pattern if that cosine is at least `simThreshold` (the similarity at which
 *    the pattern would match the task); its arm gets one trial, and one success if it
 *    succeeded. Success rates therefore see failures as well as successes.
 *
 * Rates use Laplace's rule (s + 1)/(n + 2): an arm never tried near a pattern scores 0.5.
 */
export class PatternBank {
  readonly options: Readonly<ResolvedOptions>;
  #dim: number | null = null;
  #centroids: Float32Array = new Float32Array(0);
  #qualities: number[] = [];
  #counts: number[] = [];
  #types: string[] = [];
  #typeCounts: number[][] = [];
  #arms: string[] = [];
  #armColumn = new Map<string, number>();
  #successes: number[][] = [];
  #trials: number[][] = [];
  #patterns: Pattern[] = [];
  #dominant: TaskType[] = [];
  /** Reused buffer for the unit-length query. */
  #unit = new Float32Array(0);

  constructor(options: PatternBankOptions = {}) {
    this.options = resolveOptions(options ?? {});
  }

  get size(): number {
    return this.#patterns.length;
  }

  /** Embedding dimension (set by the last extraction that saw a trajectory), or null. */
  get dim(): number | null {
    return this.#dim;
  }

  /** The patterns, in selection order (a method, like `centroids()` and `engine.patterns()`). */
  patterns(): readonly Pattern[] {
    return this.#patterns;
  }

  /** A copy of the centroids, patterns × dim. */
  centroids(): Float32Array {
    return this.#centroids.slice();
  }

  qualities(): number[] {
    return this.#qualities.slice();
  }

  /** Rebuilds the bank from `trajectories` (see the class comment); `rng` seeds k-means++. */
  extract(trajectories: readonly Trajectory[], rng: Rng): ExtractionSummary {
    assertRng(rng);
    const all = assertArray(trajectories, 'trajectories') as readonly Trajectory[];
    const { dim, norms } = checkTrajectories(all);
    const o = this.options;
    const usable = all.filter((_, i) => norms[i]! > 0);
    const skipped = all.length - usable.length;
    const successful: number[] = [];
    for (let i = 0; i < usable.length; i++) {
      if (usable[i]!.quality >= o.qualityThreshold) successful.push(i);
    }
    const m = successful.length;
    if (m < o.minPerPattern || dim === null) {
      this.#install(dim, new Float32Array(0), [], [], [], [], []);
      return summary(all.length, skipped, m, 0, 0, 0, 0);
    }

    const k = Math.min(o.maxPatterns, Math.floor(m / o.minPerPattern));
    const data = new Float32Array(m * dim);
    successful.forEach((t, row) => {
      data.set(usable[t]!.embedding, row * dim);
    });
    const clustering = kmeans(data, m, dim, k, { rng, metric: 'cosine', maxIter: o.maxIter });

    const members = Array.from({ length: k }, () => [] as number[]);
    clustering.assignments.forEach((cluster, row) => {
      members[cluster]!.push(successful[row]!);
    });
    const candidates = members
      .map((list, cluster) => ({ list, cluster }))
      .filter(({ list }) => list.length >= o.minPerPattern);
    const candidateCentroids = new Float32Array(candidates.length * dim);
    const candidateQualities = candidates.map(({ list, cluster }, c) => {
      candidateCentroids.set(
        clustering.centroids.subarray(cluster * dim, (cluster + 1) * dim),
        c * dim,
      );
      let sum = 0;
      for (const t of list) sum += usable[t]!.quality;
      return sum / list.length;
    });

    const order = o.diversity
      ? selectDiverse(
          candidateQualities,
          candidateCentroids,
          dim,
          o.qualityThreshold,
          o.maxPatterns,
        )
      : candidateQualities
          .map((quality, c) => ({ quality, c }))
          .sort((a, b) => b.quality - a.quality || a.c - b.c)
          .slice(0, o.maxPatterns)
          .map(({ c }) => c);

    const centroids = new Float32Array(order.length * dim);
    order.forEach((c, p) => {
      centroids.set(candidateCentroids.subarray(c * dim, (c + 1) * dim), p * dim);
    });
    const qualities = order.map((c) => candidateQualities[c]!);
    const types = [
      ...new Set(order.flatMap((c) => candidates[c]!.list.map((t) => usable[t]!.type))),
    ].sort();
    const typeColumn = new Map(types.map((type, i) => [type, i] as const));
    const typeCounts = order.map((c) => {
      const counts = types.map(() => 0);
      for (const t of candidates[c]!.list) counts[typeColumn.get(usable[t]!.type)!]!++;
      return counts;
    });
    const counts = order.map((c) => candidates[c]!.list.length);
    const attributed = this.#install(dim, centroids, qualities, counts, types, typeCounts, usable);
    return summary(all.length, skipped, m, k, candidates.length, order.length, attributed);
  }

  /**
   * The up to `topK` patterns most similar to `embedding` (cosine ≥ `simThreshold`), most similar
   * first (lower pattern id on ties), from one batched similarity call over the centroid matrix.
   * A zero embedding has cosine 0 with everything and matches nothing.
   */
  match(embedding: Embedding, type: TaskType): PatternMatch[] {
    const count = this.#patterns.length;
    if (count === 0) {
      this.#checkQuery(embedding, type);
      return [];
    }
    this.#checkShapeAndType(embedding, type);
    const dim = this.#dim!;
    // Centroids are unit rows, so cos = q·ĉ / ‖q‖. Within a safe range of norms the float32
    // norm and dot products are accurate; outside it (components near float32 underflow or
    // overflow) the query is normalised in float64 first.
    let query = embedding;
    let length = norm(embedding);
    if (!(length >= SAFE_NORM.min && length <= SAFE_NORM.max)) {
      // NaN and infinities land here too (their norm is not finite): refuse them on this path,
      // so the common path needs no separate scan of the query.
      assertAllFinite(embedding, 'embedding');
      query = this.#unitScratch(dim);
      if (!(writeUnit(embedding, query) > 0)) return [];
      length = 1;
    }
    const { indices, scores } = topK(
      query,
      this.#centroids,
      dim,
      Math.min(this.options.topK, count),
      'dot',
    );
    const { simThreshold, taskBonus } = this.options;
    const matches: PatternMatch[] = [];
    for (let r = 0; r < indices.length; r++) {
      const similarity = Math.min(1, scores[r]! / length);
      if (!(similarity >= simThreshold)) break;
      const p = indices[r]!;
      const weight = this.#dominant[p] === type ? similarity * taskBonus : similarity;
      matches.push({ pattern: this.#patterns[p]!, similarity, weight });
    }
    return matches;
  }

  /**
   * One score per arm, aligned with `arms`: the match-weighted mean of each matched pattern's
   * smoothed success rate `(s + 1)/(n + 2)` for that arm. With no match, and for an arm no
   * matched pattern has seen, the score is 0.5. Scores are in (0, 1): the engine reads the
   * chosen arm's score as its confidence.
   */
  armScores(embedding: Embedding, type: TaskType, arms: readonly Arm[]): Float32Array {
    const armList = assertArray(arms, 'arms');
    armList.forEach((arm, i) => {
      assertString(arm, `arms[${i}]`);
    });
    const matches = this.match(embedding, type);
    const scores = new Float32Array(armList.length).fill(0.5);
    if (matches.length === 0) return scores;
    let totalWeight = 0;
    for (const m of matches) totalWeight += m.weight;
    for (let a = 0; a < armList.length; a++) {
      const column = this.#armColumn.get(armList[a] as string);
      let score = 0;
      for (const m of matches) {
        const p = m.pattern.id;
        const rate =
          column === undefined
            ? 0.5
            : smoothedRate(this.#successes[p]![column]!, this.#trials[p]![column]!);
        score += m.weight * rate;
      }
      scores[a] = score / totalWeight;
    }
    return scores;
  }

  state(): PatternBankState {
    return {
      kind: 'pattern-bank',
      options: { ...this.options },
      dim: this.#dim,
      centroids: this.#centroids.slice(),
      qualities: this.#qualities.slice(),
      counts: this.#counts.slice(),
      types: this.#types.slice(),
      typeCounts: this.#typeCounts.map((row) => row.slice()),
      arms: this.#arms.slice(),
      successes: this.#successes.map((row) => row.slice()),
      trials: this.#trials.map((row) => row.slice()),
    };
  }

  /** Rebuilds a bank from `state()` after checking that every part agrees with the others. */
  static fromState(state: PatternBankState): PatternBank {
    const s = assertRecord(state, 'state');
    if (s.kind !== 'pattern-bank') {
      throw new SonaError('INVALID_STATE', 'state.kind must be pattern-bank', {
        path: 'state.kind',
      });
    }
    const bank = new PatternBank(assertRecord(s.options, 'state.options') as PatternBankOptions);
    const dim = s.dim === null ? null : assertInteger(s.dim, 'state.dim', 1);
    const centroids = assertFloat32Array(s.centroids, 'state.centroids');
    assertAllFinite(centroids, 'state.centroids');
    const qualities = numbers(s.qualities, 'state.qualities');
    const count = qualities.length;
    if (count > bank.options.maxPatterns || centroids.length !== count * (dim ?? 0)) {
      throw new SonaError('INVALID_STATE', 'state.centroids does not hold one row per pattern', {
        path: 'state.centroids',
      });
    }
    qualities.forEach((q, p) => {
      assertInRange(q, `state.qualities[${p}]`, 0, 1);
    });
    const counts = numbers(s.counts, 'state.counts', count);
    counts.forEach((c, p) => {
      assertInteger(c, `state.counts[${p}]`, 1);
    });
    const types = assertArray(s.types, 'state.types').map((t, i) => {
      if (!isTaskType(t)) {
        throw new SonaError('INVALID_STATE', `state.types[${i}] is not a task type`, {
          path: `state.types[${i}]`,
        });
      }
      return t;
    });
    for (let i = 1; i < types.length; i++) {
      if (!(types[i - 1]! < types[i]!)) {
        throw new SonaError(
          'INVALID_STATE',
          'state.types must be distinct and in code-unit order',
          {
            path: 'state.types',
          },
        );
      }
    }
    const typeCounts = table(s.typeCounts, 'state.typeCounts', count, types.length);
    typeCounts.forEach((row, p) => {
      if (row.reduce((a, b) => a + b, 0) !== counts[p]) {
        throw new SonaError(
          'INVALID_STATE',
          `state.typeCounts[${p}] does not add up to the count`,
          {
            path: `state.typeCounts[${p}]`,
          },
        );
      }
    });
    const arms = assertArray(s.arms, 'state.arms').map((a, i) =>
      assertString(a, `state.arms[${i}]`),
    );
    if (new Set(arms).size !== arms.length) {
      throw new SonaError('INVALID_STATE', 'state.arms has duplicates', { path: 'state.arms' });
    }
    const successes = table(s.successes, 'state.successes', count, arms.length);
    const trials = table(s.trials, 'state.trials', count, arms.length);
    successes.forEach((row, p) => {
      row.forEach((value, a) => {
        if (value > trials[p]![a]!) {
          throw new SonaError('INVALID_STATE', `state.successes[${p}][${a}] exceeds its trials`, {
            path: `state.successes[${p}][${a}]`,
          });
        }
      });
    });
    for (let p = 0; p < count; p++) {
      if (!(Math.abs(norm64(centroids, p * dim!, dim!) - 1) < 1e-3)) {
        throw new SonaError('INVALID_STATE', `state.centroids row ${p} is not a unit vector`, {
          path: 'state.centroids',
        });
      }
    }
    bank.#dim = dim;
    bank.#centroids = centroids.slice();
    bank.#qualities = qualities;
    bank.#counts = counts;
    bank.#types = types;
    bank.#typeCounts = typeCounts;
    bank.#arms = arms;
    bank.#successes = successes;
    bank.#trials = trials;
    bank.#rebuildViews();
    return bank;
  }

  /** Sets the patterns, attributes `trajectories` to them for arm statistics; returns how many. */
  #install(
    dim: number | null,
    centroids: Float32Array,
    qualities: number[],
    counts: number[],
    types: string[],
    typeCounts: number[][],
    trajectories: readonly Trajectory[],
  ): number {
    const count = qualities.length;
    const arms = [...new Set(trajectories.map((t) => t.arm))].sort();
    const column = new Map(arms.map((arm, a) => [arm, a] as const));
    const successes = Array.from({ length: count }, () => arms.map(() => 0));
    const trials = Array.from({ length: count }, () => arms.map(() => 0));
    let attributed = 0;
    if (count > 0) {
      const similarities = new Float32Array(count);
      const unit = new Float32Array(dim!);
      for (const t of trajectories) {
        writeUnit(t.embedding, unit);
        dotMany(unit, centroids, dim!, similarities);
        let best = 0;
        for (let p = 1; p < count; p++) if (similarities[p]! > similarities[best]!) best = p;
        if (!(similarities[best]! >= this.options.simThreshold)) continue;
        const a = column.get(t.arm)!;
        trials[best]![a]!++;
        if (t.success) successes[best]![a]!++;
        attributed++;
      }
    }
    this.#dim = dim ?? this.#dim;
    this.#centroids = centroids;
    this.#qualities = qualities;
    this.#counts = counts;
    this.#types = types;
    this.#typeCounts = typeCounts;
    this.#arms = count > 0 ? arms : [];
    this.#successes = successes;
    this.#trials = trials;
    this.#rebuildViews();
    return attributed;
  }

  #rebuildViews(): void {
    const dim = this.#dim ?? 0;
    this.#armColumn = new Map(this.#arms.map((arm, a) => [arm, a] as const));
    this.#dominant = this.#typeCounts.map((row) => {
      let best = 0;
      for (let t = 1; t < row.length; t++) if (row[t]! > row[best]!) best = t;
      return this.#types[best]!;
    });
    this.#patterns = this.#qualities.map((quality, p) => {
      const typeMix: Record<TaskType, number> = {};
      this.#types.forEach((type, t) => {
        typeMix[type] = this.#typeCounts[p]![t]!;
      });
      return Object.freeze({
        id: p,
        centroid: this.#centroids.slice(p * dim, (p + 1) * dim),
        quality,
        count: this.#counts[p]!,
        typeMix: Object.freeze(typeMix),
        dominantType: this.#dominant[p]!,
        arms: Object.freeze(
          this.#arms.map((arm, a) =>
            Object.freeze({
              arm,
              successes: this.#successes[p]![a]!,
              trials: this.#trials[p]![a]!,
            }),
          ),
        ),
      });
    });
  }

  #unitScratch(dim: number): Float32Array {
    if (this.#unit.length !== dim) this.#unit = new Float32Array(dim);
    return this.#unit;
  }

  #checkQuery(embedding: Embedding, type: TaskType): void {
    this.#checkShapeAndType(embedding, type);
    assertAllFinite(embedding, 'embedding');
  }

  #checkShapeAndType(embedding: Embedding, type: TaskType): void {
    assertFloat32Array(embedding, 'embedding', this.#dim ?? undefined);
    if (!isTaskType(type)) {
      throw new SonaError('INVALID_ARGUMENT', `type is not a task type: ${String(type)}`, {
        path: 'type',
      });
    }
  }
}

function resolveOptions(options: PatternBankOptions): ResolvedOptions {
  const {
    maxPatterns = 150,
    minPerPattern = 5,
    qualityThreshold = 0.35,
    diversity = true,
    topK = 5,
    simThreshold = 0.5,
    taskBonus = 1.2,
    maxIter = 50,
  } = options;
  return {
    maxPatterns: assertInteger(maxPatterns, 'maxPatterns', 1, 1 << 16),
    minPerPattern: assertInteger(minPerPattern, 'minPerPattern', 1, 1 << 20),
    qualityThreshold: assertInRange(qualityThreshold, 'qualityThreshold', 0, 1),
    diversity: assertBoolean(diversity, 'diversity'),
    topK: assertInteger(topK, 'topK', 1, 1 << 16),
    simThreshold: assertInRange(simThreshold, 'simThreshold', -1, 1),
    taskBonus: assertInRange(taskBonus, 'taskBonus', 0, 1e6),
    maxIter: assertInteger(maxIter, 'maxIter', 0, 1 << 20),
  };
}

/**
 * Validates every trajectory before anything changes: a known type, a string arm, a boolean
 * success, quality in [0, 1] and a finite Float32Array embedding of one shared, non-zero length.
 * Returns that length (null for an empty list) and each embedding's norm.
 */
function checkTrajectories(trajectories: readonly Trajectory[]): {
  dim: number | null;
  norms: Float32Array;
} {
  let dim: number | null = null;
  const norms = new Float32Array(trajectories.length);
  trajectories.forEach((t, i) => {
    const path = `trajectories[${i}]`;
    assertRecord(t, path);
    if (!isTaskType(t.type)) {
      throw new SonaError('INVALID_ARGUMENT', `${path}.type is not a task type`, {
        path: `${path}.type`,
      });
    }
    assertString(t.arm, `${path}.arm`);
    assertBoolean(t.success, `${path}.success`);
    assertInRange(t.quality, `${path}.quality`, 0, 1);
    const embedding = assertFloat32Array(t.embedding, `${path}.embedding`, dim ?? undefined);
    assertAllFinite(embedding, `${path}.embedding`);
    if (embedding.length === 0) {
      throw new SonaError('EMPTY_INPUT', `${path}.embedding is empty`, {
        path: `${path}.embedding`,
      });
    }
    norms[i] = norm64(embedding);
    dim = embedding.length;
  });
  return { dim, norms };
}

function summary(
  trajectories: number,
  skipped: number,
  successful: number,
  clusters: number,
  candidates: number,
  patterns: number,
  attributed: number,
): ExtractionSummary {
  return { trajectories, skipped, successful, clusters, candidates, patterns, attributed };
}

function numbers(value: unknown, path: string, length?: number): number[] {
  const list = assertArray(value, path);
  if (length !== undefined && list.length !== length) {
    throw new SonaError('INVALID_STATE', `${path} has ${list.length} entries, expected ${length}`, {
      path,
    });
  }
  return list.map((v, i) => assertFinite(v, `${path}[${i}]`));
}

/** A rows × cols table of non-negative integers. */
function table(value: unknown, path: string, rows: number, cols: number): number[][] {
  const list = assertArray(value, path);
  if (list.length !== rows) {
    throw new SonaError('INVALID_STATE', `${path} has ${list.length} rows, expected ${rows}`, {
      path,
    });
  }
  return list.map((row, r) => {
    const values = numbers(row, `${path}[${r}]`, cols);
    values.forEach((v, c) => {
      assertInteger(v, `${path}[${r}][${c}]`, 0);
    });
    return values;
  });
}

import {
  assertArray,
  assertInRange,
  assertInteger,
  assertRecord,
  SonaError,
  TASK_TYPES,
  type TaskType,
  type Trajectory,
} from '@sona/core';
import { MAX_CAPACITY } from './state-checks';
import { assertTrajectory, copyTrajectory } from './trajectory';

export interface TrajectoryBufferOptions {
  /** Most trajectories held (default 10,000). */
  readonly capacity?: number;
  /** Share kept when a push finds the buffer full, in [0, 1) (default 0.8). */
  readonly keepFraction?: number;
}

export interface TrajectoryGroupStats {
  readonly count: number;
  /** Mean quality, 0 when the group is empty. */
  readonly meanQuality: number;
  /** Share of successful trajectories, 0 when the group is empty. */
  readonly successRate: number;
}

export interface TrajectoryBufferStats extends TrajectoryGroupStats {
  /**
   * One entry per task type: the four `TASK_TYPES` (empty ones included), then every other
   * type held, in code-unit order.
   */
  readonly byType: Readonly<Record<TaskType, TrajectoryGroupStats>>;
}

export interface TrajectoryBufferState {
  readonly kind: 'trajectory-buffer';
  readonly capacity: number;
  readonly keepFraction: number;
  /** Oldest first. */
  readonly trajectories: Trajectory[];
}

/**
 * Holds the latest trajectories, oldest first. When a push finds the buffer full it first keeps
 * exactly `floor(capacity × keepFraction)` trajectories, the best by quality (ties: the newer
 * one stays), still in arrival order, then appends the new one. Pruning costs O(n log n) once
 * every `capacity − kept` pushes.
 */
export class TrajectoryBuffer implements Iterable<Trajectory> {
  readonly capacity: number;
  readonly keepFraction: number;
  /** How many trajectories survive a pruning. */
  readonly keepCount: number;
  #trajectories: Trajectory[] = [];

  constructor(options: TrajectoryBufferOptions = {}) {
    const { capacity = 10_000, keepFraction = 0.8 } = options ?? {};
    this.capacity = assertInteger(capacity, 'capacity', 1, MAX_CAPACITY);
    this.keepFraction = assertInRange(keepFraction, 'keepFraction', 0, 1);
    this.keepCount = Math.floor(this.capacity * this.keepFraction);
    if (this.keepCount >= this.capacity) {
      throw new SonaError(
        'OUT_OF_RANGE',
        `keepFraction ${keepFraction} keeps all ${capacity} trajectories: pruning would free no room`,
        { path: 'keepFraction' },
      );
    }
  }

  get size(): number {
    return this.#trajectories.length;
  }

  /** Validates and stores a trajectory (the object is kept by reference, not copied). */
  push(trajectory: Trajectory): void {
    assertTrajectory(trajectory);
    if (this.#trajectories.length >= this.capacity) this.#prune();
    this.#trajectories.push(trajectory);
  }

  /** The i-th trajectory, oldest first. */
  at(index: number): Trajectory {
    assertInteger(index, 'index', 0, this.size - 1);
    return this.#trajectories[index]!;
  }

  /** A copy of the held trajectories, oldest first. */
  toArray(): Trajectory[] {
    return this.#trajectories.slice();
  }

  [Symbol.iterator](): Iterator<Trajectory> {
    return this.#trajectories.slice()[Symbol.iterator]();
  }

  clear(): void {
    this.#trajectories = [];
  }

  stats(): TrajectoryBufferStats {
    const groups = new Map<TaskType, { count: number; quality: number; successes: number }>();
    for (const type of TASK_TYPES) groups.set(type, { count: 0, quality: 0, successes: 0 });
    let quality = 0;
    let successes = 0;
    for (const t of this.#trajectories) {
      let group = groups.get(t.type);
      if (group === undefined) {
        group = { count: 0, quality: 0, successes: 0 };
        groups.set(t.type, group);
      }
      group.count++;
      group.quality += t.quality;
      quality += t.quality;
      if (t.success) {
        group.successes++;
        successes++;
      }
    }
    const known: readonly string[] = TASK_TYPES;
    const others = [...groups.keys()].filter((type) => !known.includes(type)).sort();
    const byType: Record<TaskType, TrajectoryGroupStats> = {};
    for (const type of [...known, ...others]) {
      const g = groups.get(type)!;
      byType[type] = summarise(g.count, g.quality, g.successes);
    }
    return { ...summarise(this.size, quality, successes), byType };
  }

  /** Plain data; the trajectories are copies (the buffer owns its own, see `push`). */
  state(): TrajectoryBufferState {
    return {
      kind: 'trajectory-buffer',
      capacity: this.capacity,
      keepFraction: this.keepFraction,
      trajectories: this.#trajectories.map((t) => ({ ...t, embedding: t.embedding.slice() })),
    };
  }

  /** Rebuilds a buffer from `state()`, with validated copies of the trajectories. */
  static fromState(state: TrajectoryBufferState): TrajectoryBuffer {
    const s = assertRecord(state, 'state');
    if (s.kind !== 'trajectory-buffer') {
      throw new SonaError('INVALID_STATE', 'state.kind must be trajectory-buffer', {
        path: 'state.kind',
      });
    }
    const buffer = new TrajectoryBuffer({
      capacity: s.capacity as number,
      keepFraction: s.keepFraction as number,
    });
    const trajectories = assertArray(s.trajectories, 'state.trajectories');
    if (trajectories.length > buffer.capacity) {
      throw new SonaError('INVALID_STATE', 'state holds more trajectories than its capacity', {
        path: 'state.trajectories',
      });
    }
    buffer.#trajectories = trajectories.map((t, i) =>
      copyTrajectory(t, `state.trajectories[${i}]`),
    );
    return buffer;
  }

  #prune(): void {
    const all = this.#trajectories;
    const order = Array.from(all.keys());
    // Best quality first; among equal qualities the newer (higher index) first.
    order.sort((a, b) => all[b]!.quality - all[a]!.quality || b - a);
    const kept = order.slice(0, this.keepCount).sort((a, b) => a - b);
    this.#trajectories = kept.map((i) => all[i]!);
  }
}

function summarise(count: number, quality: number, successes: number): TrajectoryGroupStats {
  return count === 0
    ? { count: 0, meanQuality: 0, successRate: 0 }
    : { count, meanQuality: quality / count, successRate: successes / count };
}

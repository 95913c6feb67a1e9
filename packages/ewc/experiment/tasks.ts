import type { Rng } from '@sona/core';

/**
 * Two binary classification tasks over one input space that genuinely conflict on
 * shared weights. Inputs have three blocks of features:
 *
 *   [ private to A (k) | private to B (k) | shared (s) ]
 *
 * Task A's inputs fill A's private block and the shared block (B's block is 0);
 * task B's fill B's private block and the shared block. The labels are
 *
 *   A: P(y = 1) = σ(κ·(u_A·x_A + v·x_S)),   B: P(y = 1) = σ(κ·(u_B·x_B − v·x_S)),
 *
 * with unit teacher vectors u_A, u_B, v and standard normal features, except that
 * the shared features of B's inputs have standard deviation `sharedScaleB`.
 * so the shared features mean opposite things in the two tasks: fitting B alone
 * pulls the shared weights from +v toward −v, which is what makes a model trained
 * on A then B forget A. A joint solution exists (private weights only, shared
 * weights near 0) but costs both tasks when the shared features matter equally to
 * both (`sharedScaleB` = 1); when they matter less to B (`sharedScaleB` < 1), keeping
 * A's shared weights costs B little, the situation EWC is designed for.
 */
export interface TaskData {
  /** n × dim inputs, row-major. */
  readonly inputs: Float32Array;
  /** 0 or 1 per row. */
  readonly labels: Uint8Array;
  readonly n: number;
  readonly dim: number;
}

export interface TaskPair {
  readonly dim: number;
  readonly a: { readonly train: TaskData; readonly test: TaskData };
  readonly b: { readonly train: TaskData; readonly test: TaskData };
}

export interface TaskOptions {
  /** Private features per task. */
  readonly privateDim: number;
  /** Shared features. */
  readonly sharedDim: number;
  /** Label sharpness κ: larger is less label noise. */
  readonly sharpness: number;
  /** Standard deviation of the shared features in task B's inputs (in A's they are 1). */
  readonly sharedScaleB: number;
  readonly trainSize: number;
  readonly testSize: number;
}

export const DEFAULT_TASK_OPTIONS: TaskOptions = {
  privateDim: 5,
  sharedDim: 5,
  sharpness: 4,
  sharedScaleB: 1,
  trainSize: 1000,
  testSize: 2000,
};

function unitVector(rng: Rng, length: number): Float64Array {
  const v = Float64Array.from({ length }, () => rng.normal());
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  return v.map((x) => x / norm);
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export function makeConflictingTasks(
  rng: Rng,
  options: TaskOptions = DEFAULT_TASK_OPTIONS,
): TaskPair {
  const { privateDim: k, sharedDim: s, sharpness, sharedScaleB, trainSize, testSize } = options;
  const dim = 2 * k + s;
  const teachers = rng.fork('teachers');
  const uA = unitVector(teachers, k);
  const uB = unitVector(teachers, k);
  const v = unitVector(teachers, s);

  function sample(task: 'a' | 'b', n: number, stream: Rng): TaskData {
    const inputs = new Float32Array(n * dim);
    const labels = new Uint8Array(n);
    const privateOffset = task === 'a' ? 0 : k;
    const privateTeacher = task === 'a' ? uA : uB;
    const sharedSign = task === 'a' ? 1 : -1;
    const sharedScale = task === 'a' ? 1 : sharedScaleB;
    for (let row = 0; row < n; row++) {
      const x = inputs.subarray(row * dim, (row + 1) * dim);
      let score = 0;
      for (let j = 0; j < k; j++) {
        x[privateOffset + j] = stream.normal();
        score += privateTeacher[j]! * x[privateOffset + j]!;
      }
      for (let j = 0; j < s; j++) {
        x[2 * k + j] = sharedScale * stream.normal();
        score += sharedSign * v[j]! * x[2 * k + j]!;
      }
      labels[row] = stream.bernoulli(sigmoid(sharpness * score)) ? 1 : 0;
    }
    return { inputs, labels, n, dim };
  }

  return {
    dim,
    a: {
      train: sample('a', trainSize, rng.fork('a/train')),
      test: sample('a', testSize, rng.fork('a/test')),
    },
    b: {
      train: sample('b', trainSize, rng.fork('b/train')),
      test: sample('b', testSize, rng.fork('b/test')),
    },
  };
}

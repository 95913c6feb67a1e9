import { TASK_TYPES, type TaskType, type Trajectory } from '@sona/core';
import fc from 'fast-check';

export function makeTrajectory(overrides: Partial<Trajectory> = {}): Trajectory {
  return {
    taskId: 't',
    type: 'bug_fix',
    difficulty: 0.5,
    embedding: Float32Array.of(1, 0, 0, 0),
    arm: 'a',
    success: true,
    quality: 0.5,
    confidence: 0.5,
    tdError: 0.5,
    epoch: 1,
    ...overrides,
  };
}

/** Qualities drawn from a few values, so ties are common. */
export const tiedQualityArb = fc.oneof(
  fc.constantFrom(0, 0.25, 0.5, 0.75, 1),
  fc.double({ min: 0, max: 1, noNaN: true }),
);

/** The four well-known types and a few open labels (a repository, a category). */
export const taskTypeArb: fc.Arbitrary<TaskType> = fc.constantFrom(
  ...TASK_TYPES,
  'django/django',
  'other',
  'ünïcode',
);

export const trajectoryArb: fc.Arbitrary<Trajectory> = fc
  .record({
    id: fc.nat({ max: 1_000_000 }),
    type: taskTypeArb,
    quality: tiedQualityArb,
    success: fc.boolean(),
    confidence: fc.double({ min: 0, max: 1, noNaN: true }),
    embedding: fc.float32Array({
      minLength: 2,
      maxLength: 2,
      noNaN: true,
      noDefaultInfinity: true,
    }),
  })
  .map(({ id, type, quality, success, confidence, embedding }) =>
    makeTrajectory({
      taskId: `task-${id}`,
      type,
      quality,
      success,
      confidence,
      tdError: (success ? 1 : 0) - confidence,
      embedding,
      arm: `arm-${id % 3}`,
    }),
  );

/** TD errors in [-1, 1] with repeated values. */
export const tdErrorArb = fc.oneof(
  fc.constantFrom(0, 1, -1, 0.5),
  fc.double({ min: -1, max: 1, noNaN: true }),
);

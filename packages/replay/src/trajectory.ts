import {
  assertAllFinite,
  assertFloat32Array,
  assertInRange,
  assertInteger,
  isTaskType,
  SonaError,
  type Trajectory,
} from '@sona/core';

/**
 * Checks that `value` is a well-formed `Trajectory` and returns it unchanged:
 * strings for taskId and arm, a task type label (`isTaskType`), difficulty (when
 * present), quality and confidence in [0, 1], tdError in [-1, 1] (outcome minus a
 * probability), a finite Float32Array embedding and an epoch counted from 1.
 */
export function assertTrajectory(value: unknown, path = 'trajectory'): Trajectory {
  if (value === null || typeof value !== 'object') {
    throw new SonaError('INVALID_ARGUMENT', `${path} must be a Trajectory object`, { path });
  }
  const t = value as Record<string, unknown>;
  if (typeof t.taskId !== 'string') {
    throw new SonaError('INVALID_ARGUMENT', `${path}.taskId must be a string`, {
      path: `${path}.taskId`,
    });
  }
  if (!isTaskType(t.type)) {
    throw new SonaError('INVALID_ARGUMENT', `${path}.type is not a task type: ${String(t.type)}`, {
      path: `${path}.type`,
    });
  }
  if (typeof t.arm !== 'string') {
    throw new SonaError('INVALID_ARGUMENT', `${path}.arm must be a string`, {
      path: `${path}.arm`,
    });
  }
  if (typeof t.success !== 'boolean') {
    throw new SonaError('INVALID_ARGUMENT', `${path}.success must be a boolean`, {
      path: `${path}.success`,
    });
  }
  if (t.difficulty !== undefined) assertInRange(t.difficulty, `${path}.difficulty`, 0, 1);
  assertInRange(t.quality, `${path}.quality`, 0, 1);
  assertInRange(t.confidence, `${path}.confidence`, 0, 1);
  assertInRange(t.tdError, `${path}.tdError`, -1, 1);
  assertInteger(t.epoch, `${path}.epoch`, 1);
  assertAllFinite(assertFloat32Array(t.embedding, `${path}.embedding`), `${path}.embedding`);
  return value as Trajectory;
}

/** A validated copy whose embedding no longer shares memory with the input. */
export function copyTrajectory(value: unknown, path = 'trajectory'): Trajectory {
  const t = assertTrajectory(value, path);
  return {
    taskId: t.taskId,
    type: t.type,
    ...(t.difficulty === undefined ? {} : { difficulty: t.difficulty }),
    embedding: new Float32Array(t.embedding),
    arm: t.arm,
    success: t.success,
    quality: t.quality,
    confidence: t.confidence,
    tdError: t.tdError,
    epoch: t.epoch,
  };
}

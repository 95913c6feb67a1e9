import { BUCKETS, createRng, type Rng, TASK_TYPES, type Task } from '@sona/core';

/**
 * A small world for engine tests: tasks around `clusters` directions in `dim` dimensions, one
 * best arm per cluster (success 0.9) and the rest poor (0.2). Not the benchmark's world: just
 * enough structure that a learner which works must find the best arms.
 */
export function toyWorld(seed: number, { dim = 16, clusters = 4, arms = 3, tasks = 200 } = {}) {
  const rng = createRng(seed).fork('toy-world');
  const centres = Array.from({ length: clusters }, () =>
    Float32Array.from({ length: dim }, () => rng.normal()),
  );
  const bestArm = Array.from({ length: clusters }, (_, c) => c % arms);
  const armNames = Array.from({ length: arms }, (_, a) => `arm${a}`);
  const cluster = new Map<string, number>();
  const pool: Task[] = Array.from({ length: tasks }, (_, i) => {
    const c = i % clusters;
    const embedding = Float32Array.from(centres[c]!, (v) => v + 0.3 * rng.normal());
    const difficulty = rng.uniform();
    const task: Task = {
      id: `task-${i}`,
      type: TASK_TYPES[c % TASK_TYPES.length]!,
      bucket: BUCKETS[Math.min(2, Math.floor(difficulty * 3))]!,
      difficulty,
      embedding,
    };
    cluster.set(task.id, c);
    return task;
  });
  const successProbability = (task: Task, arm: string) =>
    armNames.indexOf(arm) === bestArm[cluster.get(task.id)!] ? 0.9 : 0.2;
  const attempt = (task: Task, arm: string, outcomes: Rng) => {
    const success = outcomes.bernoulli(successProbability(task, arm));
    return {
      success,
      quality: success ? 0.8 + 0.2 * outcomes.uniform() : 0.2 * outcomes.uniform(),
    };
  };
  return { pool, armNames, dim, successProbability, attempt };
}

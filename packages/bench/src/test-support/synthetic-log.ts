/**
 * A synthetic replay log for tests (written, then read back through the parser like any log):
 * tasks of a few types, each with a text whose words say which arm tends to solve it, every arm
 * logged on every task (optionally several trials), and a cost per arm when asked.
 */
import { createRng } from '@sona/core';

export interface SyntheticOptions {
  readonly seed: number;
  readonly tasks: number;
  readonly arms?: readonly string[];
  /** Cost of each arm (same order as arms); absent: no cost field. */
  readonly costs?: readonly number[];
  readonly trials?: number;
  /** Leave arm k out of every task whose index is ≡ k mod `gaps` (no gaps when absent). */
  readonly gaps?: number;
}

export const SYNTHETIC_FIELDS = {
  task: 'id',
  arm: 'arm',
  success: 'ok',
  text: 'text',
  type: 'repo',
} as const;
export const SYNTHETIC_COST_FIELDS = { ...SYNTHETIC_FIELDS, cost: 'cost' } as const;

const TOPICS = ['parser', 'network', 'storage', 'render'];

export function syntheticLog(options: SyntheticOptions): string {
  const rng = createRng(options.seed).fork('synthetic-log');
  const arms = options.arms ?? ['cheap', 'mid', 'strong'];
  const lines: string[] = [];
  for (let t = 0; t < options.tasks; t++) {
    const topic = t % TOPICS.length;
    const repo = `repo-${t % 3}`;
    const text = `fix the ${TOPICS[topic]} module: ${TOPICS[topic]} error in ${repo} case ${t}`;
    arms.forEach((arm, a) => {
      if (options.gaps !== undefined && a === t % options.gaps && a < arms.length - 1) return;
      // Arm a is good on topic a (mod arms); the last arm is decent everywhere.
      const p = a === topic % arms.length ? 0.85 : a === arms.length - 1 ? 0.55 : 0.15;
      for (let k = 0; k < (options.trials ?? 1); k++) {
        const row: Record<string, unknown> = {
          id: `task-${String(t).padStart(4, '0')}`,
          arm,
          ok: rng.uniform() < p,
          text,
          repo,
        };
        if (options.costs !== undefined) row.cost = options.costs[a];
        lines.push(JSON.stringify(row));
      }
    });
  }
  return `${lines.join('\n')}\n`;
}

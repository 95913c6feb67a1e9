/**
 * The public hybrid-coding-eval log (30 tasks, routes R1–R4) that replay tests run on. It is
 * never copied into the repository: tests find it as `shared/data/hybrid-coding-eval/raw.jsonl`
 * in the nearest folder above the repository root that has it (`../shared/...` for a checkout
 * beside `shared/`, `../../shared/...` for a git worktree one level deeper), or at the path in
 * SONA_HYBRID_LOG.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const HYBRID_LOG_RELATIVE = join('shared', 'data', 'hybrid-coding-eval', 'raw.jsonl');

/** The field mapping the README's example uses on the log. */
export const HYBRID_FIELDS = {
  task: 'task_id',
  arm: 'route',
  success: 'quality.functional_pass',
  cost: 'tokens.cloud_completion',
  type: 'category',
} as const;

export function hybridLogPath(): string {
  const fromEnv = process.env.SONA_HYBRID_LOG;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!existsSync(fromEnv))
      throw new Error(`SONA_HYBRID_LOG points at ${fromEnv}, which does not exist`);
    return fromEnv;
  }
  const repoRoot = resolve(__dirname, '../../../..');
  const tried: string[] = [];
  let folder = dirname(repoRoot);
  for (let level = 0; level < 3; level++) {
    const candidate = join(folder, HYBRID_LOG_RELATIVE);
    tried.push(candidate);
    if (existsSync(candidate)) return candidate;
    folder = dirname(folder);
  }
  throw new Error(
    'these tests replay the public hybrid-coding-eval log, which was not found. Expected it at ' +
      `${tried.join(' or ')}; put it there or set SONA_HYBRID_LOG to its path.`,
  );
}

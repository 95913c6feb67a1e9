/**
 * The public logs some tests replay. They are never copied into the repository: tests find them
 * under `shared/data/` in the nearest folder above the repository root that has them
 * (`../shared/...` for a checkout beside `shared/`, `../../shared/...` for a git worktree one
 * level deeper), or at the path in an environment variable. `.ci/run` sets those variables, so CI
 * always runs these tests; elsewhere a test that needs a missing log is skipped with one line
 * saying what was skipped and how to run it.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface SharedLog {
  /** The file under `shared/data/`. */
  readonly relative: string;
  /** The environment variable that points at it. */
  readonly variable: string;
}

export const HYBRID_LOG: SharedLog = {
  relative: join('hybrid-coding-eval', 'raw.jsonl'),
  variable: 'SONA_HYBRID_LOG',
};

export const SWEBENCH_SET_A: SharedLog = {
  relative: join('swebench-verified', 'set-a.jsonl'),
  variable: 'SONA_SWEBENCH_SET_A',
};

/** The field mapping the README's example uses on the hybrid-coding-eval log. */
export const HYBRID_FIELDS = {
  task: 'task_id',
  arm: 'route',
  success: 'quality.functional_pass',
  cost: 'tokens.cloud_completion',
  type: 'category',
} as const;

/** The field mapping of the SWE-bench Verified set A (the data's README). */
export const SWEBENCH_FIELDS = {
  task: 'task_id',
  arm: 'system',
  success: 'resolved',
  text: 'text',
  type: 'repo',
} as const;

const reported = new Set<string>();

/**
 * The log's path, or null when it is not there (after saying so once, on stderr). A variable
 * that is set but points nowhere is an error, never a skip.
 */
export function sharedLogPath(log: SharedLog, what: string): string | null {
  const fromEnv = process.env[log.variable];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!existsSync(fromEnv))
      throw new Error(`${log.variable} points at ${fromEnv}, which does not exist`);
    return fromEnv;
  }
  const repoRoot = resolve(__dirname, '../../../..');
  let folder = dirname(repoRoot);
  for (let level = 0; level < 3; level++) {
    const candidate = join(folder, 'shared', 'data', log.relative);
    if (existsSync(candidate)) return candidate;
    folder = dirname(folder);
  }
  if (!reported.has(`${log.variable}:${what}`)) {
    reported.add(`${log.variable}:${what}`);
    process.stderr.write(
      `skipped: ${what} (needs shared/data/${log.relative}; set ${log.variable}=<path>, or run .ci/run, which provides it)\n`,
    );
  }
  return null;
}

/** The hybrid-coding-eval log, or null (skipped with one line). */
export function hybridLogPath(
  what = 'tests that replay the hybrid-coding-eval log',
): string | null {
  return sharedLogPath(HYBRID_LOG, what);
}

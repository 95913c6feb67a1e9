/** For tests that run `sona-checkpoint` as a real process (built from the sources). */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bundleForChildProcess } from '../../../tools/testing/bundle';

export function bundleCli(): Promise<string> {
  return bundleForChildProcess(fileURLToPath(new URL('./cli.ts', import.meta.url)), 'cli');
}

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `sona-checkpoint ...args` in `cwd`, with colour settings removed from the environment
 * unless `env` sets them. A run that takes longer than 30 s (a hang) is killed and has code null.
 */
export function runCliProcess(
  cli: string,
  cwd: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): CliRun {
  const { FORCE_COLOR: _, NO_COLOR: __, ...inherited } = process.env;
  const child = spawnSync(process.execPath, [cli, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...inherited, ...env },
    timeout: 30_000,
  });
  return { code: child.status, stdout: child.stdout, stderr: child.stderr };
}

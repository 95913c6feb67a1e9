import { parseArgs } from 'node:util';
import { isVersion, SonaError, type Version } from '@sona/core';
import { isLearnerName, LEARNER_NAMES } from '../learners/registry';
import { isMode, MODES, type Mode } from '../protocol/modes';
import { PROFILE_SETS } from '../simulated/profiles';

export const USAGE = `Usage: sona-bench <v1|v2|v3> [options]

Runs the SONA benchmark on the SIMULATED environment and writes
benchmark-<version>-<mode>.json, report.md and report.html.

Options:
  --mode <quick|default|full>   epochs and tasks per epoch (SPEC table)   [default]
  --seed <N>                    seed, a safe integer >= 0                 [42]
  --profiles <NAME>             ${Object.keys(PROFILE_SETS).join(' | ')}   [reference-small]
  --env <simulated>             where outcomes come from                  [simulated]
  --out <DIR>                   output folder                             [bench-results]
  --workers <N>                 worker threads (1..256)                   [cores]
  --learner <${LEARNER_NAMES.join('|')}>        the SONA engine or the uniform-random baseline [sona]
  --json                        print the result JSON on stdout
  -h, --help                    this help
`;

export interface CliOptions {
  readonly version: Version;
  readonly mode: Mode;
  readonly seed: number;
  readonly profiles: string;
  readonly env: 'simulated';
  readonly out: string;
  readonly workers: number | undefined;
  readonly learner: string;
  readonly json: boolean;
}

export type ParsedCommand =
  | { readonly help: true }
  | { readonly help: false; readonly options: CliOptions };

function usageError(message: string): SonaError {
  return new SonaError('USAGE', message);
}

function naturalNumber(
  value: string,
  flag: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw usageError(
      max === Number.MAX_SAFE_INTEGER
        ? `${flag} needs an integer >= ${min}, got '${value}'`
        : `${flag} needs an integer from ${min} to ${max}, got '${value}'`,
    );
  }
  return Number(value);
}

/** Parses a sona-bench command line strictly; every mistake is a SonaError with code USAGE. */
export function parseCommandLine(argv: readonly string[]): ParsedCommand {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw usageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { help: true };
  if (positionals.length !== 1) {
    throw usageError(
      positionals.length === 0
        ? 'missing the version: v1, v2 or v3'
        : `expected one version, got ${positionals.map((p) => `'${p}'`).join(' ')}`,
    );
  }
  const version = positionals[0]!;
  if (!isVersion(version)) throw usageError(`unknown version '${version}': use v1, v2 or v3`);
  const mode = values.mode ?? 'default';
  if (!isMode(mode)) throw usageError(`--mode must be one of ${MODES.join(', ')}, got '${mode}'`);
  const profiles = values.profiles ?? 'reference-small';
  if (!Object.hasOwn(PROFILE_SETS, profiles)) {
    throw usageError(
      `--profiles must be one of ${Object.keys(PROFILE_SETS).join(', ')}, got '${profiles}'`,
    );
  }
  const env = values.env ?? 'simulated';
  if (env !== 'simulated') {
    throw usageError(
      env === 'replay' || env === 'exec'
        ? `--env ${env} is not available in this version of @sona/bench; use --env simulated`
        : `--env must be 'simulated', got '${env}'`,
    );
  }
  const learner = values.learner ?? 'sona';
  if (!isLearnerName(learner)) {
    throw usageError(`--learner must be one of ${LEARNER_NAMES.join(', ')}, got '${learner}'`);
  }
  if (values.out !== undefined && values.out.trim() === '')
    throw usageError('--out needs a folder');
  return {
    help: false,
    options: {
      version,
      mode,
      seed: values.seed === undefined ? 42 : naturalNumber(values.seed, '--seed', 0),
      profiles,
      env,
      out: values.out ?? 'bench-results',
      workers:
        values.workers === undefined
          ? undefined
          : naturalNumber(values.workers, '--workers', 1, 256),
      learner,
      json: values.json === true,
    },
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      mode: { type: 'string' },
      seed: { type: 'string' },
      profiles: { type: 'string' },
      env: { type: 'string' },
      out: { type: 'string' },
      workers: { type: 'string' },
      learner: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

import { isVersion, type SonaError, type Version } from '@sona/core';
import { usageError as cliUsageError, didYouMean, parseArgs } from '@sona/core/cli';
import type { Feedback } from '../environment/environment';
import { isLearnerName, LEARNER_NAMES, resolveCompare } from '../learners/registry';
import { MAX_BUDGET } from '../protocol/context';
import { isMode, MODES, type Mode, type Schedule } from '../protocol/modes';
import { DEFAULT_MAX_DATA_BYTES } from '../replay/data';
import { type FieldMapping, parseFieldSpecs } from '../replay/fields';
import { MAX_NAME_LENGTH } from '../replay/values';
import { PROFILE_SETS } from '../simulated/profiles';

export const USAGE = `Usage: sona-bench <v1|v2|v3> [options]
       sona-bench <v1|v2|v3> --env replay --data FILE --field task=PATH --field arm=PATH
                  --field success=PATH [--field cost=PATH ...] [options]
Runs the SONA benchmark and writes its result JSON, report.md and report.html.
--env simulated (the default) runs the SIMULATED world; --env replay replays real
outcomes logged as JSON lines (one row per attempt) and compares the learned policy
with always-one-arm, random and oracle baselines on held-out tasks.
Options:
  --mode <quick|default|full>   epochs and tasks per epoch (SPEC table)   [default]
  --seed <N>                    seed, a safe integer >= 0                 [42]
  --profiles <NAME>             ${Object.keys(PROFILE_SETS).join(' | ')} (simulated only) [reference-small]
  --env <simulated|replay>      where outcomes come from                  [simulated]
  --out <DIR>                   output folder                             [bench-results]
  --workers <N>                 worker threads (1..256)                   [cores]
  --learner <NAME>              who learns: ${LEARNER_NAMES.join(', ')}   [sona]
  --compare <NAME,...|all>      run these learners beside it in the same protocol (same
                                tasks, attempt streams and feedback) and report it minus
                                each, paired
  --feedback <bandit|full>      bandit: the learner sees only its chosen arm's outcome;
                                full: also every other arm the task offers   [bandit]
  --budget <EPOCHSxTASKS>       train for this many epochs of this many tasks instead of
                                the version's own schedule (compare versions at one budget)
  --json                        print the result JSON on stdout
  --version                     print the version of @sona/bench
  -h, --help                    this help
Replay options (--env replay):
  --data <FILE>                 the log: JSON lines, one attempt per row (a regular file)
  --field <NAME=PATH>           where a field lives in each row, as a dotted path
                                (quality.functional_pass); repeat per field. Required:
                                task, arm, success. Optional: cost, text, embedding, type.
                                success: true/false or a number in [0, 1] (>= 0.5 passes);
                                null or absent: the row is skipped and counted
  --arms <A,B,...>              use only these arms (tasks with none of them are left out)
  --cost-weight <W>             pick by predicted success - W x cost (needs a cost)  [0]
  --cost-weights <W,...>        also run at these weights: the cost frontier and AIQ
                                against the fixed arms' convex hull (needs a cost)
  --folds <K>                   cross-validation folds over tasks, 2..1000 (fewer
                                when there are fewer tasks)               [5]
  --params-b <B>                model size in billions, (0, 100000] (adapter rank)  [7]
  --max-bytes <N>               largest data file read                    [${DEFAULT_MAX_DATA_BYTES}]
  --skip-malformed              skip malformed lines (counted, listed) instead of failing
Exit codes: 0 done; 1 the run failed; 2 a problem with what was given, found before
anything runs (or, for the output folder, when writing): flags or values (USAGE), an
output folder that cannot be written (OUTPUT_UNWRITABLE), or replay data that is missing
or not a regular file (DATA_NOT_FOUND), too large (DATA_TOO_LARGE), does not match the
field mapping (FIELD_MAPPING), has malformed lines (DATA_MALFORMED), no usable row
(NO_USABLE_ROWS), or does not suit the options (INVALID_ARGUMENT: an unknown --arms arm,
embeddings too large for a learner).
`;

/** What `--env replay` adds. */
export interface ReplayCliOptions {
  readonly data: string;
  readonly fields: FieldMapping;
  readonly arms: readonly string[] | null;
  readonly costWeights: readonly number[];
  readonly folds: number;
  readonly modelParamsB: number;
  readonly maxBytes: number;
  readonly skipMalformed: boolean;
}

export interface CliOptions {
  readonly version: Version;
  readonly mode: Mode;
  readonly seed: number;
  readonly profiles: string;
  readonly env: 'simulated' | 'replay';
  readonly out: string;
  readonly workers: number | undefined;
  readonly learner: string;
  /** Learners to compare with (resolved: `all` expanded). */
  readonly compare: readonly string[];
  readonly feedback: Feedback;
  /** `--budget`: epochs and tasks per epoch instead of the version's schedule. */
  readonly budget: Schedule | null;
  readonly costWeight: number;
  readonly json: boolean;
  /** Set exactly when `env` is `replay`. */
  readonly replay: ReplayCliOptions | null;
}

export type ParsedCommand =
  | { readonly help: true }
  | { readonly help: false; readonly version: true }
  | { readonly help: false; readonly version?: undefined; readonly options: CliOptions };

/** A USAGE error; its hint (`details.hint`) is printed on the line after it. */
function usageError(message: string, hint?: string): SonaError {
  return cliUsageError(message, hint);
}

/** A value outside a fixed set: a USAGE error, with a did-you-mean hint when one is near. */
function notOneOf(message: string, value: string, choices: readonly string[]): SonaError {
  const guess = didYouMean(value, choices);
  return usageError(message, guess === undefined ? undefined : `did you mean ${guess}?`);
}

/** A value for a message: cut to 60 characters, control characters shown as escapes. */
function shown(value: string): string {
  const cut = value.length > 60 ? `${value.slice(0, 57)}...` : value;
  return JSON.stringify(cut);
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
        ? `${flag} needs an integer >= ${min}, got ${shown(value)}`
        : `${flag} needs an integer from ${min} to ${max}, got ${shown(value)}`,
    );
  }
  return n;
}

const DECIMAL = /^(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

function decimal(value: string, flag: string, range: { positive: boolean; max?: number }): number {
  const x = Number(value);
  const max = range.max ?? Number.MAX_VALUE;
  if (!DECIMAL.test(value) || !Number.isFinite(x) || (range.positive && !(x > 0)) || x > max) {
    throw usageError(
      `${flag} needs a number ${range.positive ? '> 0' : '>= 0'}${range.max === undefined ? '' : ` and <= ${range.max}`}, got ${shown(value)}`,
    );
  }
  return x === 0 ? 0 : x;
}

/**
 * Parses a sona-bench command line strictly; every mistake is a SonaError with code USAGE (an
 * unknown option or value with a did-you-mean hint when one is near, a repeated option, a flag
 * given a value, a missing value).
 */
export function parseCommandLine(argv: readonly string[]): ParsedCommand {
  const { values, positionals } = parseArgs(argv, OPTIONS);
  if (values.help === true) return { help: true };
  if (values.version === true) return { help: false, version: true };
  if (positionals.length !== 1) {
    throw usageError(
      positionals.length === 0
        ? 'missing the version: v1, v2 or v3'
        : `expected one version, got ${positionals.map((p) => shown(p)).join(' ')}`,
    );
  }
  const version = positionals[0]!;
  if (!isVersion(version))
    throw notOneOf(`unknown version ${shown(version)}: use v1, v2 or v3`, version, [
      'v1',
      'v2',
      'v3',
    ]);
  const mode = values.mode ?? 'default';
  if (!isMode(mode))
    throw notOneOf(`--mode must be one of ${MODES.join(', ')}, got ${shown(mode)}`, mode, MODES);
  const profiles = values.profiles ?? 'reference-small';
  if (!Object.hasOwn(PROFILE_SETS, profiles)) {
    throw notOneOf(
      `--profiles must be one of ${Object.keys(PROFILE_SETS).join(', ')}, got ${shown(profiles)}`,
      profiles,
      Object.keys(PROFILE_SETS),
    );
  }
  const env = values.env ?? 'simulated';
  if (env !== 'simulated' && env !== 'replay') {
    throw usageError(
      env === 'exec'
        ? '--env exec is not available in this version of @sona/bench; use simulated or replay'
        : `--env must be 'simulated' or 'replay', got ${shown(env)}`,
      env === 'exec' ? undefined : hintFor(env, ['simulated', 'replay']),
    );
  }
  const replay = env === 'replay' ? replayOptions(values) : null;
  if (env === 'simulated') {
    const stray = REPLAY_FLAGS.filter((flag) => values[flag] !== undefined);
    if (stray.length > 0) throw usageError(`--${stray[0]} needs --env replay`);
  } else if (values.profiles !== undefined) {
    throw usageError('--profiles applies to the simulated environment only, not to --env replay');
  }
  const learner = values.learner ?? 'sona';
  if (!isLearnerName(learner)) {
    throw notOneOf(
      `--learner must be one of ${LEARNER_NAMES.join(', ')}, got ${shown(learner)}`,
      learner,
      LEARNER_NAMES,
    );
  }
  let compare: string[] = [];
  if (values.compare !== undefined) {
    try {
      compare = resolveCompare(
        values.compare.split(',').map((n) => n.trim()),
        learner,
      );
    } catch (error) {
      throw usageError(`--compare: ${(error as Error).message}`);
    }
  }
  const feedback = values.feedback ?? 'bandit';
  if (feedback !== 'bandit' && feedback !== 'full') {
    throw notOneOf(`--feedback must be bandit or full, got ${shown(feedback)}`, feedback, [
      'bandit',
      'full',
    ]);
  }
  if (values.out !== undefined && values.out.trim() === '')
    throw usageError('--out needs a folder');
  let budget: Schedule | null = null;
  if (values.budget !== undefined) {
    const match = /^(\d+)x(\d+)$/.exec(values.budget);
    if (match === null) {
      throw usageError(`--budget needs EPOCHSxTASKS, e.g. 8x60, got ${shown(values.budget)}`);
    }
    budget = {
      epochs: naturalNumber(match[1]!, '--budget epochs', 1, MAX_BUDGET.epochs),
      tasksPerEpoch: naturalNumber(match[2]!, '--budget tasks', 1, MAX_BUDGET.tasksPerEpoch),
    };
  }
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
      compare,
      feedback,
      budget,
      costWeight: replay === null ? 0 : replayCostWeight(values),
      json: values.json === true,
      replay,
    },
  };
}

const REPLAY_FLAGS = [
  'data',
  'field',
  'arms',
  'cost-weight',
  'cost-weights',
  'folds',
  'params-b',
  'max-bytes',
  'skip-malformed',
] as const;

type Values = ReturnType<typeof parseArgs<typeof OPTIONS>>['values'];

function hintFor(value: string, choices: readonly string[]): string | undefined {
  const guess = didYouMean(value, choices);
  return guess === undefined ? undefined : `did you mean ${guess}?`;
}

function replayCostWeight(values: Values): number {
  return values['cost-weight'] === undefined
    ? 0
    : decimal(values['cost-weight'], '--cost-weight', { positive: false });
}

function replayOptions(values: Values): ReplayCliOptions {
  if (values.data === undefined || values.data.trim() === '') {
    throw usageError('--env replay needs --data FILE (JSON lines, one attempt per row)');
  }
  let fields: FieldMapping;
  try {
    fields = parseFieldSpecs(values.field ?? []);
  } catch (error) {
    throw usageError(`${(error as Error).message} (FIELD_MAPPING)`);
  }
  const costWeight = replayCostWeight(values);
  const costWeights =
    values['cost-weights'] === undefined
      ? []
      : values['cost-weights']
          .split(',')
          .map((w) => decimal(w.trim(), '--cost-weights', { positive: false }));
  if (new Set(costWeights).size !== costWeights.length)
    throw usageError('--cost-weights lists a weight twice');
  if ((costWeight > 0 || costWeights.length > 0) && fields.cost === undefined) {
    throw usageError(
      `${costWeight > 0 ? '--cost-weight' : '--cost-weights'} needs a cost: add --field cost=PATH`,
    );
  }
  let arms: string[] | null = null;
  if (values.arms !== undefined) {
    arms = values.arms.split(',').map((a) => a.trim());
    if (arms.some((a) => a.length === 0 || a.length > MAX_NAME_LENGTH)) {
      throw usageError(
        `--arms needs arm names of 1 to ${MAX_NAME_LENGTH} characters, separated by commas`,
      );
    }
    if (new Set(arms).size !== arms.length) throw usageError('--arms lists an arm twice');
  }
  return {
    data: values.data,
    fields,
    arms,
    costWeights,
    folds: values.folds === undefined ? 5 : naturalNumber(values.folds, '--folds', 2, 1000),
    modelParamsB:
      values['params-b'] === undefined
        ? 7
        : decimal(values['params-b'], '--params-b', { positive: true, max: 100_000 }),
    maxBytes:
      values['max-bytes'] === undefined
        ? DEFAULT_MAX_DATA_BYTES
        : naturalNumber(values['max-bytes'], '--max-bytes', 1),
    skipMalformed: values['skip-malformed'] === true,
  };
}

/** Every option sona-bench takes; `--field` is the one that repeats. */
const OPTIONS = {
  mode: { type: 'string', value: '<quick|default|full>' },
  seed: { type: 'string', value: 'N' },
  profiles: { type: 'string', value: 'NAME' },
  env: { type: 'string', value: '<simulated|replay>' },
  out: { type: 'string', value: 'DIR' },
  workers: { type: 'string', value: 'N' },
  learner: { type: 'string', value: 'NAME' },
  compare: { type: 'string', value: 'NAME,...' },
  feedback: { type: 'string', value: '<bandit|full>' },
  budget: { type: 'string', value: 'EPOCHSxTASKS' },
  json: { type: 'boolean' },
  data: { type: 'string', value: 'FILE' },
  field: { type: 'string', value: 'NAME=PATH', multiple: true },
  arms: { type: 'string', value: 'A,B,...' },
  'cost-weight': { type: 'string', value: 'W' },
  'cost-weights': { type: 'string', value: 'W,...' },
  folds: { type: 'string', value: 'K' },
  'params-b': { type: 'string', value: 'B' },
  'max-bytes': { type: 'string', value: 'N' },
  'skip-malformed': { type: 'boolean' },
  version: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

import { createHash } from 'node:crypto';
import {
  accessSync,
  constants,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { canonicalHash } from '@sona/checkpoint';
import { SonaError } from '@sona/core';
import type { BenchmarkContent, BenchmarkResult } from '../protocol/result';

/** A data file's name without its extension, characters outside [A-Za-z0-9_-] as `_`. */
export function sourceStem(source: string): string {
  return (
    source
      .replace(/\.[^.]*$/, '')
      .replace(/[^A-Za-z0-9_-]+/g, '_')
      .slice(0, 80) || 'data'
  );
}

function shortHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 8);
}

/**
 * The result's file name. Simulated: `benchmark-<version>-<mode>.json`; replay:
 * `benchmark-replay-<data file stem>-<version>-<mode>.json`. Then, when set: `-<learner>` for a
 * learner other than SONA, `-cw<w>` for a cost weight, `-cws<hash>` for frontier weights, `-full`
 * for full feedback, `-arms<hash>` for an arm restriction, `-k<folds>` and `-p<params>` for
 * non-default folds and model size: runs with different settings never overwrite each other.
 */
export function resultFileName(result: BenchmarkContent): string {
  const c = result.config;
  const env = result.environment;
  const parts =
    env.kind === 'replay'
      ? ['benchmark', 'replay', sourceStem(env.source.name), result.version, result.mode]
      : ['benchmark', result.version, result.mode];
  if (result.learner !== 'sona') parts.push(result.learner);
  if (c.costWeight !== 0) parts.push(`cw${c.costWeight}`);
  if (c.costWeights.length > 0) parts.push(`cws${shortHash(c.costWeights)}`);
  if (c.feedback === 'full') parts.push('full');
  if (env.kind === 'replay') {
    if (env.restriction !== null) parts.push(`arms${shortHash(env.restriction.arms)}`);
    if (env.requestedFolds !== 5) parts.push(`k${env.requestedFolds}`);
    if (env.paramsB !== 7) parts.push(`p${env.paramsB}`);
  }
  return `${parts.join('-')}.json`;
}

/**
 * Creates the output folder if needed and proves it can be written (by writing and removing a
 * probe file), before any work is done. Throws OUTPUT_UNWRITABLE with the reason. Folders are
 * made one level at a time from the nearest existing one (a recursive mkdir can loop forever
 * under /proc), and a path whose nearest existing ancestor is not a writable folder is refused
 * before anything is made.
 */
export function ensureWritableDirectory(dir: string): void {
  const target = resolve(dir);
  try {
    const missing: string[] = [];
    let existing = target;
    for (;;) {
      try {
        lstatSync(existing);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        missing.unshift(existing);
        const parent = dirname(existing);
        if (parent === existing) break;
        existing = parent;
      }
    }
    if (!statSync(existing).isDirectory()) throw new Error(`${existing} is not a directory`);
    accessSync(existing, constants.W_OK);
    for (const folder of missing) mkdirSync(folder);
    if (!statSync(target).isDirectory()) throw new Error('not a directory');
    accessSync(target, constants.W_OK);
    const probe = join(target, `.sona-bench-probe-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SonaError('OUTPUT_UNWRITABLE', `cannot write to output folder '${dir}': ${reason}`, {
      path: dir,
      cause: error,
    });
  }
}

/** Writes a file whole or not at all: a temporary file beside it, then a rename. */
export function writeFileAtomic(path: string, content: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, content);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new SonaError('OUTPUT_UNWRITABLE', `cannot write '${path}': ${String(error)}`, {
      path,
      cause: error,
    });
  }
}

/** Recomputes a parsed result's hash (everything but `resultHash` and `run`). */
export function computeResultHash(result: Record<string, unknown>): string {
  const { resultHash: _hash, run: _run, ...content } = result;
  return canonicalHash(content);
}

export interface LoadedResult {
  readonly file: string;
  readonly result: BenchmarkResult;
  /** Whether `resultHash` matches the content. */
  readonly hashOk: boolean;
}

/** Result files larger than this are not read into a report. */
const MAX_RESULT_BYTES = 256 * 1024 * 1024;

/**
 * Every `benchmark-*.json` in a folder that parses as a result of this package
 * (`sona-benchmark/2`), sorted by file name. Files that cannot be read, are too large or are of
 * another format (an older version of this package) are listed in `skipped` with the reason.
 */
export function loadResults(dir: string): { results: LoadedResult[]; skipped: string[] } {
  const results: LoadedResult[] = [];
  const skipped: string[] = [];
  const files = readdirSync(dir)
    .filter((f) => /^benchmark-.*\.json$/.test(f))
    .sort();
  for (const file of files) {
    try {
      const path = join(dir, file);
      const stat = lstatSync(path);
      if (!stat.isFile()) {
        skipped.push(`${file}: not a regular file`);
        continue;
      }
      if (stat.size > MAX_RESULT_BYTES) {
        skipped.push(`${file}: larger than ${MAX_RESULT_BYTES} bytes`);
        continue;
      }
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      if (parsed === null || typeof parsed !== 'object' || parsed.format !== 'sona-benchmark/2') {
        skipped.push(
          `${file}: not a sona-benchmark/2 result${
            typeof parsed?.format === 'string'
              ? ` (format ${String(parsed.format)}: written by an older @sona/bench?)`
              : ''
          }`,
        );
        continue;
      }
      const problem = resultShapeProblem(parsed);
      if (problem !== undefined) {
        skipped.push(`${file}: ${problem}`);
        continue;
      }
      const hashOk = computeResultHash(parsed) === parsed.resultHash;
      results.push({ file, result: parsed as unknown as BenchmarkResult, hashOk });
    } catch (error) {
      skipped.push(`${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { results, skipped };
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
const isCi = (v: unknown): boolean => Array.isArray(v) && v.length === 2 && v.every(isNumber);
const isEstimate = (v: unknown): boolean => isObject(v) && isNumber(v.rate) && isCi(v.ci);
const isString = (v: unknown): v is string => typeof v === 'string';

function policyProblem(p: unknown, hasCost: boolean): boolean {
  return (
    !isObject(p) ||
    !isString(p.name) ||
    !isNumber(p.tasks) ||
    !isNumber(p.rate) ||
    !isCi(p.ci) ||
    (hasCost && (!isNumber(p.meanCost) || !isCi(p.costCi))) ||
    !(p.utility === null || isEstimate(p.utility))
  );
}

function calibrationProblem(c: unknown): boolean {
  return (
    !isObject(c) ||
    !isNumber(c.mean) ||
    !isNumber(c.ece) ||
    !isNumber(c.brier) ||
    !Array.isArray(c.bins) ||
    !c.bins.every(
      (b) =>
        isObject(b) &&
        isNumber(b.lower) &&
        isNumber(b.upper) &&
        isNumber(b.count) &&
        (b.count === 0 || (isNumber(b.meanConfidence) && isNumber(b.meanOutcome))),
    )
  );
}

function summaryProblem(s: unknown): boolean {
  return (
    !isObject(s) ||
    !isEstimate(s.learned) ||
    !(s.captured === null || isNumber(s.captured)) ||
    !isNumber(s.worstEce) ||
    !isNumber(s.meanBrier) ||
    calibrationProblem(s.calibration)
  );
}

/**
 * The first field the reports need that a parsed result lacks (edited by hand, or cut short),
 * or undefined when it has them all.
 */
export function resultShapeProblem(r: Record<string, unknown>): string | undefined {
  if (!['v1', 'v2', 'v3'].includes(r.version as string)) return 'version is not v1, v2 or v3';
  for (const key of ['mode', 'learner', 'title', 'resultHash'] as const) {
    if (!isString(r[key])) return `${key} is missing`;
  }
  if (typeof r.simulated !== 'boolean') return 'simulated is missing';
  if (!isNumber(r.seed)) return 'seed is missing';
  const config = r.config;
  const env = r.environment;
  if (!isObject(config)) return 'config is missing';
  for (const key of [
    'epochs',
    'tasksPerEpoch',
    'folds',
    'bootstrapResamples',
    'level',
    'costWeight',
  ] as const) {
    if (!isNumber(config[key])) return `config.${key} is missing`;
  }
  if (
    !Array.isArray(config.ablations) ||
    !Array.isArray(config.costWeights) ||
    !Array.isArray(config.arms)
  ) {
    return 'config.ablations, costWeights or arms is missing';
  }
  if (!isObject(env) || (env.kind !== 'simulated' && env.kind !== 'replay'))
    return 'environment is missing';
  if (env.kind === 'simulated' && (!Array.isArray(env.profiles) || !isString(env.profileSet))) {
    return 'environment.profiles is missing';
  }
  if (env.kind === 'replay') {
    if (!isObject(env.source) || !isString(env.source.sha256) || !isString(env.source.name)) {
      return 'environment.source is incomplete';
    }
    if (
      !isObject(env.fields) ||
      !Array.isArray(env.types) ||
      !isObject(env.skipped) ||
      !isObject(env.embeddings)
    ) {
      return 'environment.fields, types, skipped or embeddings is missing';
    }
  }
  const hasCost = env.kind === 'replay' && isObject(env.fields) && isString(env.fields.cost);
  const evaluation = r.evaluation;
  if (!isObject(evaluation) || !Array.isArray(evaluation.taskIds))
    return 'evaluation.taskIds is missing';
  if (!Array.isArray(r.models) || r.models.length === 0) return 'models are missing';
  for (const [i, m] of r.models.entries()) {
    const where = `models[${i}]`;
    if (!isObject(m) || !isString(m.name) || !isNumber(m.paramsB))
      return `${where} has no name or size`;
    for (const key of ['learned', 'base', 'oracle'] as const) {
      if (policyProblem(m[key], hasCost)) return `${where}.${key} is not a policy with an interval`;
    }
    if (!Array.isArray(m.fixedArms) || m.fixedArms.some((p) => policyProblem(p, hasCost))) {
      return `${where}.fixedArms are incomplete`;
    }
    if (!isEstimate(m.gain) || !(m.captured === null || isEstimate(m.captured))) {
      return `${where}.gain or captured is incomplete`;
    }
    if (calibrationProblem(m.confidence)) return `${where}.confidence is incomplete`;
    if (
      !Array.isArray(m.comparisons) ||
      !m.comparisons.every((c) => isObject(c) && isString(c.against) && isEstimate(c.difference))
    ) {
      return `${where}.comparisons are incomplete`;
    }
    if (!Array.isArray(m.history) || !m.history.every((h) => isObject(h) && isEstimate(h.rate))) {
      return `${where}.history is incomplete`;
    }
    if (
      !Array.isArray(m.ablations) ||
      !m.ablations.every(
        (a) => isObject(a) && isString(a.key) && isEstimate(a.difference) && isEstimate(a.learned),
      )
    ) {
      return `${where}.ablations are incomplete`;
    }
    if (
      !Array.isArray(m.heldOutLearned) ||
      m.heldOutLearned.length !== evaluation.taskIds.length ||
      !m.heldOutLearned.every(isNumber)
    ) {
      return `${where}.heldOutLearned does not match evaluation.taskIds`;
    }
    if (!(m.tasks === null || Array.isArray(m.tasks))) return `${where}.tasks is not a list`;
  }
  if (summaryProblem(r.summary)) return 'summary is incomplete';
  if (
    !Array.isArray(r.compared) ||
    !Array.isArray(r.versus) ||
    r.compared.length !== r.versus.length
  ) {
    return 'compared or versus is missing';
  }
  for (const [k, c] of r.compared.entries()) {
    const v = r.versus[k];
    if (
      !isObject(c) ||
      !isString(c.learner) ||
      summaryProblem(c.summary) ||
      !Array.isArray(c.models) ||
      c.models.length !== r.models.length ||
      !c.models.every(
        (m) =>
          isObject(m) && !policyProblem(m.learned, hasCost) && !calibrationProblem(m.confidence),
      )
    ) {
      return `compared[${k}] is incomplete`;
    }
    if (
      !isObject(v) ||
      v.against !== c.learner ||
      !isObject(v.mean) ||
      !isEstimate(v.mean.difference) ||
      !Array.isArray(v.models) ||
      v.models.length !== r.models.length ||
      !v.models.every((m) => isObject(m) && isEstimate(m.difference))
    ) {
      return `versus[${k}] is incomplete`;
    }
  }
  if (!Array.isArray(r.caveats) || !r.caveats.every(isString)) return 'caveats are missing';
  return undefined;
}

import {
  accessSync,
  constants,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { SonaError } from '@sona/core';
import type { BenchmarkResult } from '../protocol/result';
import type { ReplayResult } from '../replay/result';
import { canonicalHash } from './canonical-json';

/** `benchmark-<version>-<mode>.json` for SONA, with a `-<learner>` suffix for any other learner. */
export function resultFileName(version: string, mode: string, learner: string): string {
  return `benchmark-${version}-${mode}${learner === 'sona' ? '' : `-${learner}`}.json`;
}

/**
 * Creates the output folder if needed and proves it can be written (by writing and removing a
 * probe file), before any work is done. Throws OUTPUT_UNWRITABLE with the reason.
 */
export function ensureWritableDirectory(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    accessSync(dir, constants.W_OK);
    const probe = join(dir, `.sona-bench-probe-${process.pid}`);
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

export interface LoadedReplayResult {
  readonly file: string;
  readonly result: ReplayResult;
  readonly hashOk: boolean;
}

/** A data file's name without its extension, characters outside [A-Za-z0-9_-] as `_`. */
export function sourceStem(source: string): string {
  return source.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_-]+/g, '_') || 'data';
}

/** `benchmark-replay-<data file stem>-<version>-<mode>`, then `-<learner>` and `-cw<w>` when set. */
export function replayResultFileName(
  source: string,
  version: string,
  mode: string,
  learner: string,
  costWeight: number,
): string {
  const stem = sourceStem(source);
  const learnerPart = learner === 'sona' ? '' : `-${learner}`;
  const weightPart = costWeight === 0 ? '' : `-cw${costWeight}`;
  return `benchmark-replay-${stem}-${version}-${mode}${learnerPart}${weightPart}.json`;
}

/**
 * Every `benchmark-*.json` in a folder that parses as a result of this package, sorted by file
 * name: simulated results (`sona-benchmark/1`) in `results`, replay results (`sona-replay/1`) in
 * `replays`. Files that cannot be read or are of another format are listed in `skipped`.
 */
export function loadResults(dir: string): {
  results: LoadedResult[];
  replays: LoadedReplayResult[];
  skipped: string[];
} {
  const results: LoadedResult[] = [];
  const replays: LoadedReplayResult[] = [];
  const skipped: string[] = [];
  const files = readdirSync(dir)
    .filter((f) => /^benchmark-.*\.json$/.test(f))
    .sort();
  for (const file of files) {
    try {
      const parsed = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>;
      if (parsed !== null && typeof parsed === 'object' && parsed.format === 'sona-replay/1') {
        const problem = replayShapeProblem(parsed);
        if (problem !== undefined) {
          skipped.push(`${file}: ${problem}`);
          continue;
        }
        const hashOk = computeResultHash(parsed) === parsed.resultHash;
        replays.push({ file, result: parsed as unknown as ReplayResult, hashOk });
        continue;
      }
      if (parsed === null || typeof parsed !== 'object' || parsed.format !== 'sona-benchmark/1') {
        skipped.push(`${file}: not a sona-benchmark/1 or sona-replay/1 result`);
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
  return { results, replays, skipped };
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
const isEstimate = (v: unknown): boolean =>
  isObject(v) &&
  isNumber(v.rate) &&
  Array.isArray(v.ci) &&
  v.ci.length === 2 &&
  v.ci.every(isNumber);

/**
 * The first field the reports need that a parsed result lacks (a file from another version of
 * this package, or edited by hand), or undefined when it has them all.
 */
export function resultShapeProblem(r: Record<string, unknown>): string | undefined {
  const config = r.config;
  const environment = r.environment;
  const holdout = r.holdout;
  if (!['v1', 'v2', 'v3'].includes(r.version as string)) return 'version is not v1, v2 or v3';
  for (const key of ['mode', 'learner', 'title', 'resultHash'] as const) {
    if (typeof r[key] !== 'string') return `${key} is missing`;
  }
  if (!isNumber(r.seed)) return 'seed is missing';
  if (!isObject(config)) return 'config is missing';
  for (const key of [
    'epochs',
    'tasksPerEpoch',
    'poolSize',
    'holdoutTasks',
    'folds',
    'bootstrapResamples',
    'level',
  ] as const) {
    if (!isNumber(config[key])) return `config.${key} is missing`;
  }
  if (typeof config.profiles !== 'string' || !Array.isArray(config.ablations)) {
    return 'config.profiles or config.ablations is missing';
  }
  if (!isObject(environment) || !Array.isArray(environment.profiles)) {
    return 'environment.profiles is missing';
  }
  if (!isObject(holdout) || !Array.isArray(holdout.taskIds)) return 'holdout.taskIds is missing';
  if (!Array.isArray(r.models) || r.models.length === 0) return 'models are missing';
  for (const [i, m] of r.models.entries()) {
    const where = `models[${i}]`;
    if (!isObject(m) || typeof m.name !== 'string' || !isNumber(m.paramsB)) {
      return `${where} has no name or size`;
    }
    for (const key of [
      'base',
      'learned',
      'oracle',
      'gain',
      'captured',
      'efficiencyPerB',
    ] as const) {
      if (!isEstimate(m[key])) return `${where}.${key} is not a rate with an interval`;
    }
    if (calibrationProblem(m.confidence)) return `${where}.confidence is incomplete`;
    const cv = m.crossValidation;
    if (
      !isObject(cv) ||
      !isEstimate(cv.learned) ||
      !isEstimate(cv.base) ||
      !isEstimate(cv.oracle)
    ) {
      return `${where}.crossValidation is incomplete`;
    }
    if (!Array.isArray(m.history) || !m.history.every((h) => isObject(h) && isEstimate(h.valid))) {
      return `${where}.history is incomplete`;
    }
    if (
      !Array.isArray(m.ablations) ||
      !m.ablations.every(
        (a) =>
          isObject(a) &&
          typeof a.key === 'string' &&
          isEstimate(a.difference) &&
          isEstimate(a.learned),
      )
    ) {
      return `${where}.ablations are incomplete`;
    }
    if (
      !Array.isArray(m.holdoutLearned) ||
      m.holdoutLearned.length !== holdout.taskIds.length ||
      !m.holdoutLearned.every(isNumber)
    ) {
      return `${where}.holdoutLearned does not match holdout.taskIds`;
    }
  }
  if (summaryProblem(r.summary)) return 'summary is missing (a result of an older @sona/bench?)';
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
      typeof c.learner !== 'string' ||
      summaryProblem(c.summary) ||
      !Array.isArray(c.models) ||
      c.models.length !== r.models.length ||
      !c.models.every(
        (m) => isObject(m) && isEstimate(m.learned) && !calibrationProblem(m.confidence),
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
  return undefined;
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
    !isNumber(s.captured) ||
    !isNumber(s.worstEce) ||
    !isNumber(s.meanBrier) ||
    calibrationProblem(s.calibration)
  );
}

const isCi = (v: unknown): boolean => Array.isArray(v) && v.length === 2 && v.every(isNumber);

function policyProblem(p: unknown, where: string, hasCost: boolean): string | undefined {
  if (!isObject(p) || typeof p.name !== 'string' || !isNumber(p.tasks)) {
    return `${where} has no name or task count`;
  }
  if (!isNumber(p.rate) || !isCi(p.ci)) return `${where} is not a rate with an interval`;
  if (hasCost && (!isNumber(p.meanCost) || !isCi(p.costCi))) return `${where} has no cost`;
  if (p.utility !== null && !isEstimate(p.utility)) return `${where}.utility is not an estimate`;
  return undefined;
}

/** The first field the reports need that a parsed replay result lacks, or undefined. */
export function replayShapeProblem(r: Record<string, unknown>): string | undefined {
  if (!['v1', 'v2', 'v3'].includes(r.version as string)) return 'version is not v1, v2 or v3';
  for (const key of ['mode', 'learner', 'title', 'resultHash'] as const) {
    if (typeof r[key] !== 'string') return `${key} is missing`;
  }
  if (r.simulated !== false) return 'simulated is not false';
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
  if (!isObject(env) || env.kind !== 'replay' || !isObject(env.source) || !isObject(env.skipped)) {
    return 'environment is not a replay environment';
  }
  if (typeof env.source.sha256 !== 'string' || typeof env.source.name !== 'string') {
    return 'environment.source is incomplete';
  }
  for (const key of ['rowsUsed', 'rowsSkipped', 'tasks', 'folds'] as const) {
    if (!isNumber(env[key])) return `environment.${key} is missing`;
  }
  if (!Array.isArray(env.arms) || !Array.isArray(env.typeMap) || !isObject(env.fields)) {
    return 'environment.arms, typeMap or fields is missing';
  }
  const hasCost = typeof env.fields.cost === 'string';
  if (!Array.isArray(r.baselines) || r.baselines.length === 0) return 'baselines are missing';
  for (const [i, b] of r.baselines.entries()) {
    const problem = policyProblem(b, `baselines[${i}]`, hasCost);
    if (problem !== undefined) return problem;
  }
  const learned = policyProblem(r.learned, 'learned', hasCost);
  if (learned !== undefined) return learned;
  if (
    !Array.isArray(r.comparisons) ||
    !r.comparisons.every(
      (c) =>
        isObject(c) &&
        typeof c.against === 'string' &&
        isEstimate(c.difference) &&
        (c.utility === null || isEstimate(c.utility)),
    )
  ) {
    return 'comparisons are incomplete';
  }
  if (!Array.isArray(r.caveats) || !r.caveats.every((c) => typeof c === 'string')) {
    return 'caveats are missing';
  }
  if (r.captured !== null && !isEstimate(r.captured)) return 'captured is not an estimate';
  const c = r.confidence;
  if (!isObject(c) || !isNumber(c.mean) || !isNumber(c.ece) || !isNumber(c.brier)) {
    return 'confidence is incomplete';
  }
  if (
    r.pareto !== null &&
    !(Array.isArray(r.pareto) && r.pareto.every((p) => typeof p === 'string'))
  ) {
    return 'pareto is not a list of names';
  }
  if (!Array.isArray(r.history) || !r.history.every((h) => isObject(h) && isEstimate(h.heldOut))) {
    return 'history is incomplete';
  }
  if (
    !Array.isArray(r.tasks) ||
    r.tasks.length !== env.tasks ||
    !r.tasks.every(
      (t) =>
        isObject(t) &&
        typeof t.id === 'string' &&
        typeof t.learnedArm === 'string' &&
        isNumber(t.learnedSuccess) &&
        Array.isArray(t.arms),
    )
  ) {
    return 'tasks do not match environment.tasks';
  }
  return undefined;
}

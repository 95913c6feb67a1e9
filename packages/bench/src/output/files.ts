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

/**
 * Every `benchmark-*.json` in a folder that parses as a result of this format, sorted by file
 * name. Files that cannot be read or are of another format are listed in `skipped`.
 */
export function loadResults(dir: string): { results: LoadedResult[]; skipped: string[] } {
  const results: LoadedResult[] = [];
  const skipped: string[] = [];
  const files = readdirSync(dir)
    .filter((f) => /^benchmark-.*\.json$/.test(f))
    .sort();
  for (const file of files) {
    try {
      const parsed = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>;
      if (parsed === null || typeof parsed !== 'object' || parsed.format !== 'sona-benchmark/1') {
        skipped.push(`${file}: not a sona-benchmark/1 result`);
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

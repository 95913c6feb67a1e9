import { join } from 'node:path';
import { type Checkpoint, saveCheckpoint } from '@sona/checkpoint';
import { isSonaError, SonaError } from '@sona/core';
import type { BenchmarkResult } from '../protocol/result';
import { renderHtml, renderMarkdown } from './document';
import { ensureWritableDirectory, loadResults, resultFileName, writeFileAtomic } from './files';
import { buildReport } from './report';

export interface WrittenOutputs {
  readonly resultFile: string;
  readonly markdownFile: string;
  readonly htmlFile: string;
  /** Result files in the folder that the reports left out, with the reason. */
  readonly skipped: readonly string[];
}

/**
 * Writes the result (`resultFileName`) into the folder, then regenerates `report.md` and
 * `report.html` from every result file there (so a report compares versions once several have
 * run). Each file is written whole or not at all.
 */
export function writeBenchmarkOutputs(outDir: string, result: BenchmarkResult): WrittenOutputs {
  ensureWritableDirectory(outDir);
  const resultFile = join(outDir, resultFileName(result));
  writeFileAtomic(resultFile, `${JSON.stringify(result, null, 2)}\n`);
  return writeReports(outDir, resultFile);
}

/** Regenerates report.md and report.html from the result files in a folder. */
export function writeReports(outDir: string, resultFile = ''): WrittenOutputs {
  const { results, skipped } = loadResults(outDir);
  const doc = buildReport(results, skipped);
  const markdownFile = join(outDir, 'report.md');
  const htmlFile = join(outDir, 'report.html');
  writeFileAtomic(markdownFile, renderMarkdown(doc));
  writeFileAtomic(htmlFile, renderHtml(doc));
  return { resultFile, markdownFile, htmlFile, skipped };
}

/** `checkpoints/<model>_<version>.json`, with characters outside [A-Za-z0-9._-] as `_`. */
export function checkpointFileName(model: string, version: string): string {
  return `${model.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120)}_${version}.json`;
}

/** The folder checkpoints go to. */
export function checkpointFolder(outDir: string): string {
  return join(outDir, 'checkpoints');
}

/**
 * Saves one checkpoint per model into `<outDir>/checkpoints/` through @sona/checkpoint (atomic:
 * temporary file, fsync, rename). Returns the paths written. A folder or file that cannot be
 * written (a file named `checkpoints`, a full disk) is OUTPUT_UNWRITABLE, like the result files.
 */
export async function writeCheckpoints(
  outDir: string,
  version: string,
  checkpoints: readonly { readonly model: string; readonly checkpoint: Checkpoint }[],
): Promise<string[]> {
  const dir = checkpointFolder(outDir);
  ensureWritableDirectory(dir);
  const written: string[] = [];
  for (const { model, checkpoint } of checkpoints) {
    const file = join(dir, checkpointFileName(model, version));
    try {
      await saveCheckpoint(file, checkpoint);
    } catch (error) {
      if (!isSonaError(error, 'CHECKPOINT_IO')) throw error;
      throw new SonaError('OUTPUT_UNWRITABLE', error.message, {
        path: file,
        cause: error,
      });
    }
    written.push(file);
  }
  return written;
}

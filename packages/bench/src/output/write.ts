import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Checkpoint, saveCheckpoint } from '@sona/checkpoint';
import type { BenchmarkResult } from '../protocol/result';
import type { ReplayResult } from '../replay/result';
import {
  ensureWritableDirectory,
  loadResults,
  replayResultFileName,
  resultFileName,
  writeFileAtomic,
} from './files';
import { buildReportData } from './report-data';
import { renderHtmlReport } from './report-html';
import { renderMarkdownReport } from './report-markdown';

export interface WrittenOutputs {
  readonly resultFile: string;
  readonly markdownFile: string;
  readonly htmlFile: string;
  /** Result files in the folder that the reports left out, with the reason. */
  readonly skipped: readonly string[];
}

/**
 * Writes `benchmark-<version>-<mode>.json` into the folder, then regenerates `report.md` and
 * `report.html` from every result file there (so a report compares versions once several have
 * run). Each file is written whole or not at all.
 */
export function writeBenchmarkOutputs(outDir: string, result: BenchmarkResult): WrittenOutputs {
  ensureWritableDirectory(outDir);
  const resultFile = join(outDir, resultFileName(result.version, result.mode, result.learner));
  writeFileAtomic(resultFile, `${JSON.stringify(result, null, 2)}\n`);
  return writeReports(outDir, resultFile);
}

/**
 * Writes a replay result as `benchmark-replay-<data>-<version>-<mode>.json` (see
 * `replayResultFileName`), then regenerates the folder's reports.
 */
export function writeReplayOutputs(outDir: string, result: ReplayResult): WrittenOutputs {
  ensureWritableDirectory(outDir);
  const resultFile = join(
    outDir,
    replayResultFileName(
      result.environment.source.name,
      result.version,
      result.mode,
      result.learner,
      result.config.costWeight,
    ),
  );
  writeFileAtomic(resultFile, `${JSON.stringify(result, null, 2)}\n`);
  return writeReports(outDir, resultFile);
}

/** Regenerates report.md and report.html from the result files in a folder. */
export function writeReports(outDir: string, resultFile = ''): WrittenOutputs {
  const { results, replays, skipped } = loadResults(outDir);
  const data = buildReportData(results, skipped, replays);
  const markdownFile = join(outDir, 'report.md');
  const htmlFile = join(outDir, 'report.html');
  writeFileAtomic(markdownFile, renderMarkdownReport(data));
  writeFileAtomic(htmlFile, renderHtmlReport(data));
  return { resultFile, markdownFile, htmlFile, skipped };
}

/** `checkpoints/<model>_<version>.json`, with characters outside [A-Za-z0-9._-] as `_`. */
export function checkpointFileName(model: string, version: string): string {
  return `${model.replace(/[^A-Za-z0-9._-]/g, '_')}_${version}.json`;
}

/**
 * Saves one checkpoint per model into `<outDir>/checkpoints/` through @sona/checkpoint (atomic:
 * temporary file, fsync, rename). Returns the paths written.
 */
export async function writeCheckpoints(
  outDir: string,
  version: string,
  checkpoints: readonly { readonly model: string; readonly checkpoint: Checkpoint }[],
): Promise<string[]> {
  const dir = join(outDir, 'checkpoints');
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const { model, checkpoint } of checkpoints) {
    const file = join(dir, checkpointFileName(model, version));
    await saveCheckpoint(file, checkpoint);
    written.push(file);
  }
  return written;
}

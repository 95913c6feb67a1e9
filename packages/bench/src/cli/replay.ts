import { resolve } from 'node:path';
import { isSonaError, type SonaErrorCode } from '@sona/core';
import { resolveLearnerFactory } from '../learners/registry';
import { sonaCheckpoint } from '../learners/sona';
import { ensureWritableDirectory, sourceStem } from '../output/files';
import { comparisonWord, costText } from '../output/replay-report';
import { estimateText, learnerText, pointsText, ratioText } from '../output/report-data';
import { writeCheckpoints, writeReplayOutputs } from '../output/write';
import { schedule } from '../protocol/modes';
import { verdictOf } from '../protocol/result';
import { loadReplayData, type ReplayDataset } from '../replay/data';
import type { ReplayResult } from '../replay/result';
import { runReplayBenchmark } from '../replay/run';
import type { CliOptions, ReplayCliOptions } from './args';
import type { CliIo } from './main';
import { createProgress } from './progress';

/**
 * Problems with what the user gave (flags, data, mapping, output folder): exit 2. Everything
 * that goes wrong once the run has started is a run failure: exit 1.
 */
export const USAGE_ERROR_CODES: readonly SonaErrorCode[] = [
  'USAGE',
  'OUTPUT_UNWRITABLE',
  'DATA_NOT_FOUND',
  'FIELD_MAPPING',
  'DATA_MALFORMED',
  'NO_USABLE_ROWS',
];

function errorText(error: unknown): string {
  return isSonaError(error) ? `${error.code}: ${error.message}` : String(error);
}

/** `sona-bench <version> --env replay ...`: loads the log, runs the folds, writes the outputs. */
export async function replayCommand(
  options: CliOptions & { readonly replay: ReplayCliOptions },
  io: CliIo,
): Promise<number> {
  const outDir = resolve(io.cwd, options.out);
  const replay = options.replay;
  let dataset: ReplayDataset;
  try {
    ensureWritableDirectory(outDir);
    resolveLearnerFactory(options.learner);
    dataset = loadReplayData(resolve(io.cwd, replay.data), replay.fields, {
      skipMalformed: replay.skipMalformed,
    });
  } catch (error) {
    io.stderr.write(`sona-bench: ${errorText(error)}\n`);
    return isSonaError(error) && USAGE_ERROR_CODES.includes(error.code) ? 2 : 1;
  }
  const { epochs, tasksPerEpoch } = schedule(options.version, options.mode);
  const info = options.json ? io.stderr : io.stdout;
  const who = options.learner === 'sona' ? `SONA ${options.version}` : learnerText(options.learner);
  info.write(
    `Replay benchmark on real logged data (${dataset.source.name}): ${who}, ${options.mode} mode\n` +
      `data ${replay.data} (SHA-256 ${dataset.source.sha256.slice(0, 12)}…) · ${dataset.tasks.length} tasks · ` +
      `${dataset.rowsUsed} rows used, ${dataset.rowsSkipped} skipped · arms ${dataset.arms.join(', ')} · ` +
      `seed ${options.seed} · ${epochs} epochs × ${tasksPerEpoch} attempts per fold\n`,
  );
  const progress = createProgress(io.stderr, io.stderr.isTTY === true);
  try {
    const run = await runReplayBenchmark({
      version: options.version,
      mode: options.mode,
      seed: options.seed,
      folds: replay.folds,
      costWeight: replay.costWeight,
      modelParamsB: replay.modelParamsB,
      data: dataset,
      learner: options.learner,
      ...(options.workers === undefined ? {} : { workers: options.workers }),
      ...(io.workerUrl === undefined ? {} : { workerUrl: io.workerUrl }),
      onProgress: (done, total) => progress.update(done, total),
    });
    progress.finish();
    const result: ReplayResult = {
      ...run.result,
      run: { ...run.result.run, data: replay.data },
    };
    const written = writeReplayOutputs(outDir, result);
    const checkpointFiles =
      options.learner === 'sona'
        ? await writeCheckpoints(outDir, options.version, [
            {
              model: `replay-${sourceStem(dataset.source.name)}`,
              checkpoint: sonaCheckpoint(
                run.checkpoint,
                `replay:${dataset.source.name}`,
                options.seed,
              ),
            },
          ])
        : [];
    if (options.json) {
      io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      io.stdout.write(replaySummary(result));
    }
    info.write(
      `resultHash ${result.resultHash}\n` +
        `wrote ${written.resultFile}, ${written.markdownFile}, ${written.htmlFile} ` +
        `(${(result.run.wallMs / 1000).toFixed(1)} s, ${result.run.workers} worker${result.run.workers === 1 ? '' : 's'})\n` +
        (checkpointFiles.length > 0
          ? `checkpoint (fold-0 learner, verify with npx sona-checkpoint verify): ${checkpointFiles[0]}\n`
          : ''),
    );
    for (const s of written.skipped) io.stderr.write(`sona-bench: left out of the report: ${s}\n`);
    return 0;
  } catch (error) {
    progress.finish();
    io.stderr.write(`sona-bench: the run failed: ${errorText(error)}\n`);
    return isSonaError(error) && USAGE_ERROR_CODES.includes(error.code) ? 2 : 1;
  }
}

function pad(s: string, width: number): string {
  return s.length >= width ? s : s + ' '.repeat(width - s.length);
}

/** Plain-text table for the terminal: every policy, its paired difference, the caveats. */
export function replaySummary(result: ReplayResult): string {
  const n = result.environment.tasks;
  const hasCost = result.learned.meanCost !== null;
  const weighted = hasCost && result.config.costWeight > 0;
  const header = [
    'policy',
    'tasks',
    'pass rate [95% CI]',
    ...(hasCost ? ['mean cost'] : []),
    ...(weighted ? [`pass − ${result.config.costWeight}·cost`] : []),
    `${result.learned.name} minus it (paired)`,
  ];
  const rows = [result.learned, ...result.baselines].map((p) => {
    const c = result.comparisons.find((x) => x.against === p.name);
    return [
      p.name,
      p.tasks === n ? String(n) : `${p.tasks}/${n}`,
      estimateText(p),
      ...(hasCost ? [costText(p.meanCost!)] : []),
      ...(weighted ? [p.utility === null ? '' : p.utility.rate.toFixed(3)] : []),
      c === undefined
        ? ''
        : `${pointsText(c.difference)} ${comparisonWord(c.verdict)}` +
          (c.utility === null
            ? ''
            : `; pass − w·cost ${ratioText(c.utility, 3)} ${comparisonWord(verdictOf(c.utility))}`),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const lines = [header, ...rows].map((r) =>
    r
      .map((c, i) => pad(c, widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  const out = [
    `REAL LOGGED DATA: pass rates on ${n} held-out tasks (${result.config.folds}-fold cross-validation, 95% bootstrap CIs):`,
    ...lines,
  ];
  if (result.pareto !== null) {
    out.push(
      `Pareto frontier (pass rate vs mean ${result.environment.fields.cost}): ${result.pareto.join(' → ')}`,
    );
  }
  out.push(...result.caveats.map((c) => `note: ${c}`));
  return `${out.join('\n')}\n`;
}

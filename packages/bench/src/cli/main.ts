import { dirname, resolve } from 'node:path';
import { isSonaError } from '@sona/core';
import { resolveLearnerFactory } from '../learners/registry';
import { sonaCheckpoint } from '../learners/sona';
import { ensureWritableDirectory } from '../output/files';
import { comparisonWord } from '../output/replay-report';
import { estimateText, learnerText, pointsText, ratioText } from '../output/report-data';
import { writeBenchmarkOutputs, writeCheckpoints } from '../output/write';
import { runTitle } from '../protocol/assemble';
import { schedule } from '../protocol/modes';
import type { BenchmarkResult } from '../protocol/result';
import { runBenchmark } from '../runner/run';
import { parseCommandLine, USAGE } from './args';
import { createProgress } from './progress';
import { replayCommand } from './replay';

export interface CliIo {
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown; readonly isTTY?: boolean };
  readonly cwd: string;
  /** Overrides the worker entry (tests); defaults to dist/worker.js beside the CLI. */
  readonly workerUrl?: URL;
}

/**
 * Exit codes: 0 done, 1 the run failed, 2 a usage problem (flags, values, output folder; for
 * replay also missing, unmappable, malformed or unusable data).
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let command: ReturnType<typeof parseCommandLine>;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    io.stderr.write(`sona-bench: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (command.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const options = command.options;
  if (options.replay !== null) return replayCommand({ ...options, replay: options.replay }, io);
  const outDir = resolve(io.cwd, options.out);
  try {
    ensureWritableDirectory(outDir);
  } catch (error) {
    io.stderr.write(`sona-bench: ${(error as Error).message}\n`);
    return 2;
  }
  try {
    resolveLearnerFactory(options.learner);
  } catch (error) {
    io.stderr.write(`sona-bench: ${(error as Error).message}\n`);
    return 1;
  }

  const { epochs, tasksPerEpoch } = schedule(options.version, options.mode);
  const info = options.json ? io.stderr : io.stdout;
  info.write(
    `${runTitle(options.version, options.mode, options.learner)}\n` +
      `seed ${options.seed} · profiles ${options.profiles} · ${epochs} epochs × ${tasksPerEpoch} tasks · ` +
      `learner ${learnerText(options.learner)}` +
      (options.compare.length > 0 ? ` · compared with ${options.compare.join(', ')}` : '') +
      '\n',
  );
  const progress = createProgress(io.stderr, io.stderr.isTTY === true);
  let result: BenchmarkResult;
  try {
    const run = await runBenchmark({
      version: options.version,
      mode: options.mode,
      seed: options.seed,
      profiles: options.profiles,
      learner: options.learner,
      compare: options.compare,
      ...(options.workers === undefined ? {} : { workers: options.workers }),
      ...(io.workerUrl === undefined ? {} : { workerUrl: io.workerUrl }),
      onProgress: (done, total) => progress.update(done, total),
    });
    result = run.result;
    progress.finish();
    const written = writeBenchmarkOutputs(outDir, result);
    const checkpointFiles =
      options.learner === 'sona'
        ? await writeCheckpoints(
            outDir,
            options.version,
            run.checkpoints.map(({ model, state }) => ({
              model,
              checkpoint: sonaCheckpoint(state, model, options.seed),
            })),
          )
        : [];
    if (options.json) {
      io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      io.stdout.write(summaryTable(result));
    }
    info.write(
      `resultHash ${result.resultHash}\n` +
        `wrote ${written.resultFile}, ${written.markdownFile}, ${written.htmlFile} ` +
        `(${(result.run.wallMs / 1000).toFixed(1)} s, ${result.run.workers} worker${result.run.workers === 1 ? '' : 's'})\n` +
        (checkpointFiles.length > 0
          ? `checkpoints (fold-0 learner per model, verify with npx sona-checkpoint verify): ${dirname(checkpointFiles[0]!)}\n`
          : ''),
    );
    for (const s of written.skipped) io.stderr.write(`sona-bench: left out of the report: ${s}\n`);
    return 0;
  } catch (error) {
    progress.finish();
    const message = isSonaError(error) ? `${error.code}: ${error.message}` : String(error);
    io.stderr.write(`sona-bench: the run failed: ${message}\n`);
    return isSonaError(error, 'OUTPUT_UNWRITABLE') ? 2 : 1;
  }
}

function pad(s: string, width: number): string {
  return s.length >= width ? s : s + ' '.repeat(width - s.length);
}

/** Plain-text leaderboard for the terminal (SIMULATED in its title line). */
export function summaryTable(result: BenchmarkResult): string {
  const header = ['model', 'params', 'base', 'learned', 'oracle', 'captured'];
  const rows = [...result.models]
    .sort((a, b) => b.learned.rate - a.learned.rate || a.name.localeCompare(b.name))
    .map((m) => [
      m.name,
      `${m.paramsB}B`,
      estimateText(m.base),
      estimateText(m.learned),
      estimateText(m.oracle),
      ratioText(m.captured),
    ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const lines = [header, ...rows].map((r) =>
    r
      .map((c, i) => pad(c, widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  const out = [
    `SIMULATED results on ${result.config.holdoutTasks} held-out tasks (95% bootstrap CIs):`,
    ...lines,
  ];
  if (result.compared.length > 0) out.push(...comparisonLines(result));
  if (result.config.ablations.length > 0) {
    out.push('ablations (full v3 minus component off, paired; verdict per model):');
    for (const a of result.config.ablations) {
      const verdicts = result.models.map((m) => m.ablations.find((x) => x.key === a.key)!.verdict);
      const helps = verdicts.filter((v) => v === 'helps').length;
      out.push(`  ${pad(a.key, 12)} helps for ${helps}/${verdicts.length} models`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** The compared learners over all models, and the run's learner minus each, paired. */
function comparisonLines(result: BenchmarkResult): string[] {
  const own = result.learner === 'sona' ? `SONA ${result.version}` : result.learner;
  const header = [
    'learner',
    'mean learned over models',
    'captured',
    'worst ECE',
    `${own} minus it (paired)`,
  ];
  const rows = [
    [
      own,
      estimateText(result.summary.learned),
      result.summary.captured.toFixed(2),
      result.summary.worstEce.toFixed(3),
      '',
    ],
    ...result.compared.map((c, k) => {
      const v = result.versus[k]!;
      return [
        c.learner,
        estimateText(c.summary.learned),
        c.summary.captured.toFixed(2),
        c.summary.worstEce.toFixed(3),
        `${pointsText(v.mean.difference)} ${comparisonWord(v.mean.verdict)}`,
      ];
    }),
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [
    'compared in the same protocol (same tasks and attempt streams):',
    ...[header, ...rows].map(
      (r) =>
        `  ${r
          .map((c, i) => pad(c, widths[i]!))
          .join('  ')
          .trimEnd()}`,
    ),
  ];
}

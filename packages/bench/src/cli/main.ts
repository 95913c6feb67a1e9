import { dirname, resolve } from 'node:path';
import { isSonaError } from '@sona/core';
import {
  colorEnabled,
  createPaint,
  type Environment,
  escapeTerminal,
  formatUsageError,
  type Paint,
  type StyleName,
  terminalJson,
} from '@sona/core/cli';
import { version as PACKAGE_VERSION } from '../../package.json';
import { sonaCheckpoint } from '../learners/sona-checkpoint';
import { ensureWritableDirectory, sourceStem } from '../output/files';
import {
  comparisonWord,
  costText,
  estimateText,
  identical,
  learnerText,
  pointsText,
  ratioText,
} from '../output/format';
import { checkpointFolder, writeBenchmarkOutputs, writeCheckpoints } from '../output/write';
import { runTitle } from '../protocol/assemble';
import type { EnvironmentSpec } from '../protocol/context';
import { schedule } from '../protocol/modes';
import { type BenchmarkResult, type Verdict, verdictOf } from '../protocol/result';
import { loadReplayData, restrictArms } from '../replay/data';
import {
  type PreparedRun,
  prepareRun,
  type RunBenchmarkOptions,
  runBenchmark,
} from '../runner/run';
import type { Estimate } from '../stats/bootstrap';
import { parseCommandLine, USAGE } from './args';
import { createProgress } from './progress';

export interface CliIo {
  readonly stdout: { write(s: string): unknown; readonly isTTY?: boolean };
  readonly stderr: {
    write(s: string): unknown;
    readonly isTTY?: boolean;
    readonly columns?: number;
  };
  readonly cwd: string;
  /** The environment read for NO_COLOR, FORCE_COLOR and TERM; defaults to process.env. */
  readonly env?: Environment;
  /** Overrides the worker entry (tests); defaults to dist/worker.js beside the CLI. */
  readonly workerUrl?: URL;
}

/** Exit codes: one per class of problem, the same in both environments. */
export const EXIT = {
  done: 0,
  /** The run itself failed (a learner broke its contract, an internal error). */
  runFailed: 1,
  /** What was given is unusable: flags, values, data, the output folder (found before running, or on writing). */
  badInput: 2,
} as const;

/** Text from results or data made safe to print on a terminal (@sona/core's escapes). */
export const terminalText = escapeTerminal;

function errorText(error: unknown): string {
  return terminalText(isSonaError(error) ? `${error.code}: ${error.message}` : String(error));
}

/**
 * `sona-bench`: parses the command line, checks everything it was given (flags, the output
 * folder, the replay data, the learners against the data) before any learning starts, runs the
 * protocol, writes the result, the reports and (for SONA) one checkpoint per model.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let command: ReturnType<typeof parseCommandLine>;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    if (!isSonaError(error, 'USAGE')) throw error;
    io.stderr.write(formatUsageError(error, 'sona-bench'));
    return EXIT.badInput;
  }
  if (command.help) {
    io.stdout.write(USAGE);
    return EXIT.done;
  }
  if (command.version === true) {
    io.stdout.write(`sona-bench ${PACKAGE_VERSION}\n`);
    return EXIT.done;
  }
  const options = command.options;
  const outDir = resolve(io.cwd, options.out);
  let runOptions: RunBenchmarkOptions;
  let prepared: PreparedRun;
  try {
    ensureWritableDirectory(outDir);
    if (options.learner === 'sona') ensureWritableDirectory(checkpointFolder(outDir));
    let environment: EnvironmentSpec;
    if (options.replay === null) {
      environment = { kind: 'simulated', profiles: options.profiles };
    } else {
      const r = options.replay;
      let dataset = loadReplayData(resolve(io.cwd, r.data), r.fields, {
        skipMalformed: r.skipMalformed,
        maxBytes: r.maxBytes,
      });
      if (r.arms !== null) dataset = restrictArms(dataset, r.arms);
      environment = { kind: 'replay', dataset, folds: r.folds, paramsB: r.modelParamsB };
    }
    runOptions = {
      version: options.version,
      mode: options.mode,
      seed: options.seed,
      environment,
      learner: options.learner,
      compare: options.compare,
      feedback: options.feedback,
      ...(options.budget === null ? {} : { budget: options.budget }),
      costWeight: options.costWeight,
      ...(options.replay === null
        ? {}
        : { costWeights: options.replay.costWeights, dataPath: options.replay.data }),
      ...(options.workers === undefined ? {} : { workers: options.workers }),
      ...(io.workerUrl === undefined ? {} : { workerUrl: io.workerUrl }),
    };
    prepared = prepareRun(runOptions);
  } catch (error) {
    io.stderr.write(`sona-bench: ${errorText(error)}\n`);
    return isSonaError(error) ? EXIT.badInput : EXIT.runFailed;
  }
  const { epochs, tasksPerEpoch } = options.budget ?? schedule(options.version, options.mode);
  const info = options.json ? io.stderr : io.stdout;
  const environment = runOptions.environment!;
  const header =
    environment.kind === 'replay'
      ? (() => {
          const d = environment.dataset;
          return (
            `${runTitle(options.version, options.mode, options.learner, d.source.name)}\n` +
            `data ${options.replay!.data} (SHA-256 ${d.source.sha256.slice(0, 12)}…) · ${d.tasks.length} tasks · ` +
            `${d.rowsUsed} rows used, ${d.rowsSkipped} skipped · arms ${d.arms.join(', ')} · `
          );
        })()
      : `${runTitle(options.version, options.mode, options.learner)}\nprofiles ${options.profiles} · `;
  info.write(
    header.split('\n').map(terminalText).join('\n') +
      `seed ${options.seed} · ${epochs} epochs × ${tasksPerEpoch} attempts per fold learner · ${options.feedback} feedback · ` +
      `learner ${learnerText(options.learner)}` +
      (options.compare.length > 0 ? ` · compared with ${options.compare.join(', ')}` : '') +
      '\n',
  );
  const env = io.env ?? process.env;
  const progress = createProgress(io.stderr, {
    tty: io.stderr.isTTY === true && env.TERM !== 'dumb',
  });
  const paint = createPaint(colorEnabled(io.stdout, env));
  try {
    const run = await runBenchmark(
      { ...runOptions, onProgress: (done, total) => progress.update(done, total) },
      prepared,
    );
    progress.finish();
    const result = run.result;
    const written = writeBenchmarkOutputs(outDir, result);
    const checkpointFiles =
      options.learner === 'sona'
        ? await writeCheckpoints(
            outDir,
            options.version,
            run.checkpoints.map(({ model, state }) => {
              const name = environment.kind === 'replay' ? `replay-${sourceStem(model)}` : model;
              return {
                model: name,
                checkpoint: sonaCheckpoint(
                  state,
                  environment.kind === 'replay' ? `replay:${model}` : model,
                  options.seed,
                ),
              };
            }),
          )
        : [];
    io.stdout.write(options.json ? `${terminalJson(result, 2)}\n` : summaryText(result, paint));
    const files = [written.resultFile, written.markdownFile, written.htmlFile].map(terminalText);
    info.write(
      `resultHash ${result.resultHash}\n` +
        `wrote ${files.join(', ')} ` +
        `(${(result.run.wallMs / 1000).toFixed(1)} s, ${result.run.workers} worker${result.run.workers === 1 ? '' : 's'}, SIMD backend ${result.run.simdBackend})\n` +
        (checkpointFiles.length > 0
          ? `checkpoint${checkpointFiles.length === 1 ? '' : 's'} (fold-0 learner per model, verify with npx sona-checkpoint verify): ${terminalText(checkpointFiles.length === 1 ? checkpointFiles[0]! : dirname(checkpointFiles[0]!))}\n`
          : ''),
    );
    for (const s of written.skipped)
      io.stderr.write(`sona-bench: left out of the report: ${terminalText(s)}\n`);
    return EXIT.done;
  } catch (error) {
    progress.finish();
    io.stderr.write(`sona-bench: the run failed: ${errorText(error)}\n`);
    return isSonaError(error, 'OUTPUT_UNWRITABLE') ? EXIT.badInput : EXIT.runFailed;
  }
}

function pad(s: string, width: number): string {
  return s.length >= width ? s : s + ' '.repeat(width - s.length);
}

/** A table cell: its text, and the style its verdict is shown in on a colour terminal. */
type Cell = string | { readonly text: string; readonly style: StyleName | null };

function verdictCell(text: string, verdict: Verdict, difference?: Estimate): Cell {
  const identicalChoices = difference !== undefined && identical(difference);
  return {
    text,
    style: identicalChoices
      ? null
      : verdict === 'helps'
        ? 'green'
        : verdict === 'hurts'
          ? 'red'
          : null,
  };
}

/** Aligned rows: each cell escaped for the terminal, padded, then painted (so colour never shifts a column). */
function columns(rows: readonly (readonly Cell[])[], paint: Paint, indent = ''): string[] {
  const cells = rows.map((r) =>
    r.map((c) =>
      typeof c === 'string'
        ? { text: terminalText(c), style: null }
        : { text: terminalText(c.text), style: c.style },
    ),
  );
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => r[i]!.text.length)));
  return cells.map((r) => {
    const last = r.map((c) => c.text !== '').lastIndexOf(true);
    return `${indent}${r
      .slice(0, last + 1)
      .map((c, i) => {
        const text = i === last ? c.text : pad(c.text, widths[i]!);
        return c.style === null ? text : paint(c.style, c.text) + text.slice(c.text.length);
      })
      .join('  ')}`;
  });
}

/**
 * Plain text for the terminal: the figures, the comparisons, the caveats (names escaped). With a
 * `paint` that colours (a colour terminal), verdicts show green (better) and red (worse).
 */
export function summaryText(result: BenchmarkResult, paint: Paint = createPaint(false)): string {
  const out: string[] = [];
  const line = (text: string) => out.push(terminalText(text));
  const n = result.evaluation.taskIds.length;
  if (result.simulated) {
    line(`SIMULATED results on ${n} held-out tasks (95% bootstrap CIs):`);
    const models = [...result.models].sort(
      (a, b) => b.learned.rate - a.learned.rate || a.name.localeCompare(b.name),
    );
    out.push(
      ...columns(
        [
          ['model', 'params', 'base', 'learned', 'oracle', 'captured'],
          ...models.map((m) => [
            m.name,
            `${m.paramsB}B`,
            estimateText(m.base),
            estimateText(m.learned),
            estimateText(m.oracle),
            m.captured === null ? '—' : ratioText(m.captured),
          ]),
        ],
        paint,
      ),
    );
  } else {
    const model = result.models[0]!;
    const hasCost = model.learned.meanCost !== null;
    const weighted = hasCost && result.config.costWeight > 0;
    line(
      `REAL LOGGED DATA: pass rates on ${n} held-out tasks (${result.config.folds}-fold cross-validation, 95% bootstrap CIs):`,
    );
    const policies = [
      model.learned,
      ...result.compared.map((c) => c.models[0]!.learned),
      ...model.fixedArms.filter((p) => p.tasks > 0),
      model.base,
      model.oracle,
    ];
    out.push(
      ...columns(
        [
          [
            'policy',
            'tasks',
            'pass rate [95% CI]',
            ...(hasCost ? ['mean cost'] : []),
            ...(weighted ? [`pass − ${result.config.costWeight}·cost`] : []),
            `${model.learned.name} minus it (paired)`,
          ],
          ...policies.map((p) => {
            const c = model.comparisons.find((x) => x.against === p.name);
            return [
              p.name,
              p.tasks === n ? String(n) : `${p.tasks}/${n}`,
              estimateText(p),
              ...(hasCost ? [costText(p.meanCost!)] : []),
              ...(weighted ? [p.utility === null ? '' : p.utility.rate.toFixed(3)] : []),
              c === undefined
                ? ''
                : verdictCell(
                    `${pointsText(c.difference)} ${comparisonWord(c.verdict, c.difference)}` +
                      (c.utility === null
                        ? ''
                        : `; pass − w·cost ${ratioText(c.utility, 3)} ${comparisonWord(verdictOf(c.utility))}`),
                    c.verdict,
                    c.difference,
                  ),
            ];
          }),
        ],
        paint,
      ),
    );
    if (model.pareto !== null)
      line(`Pareto frontier (pass rate vs mean cost): ${model.pareto.join(' → ')}`);
  }
  if (result.compared.length > 0) {
    const own = result.learner === 'sona' ? `SONA ${result.version}` : result.learner;
    const many = result.models.length > 1;
    line('compared in the same protocol (same tasks, attempt streams and feedback):');
    out.push(
      ...columns(
        [
          [
            'learner',
            many ? 'mean learned over models' : 'learned',
            'captured',
            many ? 'worst ECE' : 'ECE',
            `${own} minus it (paired)`,
          ],
          [
            own,
            estimateText(result.summary.learned),
            result.summary.captured?.toFixed(2) ?? '—',
            result.summary.worstEce.toFixed(3),
            '',
          ],
          ...result.compared.map((c, k) => {
            const v = result.versus[k]!;
            return [
              c.learner,
              estimateText(c.summary.learned),
              c.summary.captured?.toFixed(2) ?? '—',
              c.summary.worstEce.toFixed(3),
              verdictCell(
                `${pointsText(v.mean.difference)} ${comparisonWord(v.mean.verdict, v.mean.difference)}`,
                v.mean.verdict,
                v.mean.difference,
              ),
            ];
          }),
        ],
        paint,
        '  ',
      ),
    );
  }
  for (const model of result.models) {
    const aiq = model.frontier?.aiq;
    if (aiq !== null && aiq !== undefined) {
      line(
        `AIQ ${model.learned.name} ${ratioText(aiq.policy, 3)} vs the fixed-arm hull ${ratioText(aiq.hull, 3)}: ` +
          `${ratioText(aiq.difference, 3)} ${comparisonWord(aiq.verdict)}`,
      );
    }
  }
  if (result.config.ablations.length > 0) {
    line('ablations (full v3 minus component off, paired; verdict per model):');
    for (const a of result.config.ablations) {
      const verdicts = result.models.map((m) => m.ablations.find((x) => x.key === a.key)!.verdict);
      const helps = verdicts.filter((v) => v === 'helps').length;
      line(`  ${pad(a.key, 12)} helps for ${helps}/${verdicts.length} models`);
    }
  }
  for (const c of result.caveats) line(`note: ${c}`);
  return `${out.join('\n')}\n`;
}

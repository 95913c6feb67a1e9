import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeSource, loadReplayData, parseReplayData } from '../replay/data';
import { runReplayBenchmark } from '../replay/run';
import { runBenchmark } from '../runner/run';
import { HYBRID_FIELDS, hybridLogPath } from '../test-support/hybrid-log';
import { computeResultHash, loadResults } from './files';
import { costText, niceStep } from './replay-report';
import { writeBenchmarkOutputs, writeReplayOutputs } from './write';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sona-replay-report-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function replay(version: 'v1' | 'v3', fields: Record<string, string> = HYBRID_FIELDS) {
  const data = loadReplayData(hybridLogPath(), fields as typeof HYBRID_FIELDS);
  return (
    await runReplayBenchmark({
      version,
      mode: 'quick',
      seed: 4,
      data,
      learner: 'random',
      workers: 0,
    })
  ).result;
}

describe('replay results and reports', () => {
  let dir: string;
  let markdown: string;
  let html: string;

  beforeAll(async () => {
    dir = tempDir();
    for (const version of ['v1', 'v3'] as const) writeReplayOutputs(dir, await replay(version));
    writeFileSync(
      join(dir, 'benchmark-replay-broken.json'),
      JSON.stringify({ format: 'sona-replay/1', version: 'v1', mode: 'quick' }),
    );
    const last = writeReplayOutputs(dir, await replay('v3'));
    expect(last.skipped).toHaveLength(1);
    markdown = readFileSync(join(dir, 'report.md'), 'utf8');
    html = readFileSync(join(dir, 'report.html'), 'utf8');
  });

  it('writes result files named by data, version, mode and learner, whose hash verifies', () => {
    const { results, replays, skipped } = loadResults(dir);
    expect(results).toEqual([]);
    expect(replays.map((r) => r.file)).toEqual([
      'benchmark-replay-raw-v1-quick-random.json',
      'benchmark-replay-raw-v3-quick-random.json',
    ]);
    expect(replays.every((r) => r.hashOk)).toBe(true);
    expect(skipped[0]).toMatch(/benchmark-replay-broken\.json: learner is missing/);
    const parsed = JSON.parse(readFileSync(join(dir, replays[0]!.file), 'utf8'));
    expect(computeResultHash(parsed)).toBe(parsed.resultHash);
    parsed.run.data = '/elsewhere/raw.jsonl'; // where the file was read from is not hashed
    expect(computeResultHash(parsed)).toBe(parsed.resultHash);
    parsed.baselines[0].rate += 0.01;
    expect(computeResultHash(parsed)).not.toBe(parsed.resultHash);
  });

  it('report.md is titled real logged data, never SIMULATED, and says how few tasks and how wide', () => {
    expect(markdown.split('\n')[0]).toBe(
      '# Replay benchmark report (@sona/bench): real logged data',
    );
    expect(markdown).not.toContain('SIMULATED');
    expect(markdown).toContain('> **REAL LOGGED DATA.**');
    expect(markdown).toContain('There are only 30 tasks, so every interval is wide');
    expect(markdown).toContain('- Only 30 tasks (153 logged rows used, 27 skipped)');
    expect(markdown).toMatch(
      /- The 95% confidence intervals are wide: they span from \d+\.\d percentage points/,
    );
    expect(markdown).toContain('- always:R4 is scored on the 10 of 30 tasks that logged R4');
    expect(markdown).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('report.md has every policy with its CI and cost, the frontier, paired comparisons and versions', () => {
    expect(markdown).toContain('### Pass rate and cost on held-out tasks');
    for (const name of [
      '**random-learner:v1**',
      '**random-learner:v3**',
      'always:R1',
      'always:R4',
    ]) {
      expect(markdown).toContain(`| ${name} |`);
    }
    expect(markdown).toMatch(/\| always:R4 \| 10 of 30 \| 40\.0% \[\d+\.\d, \d+\.\d\] \| 5399 \[/);
    expect(markdown).toMatch(
      /Pareto frontier \(pass rate against mean cost, policies scored on every task\): /,
    );
    expect(markdown).toContain(
      '### Learned policy minus each baseline (paired over the tasks both are scored on)',
    );
    expect(markdown).toMatch(/\| v3 − v1 \| [+-]?\d+\.\d pts \[/);
    expect(markdown).toContain(
      '### Per task (logged successes/trials per arm; the arm each version chose)',
    );
    expect(markdown).toContain('| humaneval-plus/HumanEval_99 | A |');
  });

  it('report.html is one self-contained page with the frontier chart and no SIMULATED banner', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain(
      '<title>Replay benchmark report: real logged data · @sona/bench</title>',
    );
    expect(html).toContain('<div class="banner replay"><strong>REAL LOGGED DATA</strong>');
    expect(html).not.toContain('SIMULATED');
    expect(html).toContain('aria-label="Pass rate against cost (Pareto frontier)"');
    expect(html).toContain('stroke-dasharray="5 4"'); // the frontier line
    expect(html).not.toMatch(/<script|<link|src="http|href="http|@import/);
    expect(html).not.toMatch(/NaN|undefined|Infinity/);
    expect((html.match(/<svg/g) ?? []).length).toBe((html.match(/<\/svg>/g) ?? []).length);
  });

  it('without a cost field, shows pass-rate bars and no frontier', async () => {
    const d = tempDir();
    const { cost: _cost, ...fields } = HYBRID_FIELDS;
    writeReplayOutputs(d, await replay('v1', fields));
    const page = readFileSync(join(d, 'report.html'), 'utf8');
    expect(page).toContain('aria-label="Pass rate by policy"');
    expect(page).not.toContain('Pareto frontier)"');
    expect(readFileSync(join(d, 'report.md'), 'utf8')).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('a folder with simulated and replay results labels each kind in its own sections', async () => {
    const d = tempDir();
    writeReplayOutputs(d, await replay('v1'));
    const { result } = await runBenchmark({
      version: 'v1',
      mode: 'quick',
      seed: 5,
      profiles: {
        name: 'one',
        description: 'one profile',
        models: [{ name: 'm', paramsB: 1.5, baseRate: 0.3 }],
      },
      learner: 'random',
      workers: 0,
    });
    writeBenchmarkOutputs(d, result);
    const md = readFileSync(join(d, 'report.md'), 'utf8');
    expect(md.split('\n')[0]).toBe(
      '# Benchmark report (@sona/bench): SIMULATED and real logged data',
    );
    const headings = md.split('\n').filter((l) => l.startsWith('## '));
    expect(headings.filter((h) => h.includes('SIMULATED')).length).toBeGreaterThan(0);
    expect(headings.filter((h) => h.startsWith('## Real logged data: raw.jsonl'))).toHaveLength(1);
    for (const h of headings)
      expect(h.includes('SIMULATED') !== h.startsWith('## Real logged')).toBe(true);
    const page = readFileSync(join(d, 'report.html'), 'utf8');
    expect(page).toContain('<strong>SIMULATED</strong> and <strong>REAL</strong>');
  });
});

describe('hostile names in the data', () => {
  it('are escaped in report.html and cannot break report.md tables', async () => {
    const rows = [
      { t: 'a|b', a: '<b>x</b>', ok: true, k: 'A|"B"' },
      { t: 'a|b', a: 'y', ok: false, k: 'A|"B"' },
      { t: '<script>alert(1)</script>', a: '<b>x</b>', ok: false, k: 'C' },
      { t: '<script>alert(1)</script>', a: 'y', ok: true, k: 'C' },
    ];
    const content = rows.map((r) => JSON.stringify(r)).join('\n');
    const data = parseReplayData(
      content,
      { task: 't', arm: 'a', success: 'ok', type: 'k' },
      describeSource('odd|name.jsonl', content),
    );
    const { result } = await runReplayBenchmark({
      version: 'v1',
      mode: 'quick',
      seed: 1,
      data,
      learner: 'random',
      workers: 0,
    });
    const d = tempDir();
    writeReplayOutputs(d, result);
    const page = readFileSync(join(d, 'report.html'), 'utf8');
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<b>x</b>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const md = readFileSync(join(d, 'report.md'), 'utf8');
    const taskRow = md.split('\n').find((l) => l.startsWith('| a\\|b |'))!;
    // Cells split on unescaped pipes only: the row has as many cells as its header.
    const cells = (line: string) => line.split(/(?<!\\)\|/).length;
    const header = md.split('\n').find((l) => l.startsWith('| Task | Type | Fold |'))!;
    expect(cells(taskRow)).toBe(cells(header));
  });
});

describe('report formatting helpers', () => {
  it('costText keeps whole tokens and three significant digits below 1000', () => {
    expect(costText(0)).toBe('0');
    expect(costText(3453.47)).toBe('3453');
    expect(costText(0.012345)).toBe('0.0123');
    expect(costText(12.5)).toBe('12.5');
  });

  it('niceStep is the smallest 1, 2 or 5 times a power of ten at least its argument', () => {
    expect([0.3, 1, 1.2, 3, 7, 1367, 0.004].map(niceStep)).toEqual([0.5, 1, 2, 5, 10, 2000, 0.005]);
  });
});

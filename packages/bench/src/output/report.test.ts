import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBenchmark } from '../runner/run';
import { computeResultHash, loadResults } from './files';
import { writeBenchmarkOutputs, writeReports } from './write';

describe('result files and reports', () => {
  let dir: string;
  let markdown: string;
  let html: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sona-bench-report-'));
    for (const version of ['v1', 'v3'] as const) {
      const { result } = await runBenchmark({
        version,
        mode: 'quick',
        seed: 5,
        profiles: 'reference-small',
        learner: 'random',
        workers: 0,
        // v3: the ablations a learner that ignores overrides would skip, and one compared learner.
        ...(version === 'v3' ? { ablations: true, compare: ['thompson'] } : {}),
      });
      writeBenchmarkOutputs(dir, result);
    }
    writeFileSync(join(dir, 'benchmark-broken.json'), '{"format": "sona-benchmark/1", ');
    writeFileSync(
      join(dir, 'benchmark-old.json'),
      JSON.stringify({ format: 'sona-benchmark/1', version: 'v2', mode: 'quick', models: [] }),
    );
    writeReports(dir);
    markdown = readFileSync(join(dir, 'report.md'), 'utf8');
    html = readFileSync(join(dir, 'report.html'), 'utf8');
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes result files whose resultHash verifies, named by version, mode and learner', () => {
    const { results, skipped } = loadResults(dir);
    expect(results.map((r) => r.file)).toEqual([
      'benchmark-v1-quick-random.json',
      'benchmark-v3-quick-random.json',
    ]);
    expect(results.every((r) => r.hashOk)).toBe(true);
    expect(skipped).toHaveLength(2);
    expect(skipped[0]).toContain('benchmark-broken.json');
    expect(skipped[1]).toMatch(/benchmark-old.json: learner is missing/);
    const parsed = JSON.parse(readFileSync(join(dir, results[0]!.file), 'utf8'));
    expect(computeResultHash(parsed)).toBe(parsed.resultHash);
    expect(parsed.environment.simulated).toBe(true);
    // the random learner has no adapter, so no rank to report
    expect(parsed.models.every((m: { loraRank: unknown }) => m.loraRank === null)).toBe(true);
    // Timings live outside the hash: changing them keeps the hash valid.
    parsed.run.wallMs += 1000;
    expect(computeResultHash(parsed)).toBe(parsed.resultHash);
    parsed.models[0].learned.rate += 0.01;
    expect(computeResultHash(parsed)).not.toBe(parsed.resultHash);
  });

  it('report.md says SIMULATED in its title and beside every section', () => {
    expect(markdown.split('\n')[0]).toBe('# SIMULATED benchmark report (@sona/bench)');
    for (const line of markdown.split('\n').filter((l) => l.startsWith('## '))) {
      if (line !== '## Files not included') expect(line).toContain('SIMULATED');
    }
  });

  it('report.md has both leaderboards with intervals, the version comparison and the ablations', () => {
    expect(markdown).toContain('### Leaderboard by learned rate (held-out tasks)');
    expect(markdown).toContain(
      '### Leaderboard by efficiency (learned rate per billion parameters)',
    );
    expect(markdown).toMatch(/\d+\.\d% \[\d+\.\d, \d+\.\d\]/);
    expect(markdown).toMatch(/%\/B \[/);
    expect(markdown).toContain('Version comparison');
    // v1 quick trains 3 × 30, v3 quick 6 × 40: the comparison must say the budgets differ
    expect(markdown).toContain('v1 3 × 30, v3 6 × 40');
    expect(html).toContain('train on different budgets');
    expect(markdown).toContain('v3 − v1');
    expect(markdown).toContain('### Ablations');
    // A learner that ignores overrides: every component is reported as not helping.
    expect(markdown).toContain('`ewc` (EWC++ consolidation): does not help');
    expect(markdown).toContain('random (baseline, not SONA)');
    expect(markdown).toContain('benchmark-broken.json');
    expect(markdown).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('report.md compares with the baselines run beside the learner, paired, and lists calibration bins', () => {
    expect(markdown).toContain('### Compared with standard baselines');
    expect(markdown).toContain('| random − thompson |');
    expect(markdown).toMatch(/\| \*\*mean over models\*\* \|/);
    expect(markdown).toMatch(
      /(random is worse than thompson|no evidence that random beats thompson|random beats thompson): [-+]?\d/,
    );
    expect((markdown.match(/### Calibration \(reliability bins/g) ?? []).length).toBe(2);
    expect(markdown).toContain('ECE · Brier');
  });

  it('report.html is one self-contained page that says SIMULATED in its title and banner', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<title>SIMULATED benchmark report');
    expect(html).toContain('<div class="banner"><strong>SIMULATED</strong>');
    expect(html).not.toMatch(/<script|<link|src="http|href="http|@import/);
    expect(html).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('report.html draws learning curves, rate against size, ablation bars and the version chart', () => {
    const svgs = html.match(/<svg[^>]*aria-label="([^"]*)"/g) ?? [];
    const labels = svgs.map((s) => /aria-label="([^"]*)"/.exec(s)![1]);
    expect(labels.filter((l) => l!.startsWith('Learning curve of'))).toHaveLength(12);
    expect(labels.filter((l) => l === 'Rate against model size')).toHaveLength(2);
    expect(labels.filter((l) => l!.startsWith('Ablations'))).toHaveLength(1);
    expect(labels.filter((l) => l === 'Learned rate by version')).toHaveLength(1);
    // One reliability diagram per learner of each run: random (v1); random and thompson (v3).
    expect(labels.filter((l) => l!.startsWith('Reliability diagram of'))).toEqual([
      'Reliability diagram of random',
      'Reliability diagram of random',
      'Reliability diagram of thompson',
    ]);
    expect(html).toContain('Compared with standard baselines');
    expect((html.match(/<svg/g) ?? []).length).toBe((html.match(/<\/svg>/g) ?? []).length);
    // Curves carry a CI band (a filled polygon) per model.
    expect((html.match(/<polygon/g) ?? []).length).toBe(12);
  });
});

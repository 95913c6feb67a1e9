import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeSource, parseReplayData } from '../replay/data';
import { runBenchmark, runReplayBenchmark } from '../runner/run';
import {
  SYNTHETIC_COST_FIELDS,
  SYNTHETIC_FIELDS,
  syntheticLog,
} from '../test-support/synthetic-log';
import { mdText, renderHtml, renderMarkdown } from './document';
import { computeResultHash, ensureWritableDirectory, loadResults } from './files';
import { costText, niceStep } from './format';
import { writeBenchmarkOutputs, writeReports } from './write';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sona-bench-report-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const svgLabels = (html: string) =>
  (html.match(/<svg[^>]*aria-label="([^"]*)"/g) ?? []).map(
    (s) => /aria-label="([^"]*)"/.exec(s)![1]!,
  );

describe('simulated results and reports', () => {
  let dir: string;
  let markdown: string;
  let html: string;

  beforeAll(async () => {
    dir = tempDir();
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
    writeFileSync(join(dir, 'benchmark-broken.json'), '{"format": "sona-benchmark/2", ');
    writeFileSync(
      join(dir, 'benchmark-old.json'),
      JSON.stringify({ format: 'sona-benchmark/1', version: 'v2' }),
    );
    writeFileSync(
      join(dir, 'benchmark-cut.json'),
      JSON.stringify({ format: 'sona-benchmark/2', version: 'v2', mode: 'quick' }),
    );
    writeReports(dir);
    markdown = readFileSync(join(dir, 'report.md'), 'utf8');
    html = readFileSync(join(dir, 'report.html'), 'utf8');
  }, 120_000);

  it('writes result files whose resultHash verifies, named by version, mode and learner', () => {
    const { results, skipped } = loadResults(dir);
    expect(results.map((r) => r.file)).toEqual([
      'benchmark-v1-quick-random.json',
      'benchmark-v3-quick-random.json',
    ]);
    expect(results.every((r) => r.hashOk)).toBe(true);
    expect(skipped).toHaveLength(3);
    expect(skipped[0]).toContain('benchmark-broken.json');
    expect(skipped[1]).toMatch(/benchmark-cut.json: learner is missing/);
    expect(skipped[2]).toMatch(
      /benchmark-old.json: not a sona-benchmark\/2 result \(format sona-benchmark\/1: written by an older/,
    );
    const parsed = JSON.parse(readFileSync(join(dir, results[0]!.file), 'utf8'));
    expect(computeResultHash(parsed)).toBe(parsed.resultHash);
    expect(parsed.environment).toMatchObject({
      kind: 'simulated',
      simulated: true,
      feedback: 'bandit',
    });
    expect(parsed.models.every((m: { loraRank: unknown }) => m.loraRank === null)).toBe(true);
    parsed.run.wallMs += 1000; // timings live outside the hash
    expect(computeResultHash(parsed)).toBe(parsed.resultHash);
    parsed.models[0].learned.rate += 0.01;
    expect(computeResultHash(parsed)).not.toBe(parsed.resultHash);
  });

  it('report.md says SIMULATED in its title and in every section heading', () => {
    expect(markdown.split('\n')[0]).toBe('# SIMULATED benchmark report (@sona/bench)');
    expect(markdown).toContain('> **SIMULATED.**');
    for (const line of markdown.split('\n').filter((l) => l.startsWith('## '))) {
      if (line !== '## Files not included') expect(line).toContain('SIMULATED');
    }
    expect(markdown).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('report.md has the leaderboards, fixed-policy comparisons, cross-validation, versions and ablations', () => {
    for (const heading of [
      '### Leaderboard by learned rate (held-out tasks)',
      '### Learned minus the fixed policies (paired over the held-out tasks)',
      '### Leaderboard by efficiency (learned rate per billion parameters)',
      '### Cross-validation (each fold learner on its test fold) and learning curve',
      '### Ablations (each v3 component switched off; full v3 minus ablated, paired)',
    ]) {
      expect(markdown).toContain(heading);
    }
    expect(markdown).toMatch(/\d+\.\d% \[\d+\.\d, \d+\.\d\]/);
    expect(markdown).toMatch(/%\/B \[/);
    expect(markdown).toContain('Version comparison');
    expect(markdown).toContain('v1 3 × 30, v3 6 × 40'); // the budgets differ, and it says so
    expect(markdown).toContain('v3 − v1 (paired)');
    // A learner that ignores overrides makes identical choices with every component off.
    expect(markdown).toContain(
      '`ewc` (EWC++ consolidation): does not help: identical choices for every model',
    );
    expect(markdown).toContain(
      '+0.0 pts [+0.0, +0.0]: identical choices'.replace(/\+0\.0/g, '0.0'),
    );
    expect(markdown).toContain('random (baseline, not SONA)');
    // The profile inputs once per group, not once per run.
    expect(markdown.match(/### Profile inputs/g)).toHaveLength(1);
  });

  it('report.md compares with the baselines run beside the learner, paired, and lists calibration bins', () => {
    expect(markdown).toContain('### Compared with standard baselines');
    expect(markdown).toContain('| random − thompson |');
    expect(markdown).toMatch(/\| \*\*mean over models\*\* \|/);
    expect(markdown).toMatch(
      /(random is worse than thompson|no evidence that random beats thompson|random beats thompson): [-+]?\d/,
    );
    expect(markdown.match(/### Calibration: reliability/g)).toHaveLength(2);
    expect(markdown).toContain('ECE · Brier');
  });

  it('report.html is one self-contained page with every chart, the CV table and the reliability diagrams', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<title>SIMULATED benchmark report (@sona/bench) · @sona/bench</title>');
    expect(html).toContain('<div class="banner"><strong>SIMULATED</strong>');
    expect(html).not.toMatch(/<script|<link|src="http|href="http|@import/);
    expect(html).not.toMatch(/NaN|undefined|Infinity/);
    const labels = svgLabels(html);
    expect(labels.filter((l) => l.startsWith('Learning curve of'))).toHaveLength(12 + 6);
    expect(labels.filter((l) => l === 'Rate against model size')).toHaveLength(2);
    expect(labels.filter((l) => l.startsWith('Ablations'))).toHaveLength(1);
    expect(labels.filter((l) => l === 'Learned rate by version')).toHaveLength(1);
    expect(labels.filter((l) => l.startsWith('Reliability diagram of'))).toEqual([
      'Reliability diagram of random',
      'Reliability diagram of random',
      'Reliability diagram of thompson',
    ]);
    expect(html).toContain('CV learned');
    expect(html).toContain('Compared with standard baselines');
    expect((html.match(/<svg/g) ?? []).length).toBe((html.match(/<\/svg>/g) ?? []).length);
  });
});

async function replayRun(
  version: 'v1' | 'v3',
  costed: boolean,
  extra: Partial<Parameters<typeof runReplayBenchmark>[0]> = {},
) {
  const content = syntheticLog({ seed: 3, tasks: 40, ...(costed ? { costs: [1, 4, 10] } : {}) });
  const fields = costed ? SYNTHETIC_COST_FIELDS : SYNTHETIC_FIELDS;
  const data = parseReplayData(content, fields, describeSource('synthetic.jsonl', content));
  return (
    await runReplayBenchmark({
      version,
      mode: 'quick',
      seed: 4,
      data,
      learner: 'random',
      workers: 0,
      ...extra,
    })
  ).result;
}

describe('replay results and reports (real logged data)', () => {
  let dir: string;
  let markdown: string;
  let html: string;
  beforeAll(async () => {
    dir = tempDir();
    for (const version of ['v1', 'v3'] as const) {
      writeBenchmarkOutputs(
        dir,
        await replayRun(version, true, { costWeights: [0, 0.05, 0.5], compare: ['thompson'] }),
      );
    }
    markdown = readFileSync(join(dir, 'report.md'), 'utf8');
    html = readFileSync(join(dir, 'report.html'), 'utf8');
  }, 120_000);

  it('names files by data, version, mode, learner and settings; the data path is not hashed', () => {
    const { results } = loadResults(dir);
    expect(results.map((r) => r.file)).toEqual([
      expect.stringMatching(/^benchmark-replay-synthetic-v1-quick-random-cws[0-9a-f]{8}\.json$/),
      expect.stringMatching(/^benchmark-replay-synthetic-v3-quick-random-cws[0-9a-f]{8}\.json$/),
    ]);
    const parsed = JSON.parse(readFileSync(join(dir, results[0]!.file), 'utf8'));
    parsed.run.data = '/elsewhere/log.jsonl';
    expect(computeResultHash(parsed)).toBe(parsed.resultHash);
  });

  it('report.md is titled real logged data, never SIMULATED, with the caveats and every policy', () => {
    expect(markdown.split('\n')[0]).toBe(
      '# Replay benchmark report (@sona/bench): real logged data',
    );
    expect(markdown).not.toContain('SIMULATED');
    expect(markdown).toContain('> **REAL LOGGED DATA.**');
    expect(markdown).toContain('- Only 40 tasks');
    expect(markdown).toMatch(
      /- The 95% confidence intervals are wide: they span from \d+\.\d percentage points/,
    );
    for (const name of [
      '**random-learner:v1**',
      'thompson-learner:v1',
      'always:cheap',
      'always:strong',
    ]) {
      expect(markdown).toContain(`| ${name} |`);
    }
    expect(markdown).toContain('### Cost frontier and AIQ');
    expect(markdown).toContain('| fixed-arm hull (mixing two fixed arms at random) |');
    expect(markdown).toMatch(
      /Pareto frontier \(pass rate against mean cost, policies scored on every task\): /,
    );
    expect(markdown).toContain('### random-learner:v3 minus each fixed policy');
    expect(markdown).toContain('### Per task (logged successes/trials per arm');
    expect(markdown).toMatch(/\| v3 − v1 \(paired\) \|/);
    expect(markdown).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('report.html draws the frontier with the fixed-arm hull and numbered markers, and the learning curves', () => {
    expect(html).toContain('<div class="banner replay"><strong>REAL LOGGED DATA</strong>');
    expect(html).not.toContain('SIMULATED');
    const labels = svgLabels(html);
    expect(labels.filter((l) => l === 'Pass rate against cost')).toHaveLength(2);
    expect(labels.filter((l) => l.startsWith('Learning curve of'))).toHaveLength(2 + 1);
    expect(html).toContain('fixed-arm hull (mixing two arms at random)');
    expect(html).not.toMatch(/<script|<link|src="http|href="http|@import/);
    expect(html).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('without a cost, shows pass-rate bars and no frontier', async () => {
    const d = tempDir();
    writeBenchmarkOutputs(d, await replayRun('v1', false));
    const page = readFileSync(join(d, 'report.html'), 'utf8');
    expect(svgLabels(page)).toContain('Pass rate by policy');
    expect(page).not.toContain('Pass rate against cost');
  });

  it('a folder with simulated and replay results labels each kind in its own sections', async () => {
    const d = tempDir();
    writeBenchmarkOutputs(d, await replayRun('v1', false));
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
    for (const h of headings)
      expect(h.includes('SIMULATED') !== h.startsWith('## Real logged data')).toBe(true);
    expect(readFileSync(join(d, 'report.html'), 'utf8')).toContain(
      '<strong>SIMULATED and REAL</strong>',
    );
  });
});

describe('hostile names in the data', () => {
  it('are escaped in report.html and inert in report.md: no tags, no links, no broken cells or list items', async () => {
    const rows = [
      { t: 'a|b', a: '<b>x</b>', ok: true, k: 'A|"B"\n- forged item' },
      { t: 'a|b', a: 'y](javascript:alert(1))', ok: false, k: 'A|"B"\n- forged item' },
      {
        t: '<script>alert(1)</script>',
        a: '<b>x</b>',
        ok: false,
        k: '<img src=x onerror=alert(1)>',
      },
      {
        t: '<script>alert(1)</script>',
        a: 'y](javascript:alert(1))',
        ok: true,
        k: '<img src=x onerror=alert(1)>',
      },
    ];
    const content = rows.map((r) => JSON.stringify(r)).join('\n');
    const data = parseReplayData(
      content,
      { task: 't', arm: 'a', success: 'ok', type: 'k' },
      describeSource('odd|<name>.jsonl', content),
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
    writeBenchmarkOutputs(d, result);
    const page = readFileSync(join(d, 'report.html'), 'utf8');
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<b>x</b>');
    expect(page).not.toContain('<img');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const md = readFileSync(join(d, 'report.md'), 'utf8');
    expect(md).not.toMatch(/<script|<img|<b>x/);
    expect(md).not.toContain('](javascript:');
    expect(md).not.toMatch(/^- forged item/m);
    const cells = (line: string) => line.split(/(?<!\\)\|/).length;
    const header = md.split('\n').find((l) => l.startsWith('| Task | Type | Fold |'))!;
    for (const line of md
      .split('\n')
      .filter((l) => l.startsWith('| a\\|b |') || l.startsWith('| &lt;script'))) {
      expect(cells(line)).toBe(cells(header));
    }
  });

  it('mdText leaves no markup: no raw <, no unescaped | or `, no line break, no link opener', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        const out = mdText(s);
        expect(out).not.toMatch(/[<>\r\n\u2028\u2029]/);
        expect(out).not.toMatch(/(?<!\\)[|`*_~]/);
        expect(out).not.toContain('](');
      }),
    );
  });

  it('both renderers escape every heading, cell and paragraph of a document', () => {
    const evil = '<i>x</i> | `y` [a](b)';
    const doc = {
      title: evil,
      blocks: [
        { kind: 'heading' as const, level: 2 as const, text: evil },
        { kind: 'paragraph' as const, parts: [evil, { strong: evil }] },
        { kind: 'list' as const, items: [[evil]] },
        {
          kind: 'table' as const,
          table: { header: [evil, 'n'], rows: [[evil, { text: evil, note: evil }]] },
        },
      ],
    };
    const md = renderMarkdown(doc);
    const page = renderHtml(doc);
    expect(md).not.toContain('<i>');
    expect(md).not.toContain('[a](b)');
    expect(page).not.toContain('<i>');
    expect(page).toContain('&lt;i&gt;x&lt;/i&gt;');
    // A code span is literal text; its fence outgrows any backticks inside.
    const code = renderMarkdown({
      title: 't',
      blocks: [{ kind: 'paragraph', parts: [{ code: 'a``b\nc' }] }],
    });
    expect(code).toContain('``` a``b c ```');
  });
});

describe('the output folder', () => {
  it('is checked before anything is written: /proc/x and a path under a file are refused at once', () => {
    expect(() => ensureWritableDirectory('/proc/x/y')).toThrow(/cannot write to output folder/);
    const d = tempDir();
    writeFileSync(join(d, 'a-file'), 'x');
    expect(() => ensureWritableDirectory(join(d, 'a-file', 'sub'))).toThrow(/not a directory/);
    ensureWritableDirectory(join(d, 'new', 'deeper'));
    mkdirSync(join(d, 'new', 'deeper', 'ok'));
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

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HYBRID_FIELDS, hybridLogPath } from '../test-support/hybrid-log';
import { parseCommandLine } from './args';
import { main } from './main';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sona-bench-cli-'));
  dirs.push(d);
  return d;
}

async function runMain(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    cwd: tempDir(),
  });
  return { code, stdout, stderr };
}

const REQUIRED = ['--field', 'task=t', '--field', 'arm=a', '--field', 'success=ok'];

describe('sona-bench command line', () => {
  it('parses a full command line', () => {
    expect(
      parseCommandLine([
        'v2',
        '--mode',
        'full',
        '--seed=9',
        '--profiles',
        'swe-verified',
        '--env',
        'simulated',
        '--out',
        'x',
        '--workers',
        '3',
        '--json',
      ]),
    ).toEqual({
      help: false,
      options: {
        version: 'v2',
        mode: 'full',
        seed: 9,
        profiles: 'swe-verified',
        env: 'simulated',
        out: 'x',
        workers: 3,
        learner: 'sona',
        compare: [],
        json: true,
        replay: null,
      },
    });
    expect(parseCommandLine(['v1'])).toMatchObject({
      options: {
        mode: 'default',
        seed: 42,
        profiles: 'reference-small',
        out: 'bench-results',
        workers: undefined,
      },
    });
  });

  const usageErrors: [string[], RegExp][] = [
    [['v3', '--fast'], /Unknown option '--fast'/],
    [[], /missing the version/],
    [['v4'], /unknown version 'v4'/],
    [['v1', 'v2'], /expected one version/],
    [['v3', '--mode', 'slow'], /--mode must be one of quick, default, full/],
    [['v3', '--seed', '-1'], /--seed/],
    [['v3', '--seed', '1.5'], /--seed needs an integer/],
    [['v3', '--seed', '99999999999999999999'], /--seed needs an integer/],
    [['v3', '--workers', '0'], /--workers needs an integer from 1 to 256/],
    [['v3', '--profiles', 'huge'], /--profiles must be one of reference-small, swe-verified/],
    [['v3', '--env', 'exec'], /--env exec is not available/],
    [['v3', '--env', 'replay'], /--env replay needs --data FILE/],
    [['v3', '--env', 'replay', '--data', 'x.jsonl'], /missing --field task=PATH/],
    [
      ['v3', '--env', 'replay', '--data', 'x', '--field', 'task=t', '--field', 'arm=a'],
      /missing --field success=PATH/,
    ],
    [
      ['v3', '--env', 'replay', '--data', 'x', ...REQUIRED, '--field', 'colour=c'],
      /unknown field 'colour'/,
    ],
    [['v3', '--env', 'replay', '--data', 'x', ...REQUIRED, '--field', 'task=u'], /given twice/],
    [['v3', '--env', 'replay', '--data', 'x', ...REQUIRED, '--cost-weight', '-1'], /--cost-weight/],
    [['v3', '--env', 'replay', '--data', 'x', ...REQUIRED, '--cost-weight', 'a'], /--cost-weight/],
    [['v3', '--env', 'replay', '--data', 'x', ...REQUIRED, '--folds', '1'], /--folds/],
    [['v3', '--env', 'replay', '--data', 'x', ...REQUIRED, '--params-b', '0'], /--params-b/],
    [
      ['v3', '--env', 'replay', '--data', 'x', ...REQUIRED, '--profiles', 'swe-verified'],
      /--profiles applies/,
    ],
    [
      ['v3', '--env', 'replay', '--data', 'x', ...REQUIRED, '--cost-weight', '0.5'],
      /--cost-weight needs a cost: add --field cost=PATH/,
    ],
    [['v3', '--data', 'x.jsonl'], /--data needs --env replay/],
    [['v3', '--field', 'task=t'], /--field needs --env replay/],
    [
      ['v3', '--learner', 'gpt'],
      /--learner must be one of sona, random, thompson, ucb1, linucb, lints, knn/,
    ],
    [['v3', '--compare', 'gpt'], /--compare: cannot compare with unknown learner 'gpt'/],
    [['v3', '--compare', 'sona'], /not compared with itself/],
    [['v3', '--compare', 'knn,knn'], /listed twice/],
    [['v3', '--json=yes'], /json/],
    [['v3', '--out'], /--out/],
  ];
  for (const [argv, message] of usageErrors) {
    it(`exits 2 with a clear message for: ${argv.join(' ') || '(nothing)'}`, async () => {
      const { code, stderr, stdout } = await runMain(argv);
      expect(code).toBe(2);
      expect(stderr).toMatch(message);
      expect(stderr).toContain('Usage: sona-bench');
      expect(stdout).toBe('');
    });
  }

  it('exits 2 when the output folder cannot be written', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'a-file'), 'x');
    const { code, stderr } = await runMain([
      'v1',
      '--learner',
      'random',
      '--out',
      join(d, 'a-file', 'sub'),
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/cannot write to output folder/);
  });

  it('parses a replay command line', () => {
    expect(
      parseCommandLine([
        'v3',
        '--env',
        'replay',
        '--data',
        'logs/raw.jsonl',
        '--field',
        'task=task_id',
        '--field',
        'arm=route',
        '--field',
        'success=quality.functional_pass',
        '--field',
        'cost=tokens.cloud_completion',
        '--cost-weight',
        '0.0001',
        '--folds',
        '3',
        '--params-b',
        '1.5',
        '--skip-malformed',
      ]),
    ).toMatchObject({
      options: {
        env: 'replay',
        replay: {
          data: 'logs/raw.jsonl',
          fields: {
            task: 'task_id',
            arm: 'route',
            success: 'quality.functional_pass',
            cost: 'tokens.cloud_completion',
          },
          costWeight: 0.0001,
          folds: 3,
          modelParamsB: 1.5,
          skipMalformed: true,
        },
      },
    });
    expect(parseCommandLine(['v1', '--env', 'replay', '--data', 'd', ...REQUIRED])).toMatchObject({
      options: { replay: { costWeight: 0, folds: 5, modelParamsB: 7, skipMalformed: false } },
    });
  });

  it('exits 2 with the error code when the replay data is missing, unmappable, malformed or unusable', async () => {
    const d = tempDir();
    const write = (name: string, rows: unknown[]) => {
      const file = join(d, name);
      writeFileSync(
        file,
        rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n'),
      );
      return file;
    };
    const good = { t: 'a', a: 'x', ok: true };
    const cases: [string, RegExp][] = [
      [
        join(d, 'absent.jsonl'),
        /DATA_NOT_FOUND: cannot read the replay data '.*absent\.jsonl': no such file/,
      ],
      [
        write('unmapped.jsonl', [{ task: 'a', a: 'x', ok: true }]),
        /FIELD_MAPPING: unmapped\.jsonl: --field task=t resolves in none of its 1 rows/,
      ],
      [
        write('malformed.jsonl', [good, '{oops']),
        /DATA_MALFORMED: malformed\.jsonl: 1 malformed line: line 2: not valid JSON/,
      ],
      [write('empty.jsonl', ['']), /NO_USABLE_ROWS: empty\.jsonl has no usable row/],
      [
        write('nulls.jsonl', [
          { ...good, ok: null },
          { ...good, t: 'b', ok: null },
        ]),
        /NO_USABLE_ROWS/,
      ],
    ];
    for (const [file, message] of cases) {
      const { code, stderr, stdout } = await runMain([
        'v1',
        '--env',
        'replay',
        '--data',
        file,
        ...REQUIRED,
        '--out',
        join(d, 'out'),
      ]);
      expect(stderr).toMatch(message);
      expect(code).toBe(2);
      expect(stdout).toBe('');
    }
  });

  it('prints the usage with --help and exits 0', async () => {
    const { code, stdout } = await runMain(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: sona-bench <v1|v2|v3>');
  });
});

const cli = resolve(__dirname, '../../dist/cli.js');

function runCli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the built CLI (dist/cli.js, worker threads)', () => {
  it('exists (the test target depends on the build)', () => {
    expect(existsSync(cli)).toBe(true);
  });

  it('gives the same resultHash with 1 and 2 workers, and another hash for another seed', () => {
    const hashes = [
      ['1', '11'],
      ['2', '11'],
      ['2', '12'],
    ].map(([workers, seed]) => {
      const out = tempDir();
      const { code, stdout, stderr } = runCli([
        'v3',
        '--mode',
        'quick',
        '--learner',
        'random',
        '--seed',
        seed!,
        '--workers',
        workers!,
        '--out',
        out,
        '--json',
      ]);
      expect(stderr).toContain('SIMULATED');
      expect(code).toBe(0);
      const printed = JSON.parse(stdout);
      const file = JSON.parse(readFileSync(join(out, 'benchmark-v3-quick-random.json'), 'utf8'));
      expect(printed).toEqual(file);
      expect(file.run.workers).toBe(Number(workers));
      expect(existsSync(join(out, 'report.md'))).toBe(true);
      expect(existsSync(join(out, 'report.html'))).toBe(true);
      return file.resultHash as string;
    });
    expect(hashes[1]).toBe(hashes[0]);
    expect(hashes[2]).not.toBe(hashes[0]);
  });

  it('prints SIMULATED results and plain progress lines when not on a terminal', () => {
    const out = tempDir();
    const { code, stdout, stderr } = runCli([
      'v1',
      '--mode',
      'quick',
      '--learner',
      'random',
      '--out',
      out,
    ]);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toContain('SIMULATED');
    expect(stdout).toContain('SIMULATED results on 100 held-out tasks');
    expect(stderr).toMatch(/progress: 30\/30 jobs \(100%\)/);
    expect(stderr).not.toContain('\r');
  });

  it('runs the SONA engine: the same resultHash and checkpoint hashes for 1 or 2 workers and any SIMD backend', () => {
    const run = (workers: string, env: NodeJS.ProcessEnv) => {
      const out = tempDir();
      const { code, stdout } = runCli(
        ['v1', '--mode', 'quick', '--workers', workers, '--out', out],
        env,
      );
      expect(stdout).toContain('SIMULATED');
      expect(code).toBe(0);
      const result = JSON.parse(readFileSync(join(out, 'benchmark-v1-quick.json'), 'utf8'));
      // v1's adapter has a fixed rank of 2 whatever the model size; the report shows the learner's
      expect(result.models.map((m: { loraRank: number }) => m.loraRank)).toEqual(
        result.models.map(() => 2),
      );
      const dir = join(out, 'checkpoints');
      const checkpoints = readdirSync(dir)
        .sort()
        .map((f) => `${f}:${JSON.parse(readFileSync(join(dir, f), 'utf8')).stateHash}`);
      expect(checkpoints).toHaveLength(result.models.length);
      return { resultHash: result.resultHash as string, checkpoints };
    };
    const reference = run('2', process.env);
    expect(run('1', process.env)).toEqual(reference);
    expect(run('2', { ...process.env, SONA_SIMD: 'js' })).toEqual(reference);
  });

  it('replays the hybrid-coding-eval log with the same resultHash for 1 or 2 workers, as REAL LOGGED DATA', () => {
    const data = hybridLogPath();
    const run = (workers: string, seed: string) => {
      const out = tempDir();
      const { code, stdout, stderr } = runCli([
        'v3',
        '--env',
        'replay',
        '--data',
        data,
        ...Object.entries(HYBRID_FIELDS).flatMap(([k, v]) => ['--field', `${k}=${v}`]),
        '--mode',
        'quick',
        '--seed',
        seed,
        '--workers',
        workers,
        '--out',
        out,
      ]);
      expect(stderr).not.toContain('sona-bench:'); // progress lines only, no error
      expect(code).toBe(0);
      expect(stdout.split('\n')[0]).toBe(
        'Replay benchmark on real logged data (raw.jsonl): SONA v3, quick mode',
      );
      expect(stdout).toContain('REAL LOGGED DATA: pass rates on 30 held-out tasks');
      expect(stdout).toContain('note: Only 30 tasks');
      expect(stdout).not.toContain('SIMULATED');
      const file = JSON.parse(
        readFileSync(join(out, 'benchmark-replay-raw-v3-quick.json'), 'utf8'),
      );
      expect(file.run.workers).toBe(Number(workers));
      expect(existsSync(join(out, 'report.html'))).toBe(true);
      expect(existsSync(join(out, 'checkpoints', 'replay-raw_v3.json'))).toBe(true);
      return file.resultHash as string;
    };
    const reference = run('2', '21');
    expect(run('1', '21')).toBe(reference);
    expect(run('2', '22')).not.toBe(reference);
  });

  it('prints the replay result JSON with --json (the same as the file) and the rest on stderr', () => {
    const out = tempDir();
    const { code, stdout, stderr } = runCli([
      'v1',
      '--env',
      'replay',
      '--data',
      hybridLogPath(),
      ...Object.entries(HYBRID_FIELDS).flatMap(([k, v]) => ['--field', `${k}=${v}`]),
      '--mode',
      'quick',
      '--learner',
      'random',
      '--cost-weight',
      '0.0001',
      '--out',
      out,
      '--json',
    ]);
    expect(code).toBe(0);
    const printed = JSON.parse(stdout);
    const file = JSON.parse(
      readFileSync(join(out, 'benchmark-replay-raw-v1-quick-random-cw0.0001.json'), 'utf8'),
    );
    expect(printed).toEqual(file);
    expect(file.config.costWeight).toBe(0.0001);
    expect(stderr).toContain('Replay benchmark on real logged data (raw.jsonl)');
    expect(existsSync(join(out, 'checkpoints'))).toBe(false); // only SONA learners are saved
  });

  it('exits 2 on an unknown flag', () => {
    const { code, stderr } = runCli(['v3', '--turbo']);
    expect(code).toBe(2);
    expect(stderr).toContain("Unknown option '--turbo'");
  });
});

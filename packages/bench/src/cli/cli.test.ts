import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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
        json: true,
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
    [['v3', '--env', 'replay'], /--env replay is not available/],
    [['v3', '--learner', 'gpt'], /--learner must be one of sona, random/],
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

  it('exits 2 on an unknown flag', () => {
    const { code, stderr } = runCli(['v3', '--turbo']);
    expect(code).toBe(2);
    expect(stderr).toContain("Unknown option '--turbo'");
  });
});

import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HYBRID_FIELDS, hybridLogPath } from '../test-support/shared-data';
import { SYNTHETIC_COST_FIELDS, syntheticLog } from '../test-support/synthetic-log';
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
    env: {},
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
        feedback: 'bandit',
        costWeight: 0,
        budget: null,
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
    [['v3', '--fast'], /unknown option --fast/],
    [['v3', '--mode', 'quick', '--mode', 'full'], /--mode is given twice/],
    [['v3', '--seed', '1', '--seed=2'], /--seed is given twice/],
    [[], /missing the version/],
    [['v4'], /unknown version "v4"/],
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
    [['v3', '--feedback', 'some'], /--feedback must be bandit or full/],
    [['v3', '--arms', 'a'], /--arms needs --env replay/],
    [
      ['v3', '--env', 'replay', '--data', 'x', ...REQUIRED, '--params-b', '1e308'],
      /--params-b needs a number > 0 and <= 100000/,
    ],
    [
      ['v3', '--env', 'replay', '--data', 'x', ...REQUIRED, '--cost-weights', '1,x'],
      /--cost-weights needs a number/,
    ],
    [
      ['v3', '--env', 'replay', '--data', 'x', ...REQUIRED, '--cost-weights', '1,1'],
      /lists a weight twice/,
    ],
    [
      ['v3', '--env', 'replay', '--data', 'x', ...REQUIRED, '--cost-weights', '1'],
      /--cost-weights needs a cost/,
    ],
    [
      ['v3', '--env', 'replay', '--data', 'x', ...REQUIRED, '--arms', 'a,,b'],
      /--arms needs arm names/,
    ],
    [
      ['v3', '--env', 'replay', '--data', 'x', ...REQUIRED, '--max-bytes', '0'],
      /--max-bytes needs an integer >= 1/,
    ],
    [['v3', '--out'], /--out/],
    [['v3', '--budget', '8'], /--budget needs EPOCHSxTASKS/],
    [['v3', '--budget', '0x60'], /--budget epochs needs an integer from 1 to 1000/],
    [['v3', '--budget', '8x100001'], /--budget tasks needs an integer from 1 to 100000/],
  ];
  for (const [argv, message] of usageErrors) {
    it(`exits 2 with a clear message for: ${argv.join(' ') || '(nothing)'}`, async () => {
      const { code, stderr, stdout } = await runMain(argv);
      expect(code).toBe(2);
      const lines = stderr.split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[0]).toMatch(/^sona-bench: /);
      expect(lines[0]).toMatch(message);
      expect(lines[1]).toMatch(/^hint: /);
      expect(lines[2]).toBe('');
      expect(stderr).not.toContain('Usage:');
      expect(stderr).not.toMatch(/To specify a positional argument/);
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
        '--arms',
        'R1,R3',
        '--cost-weights',
        '0,0.5,2',
        '--feedback',
        'full',
        '--max-bytes',
        '1000',
      ]),
    ).toMatchObject({
      options: {
        env: 'replay',
        costWeight: 0.0001,
        feedback: 'full',
        replay: {
          arms: ['R1', 'R3'],
          costWeights: [0, 0.5, 2],
          maxBytes: 1000,
          data: 'logs/raw.jsonl',
          fields: {
            task: 'task_id',
            arm: 'route',
            success: 'quality.functional_pass',
            cost: 'tokens.cloud_completion',
          },
          folds: 3,
          modelParamsB: 1.5,
          skipMalformed: true,
        },
      },
    });
    expect(parseCommandLine(['v1', '--env', 'replay', '--data', 'd', ...REQUIRED])).toMatchObject({
      options: {
        costWeight: 0,
        replay: { arms: null, costWeights: [], folds: 5, modelParamsB: 7, skipMalformed: false },
      },
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

  it('a usage error is one line and a hint: did you mean the near option or value, else where the usage is', async () => {
    const cases: [string[], string][] = [
      [
        ['v3', '--mdoe', 'quick'],
        'sona-bench: unknown option --mdoe\nhint: did you mean --mode <quick|default|full>?\n',
      ],
      [
        ['v3', '--mode', 'quik'],
        'sona-bench: --mode must be one of quick, default, full, got "quik"\nhint: did you mean quick?\n',
      ],
      [
        ['v3', '--learner', 'thomson'],
        'sona-bench: --learner must be one of sona, random, thompson, ucb1, linucb, lints, knn, got "thomson"\nhint: did you mean thompson?\n',
      ],
      [['v4'], 'sona-bench: unknown version "v4": use v1, v2 or v3\nhint: did you mean v1?\n'],
      [
        ['v3', '--frobnicate'],
        'sona-bench: unknown option --frobnicate\nhint: "sona-bench --help" shows the usage\n',
      ],
      [['v3', '--json', '--json'], 'sona-bench: --json is given twice\nhint: give --json once\n'],
    ];
    for (const [argv, expected] of cases) {
      const { code, stderr } = await runMain(argv);
      expect(code).toBe(2);
      expect(stderr).toBe(expected);
    }
  });

  it('--field repeats (one per field); any other option given twice is refused', () => {
    const parsed = parseCommandLine(['v1', '--env', 'replay', '--data', 'x', ...REQUIRED]);
    expect(
      parsed.help === false && parsed.version === undefined && parsed.options.replay?.fields,
    ).toEqual({
      task: 't',
      arm: 'a',
      success: 'ok',
    });
  });

  it('prints its version with --version and exits 0', async () => {
    const { code, stdout, stderr } = await runMain(['--version']);
    expect(code).toBe(0);
    expect(stdout).toBe(
      `sona-bench ${JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')).version}\n`,
    );
    expect(stderr).toBe('');
    expect((await runMain(['v3', '--version'])).stdout).toMatch(/^sona-bench \d+\.\d+\.\d+/);
  });

  it('prints the usage with --help and exits 0', async () => {
    const { code, stdout } = await runMain(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: sona-bench <v1|v2|v3>');
  });
});

const cli = resolve(__dirname, '../../dist/cli.js');

/** Runs the built CLI in a child process without blocking this test worker's event loop. */
/** This process's environment without the colour switches, so output is plain unless a test says. */
const PLAIN_ENV: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => k !== 'FORCE_COLOR' && k !== 'NO_COLOR'),
);

function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = PLAIN_ENV,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

describe('the built CLI (dist/cli.js, worker threads)', () => {
  it('exists (the test target depends on the build)', () => {
    expect(existsSync(cli)).toBe(true);
  });

  it('gives the same resultHash with 1 and 2 workers, and another hash for another seed', async () => {
    const hashes: string[] = [];
    for (const [workers, seed] of [
      ['1', '11'],
      ['2', '11'],
      ['2', '12'],
    ]) {
      const out = tempDir();
      const { code, stdout, stderr } = await runCli([
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
      hashes.push(file.resultHash as string);
    }
    expect(hashes[1]).toBe(hashes[0]);
    expect(hashes[2]).not.toBe(hashes[0]);
  }, 300_000);

  it('prints SIMULATED results and plain progress lines when not on a terminal', async () => {
    const out = tempDir();
    const { code, stdout, stderr } = await runCli([
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

  it('runs the SONA engine: the same resultHash and checkpoint hashes for 1 or 2 workers and any SIMD backend', async () => {
    const run = async (workers: string, env: NodeJS.ProcessEnv) => {
      const out = tempDir();
      const { code, stdout } = await runCli(
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
    const reference = await run('2', process.env);
    expect(await run('1', process.env)).toEqual(reference);
    expect(await run('2', { ...process.env, SONA_SIMD: 'js' })).toEqual(reference);
  }, 300_000);

  const SYNTH_ARGS = Object.entries(SYNTHETIC_COST_FIELDS).flatMap(([k, v]) => [
    '--field',
    `${k}=${v}`,
  ]);
  const syntheticFile = () => {
    const file = join(tempDir(), 'synthetic.jsonl');
    writeFileSync(file, syntheticLog({ seed: 9, tasks: 40, costs: [1, 4, 10] }));
    return file;
  };

  it('colours verdicts only on a terminal or with FORCE_COLOR, never with NO_COLOR; the bar is drawn only on a terminal', async () => {
    const data = syntheticFile();
    const args = [
      'v1',
      '--env',
      'replay',
      '--data',
      data,
      ...SYNTH_ARGS,
      '--mode',
      'quick',
      '--learner',
      'random',
      '--workers',
      '1',
    ];
    const piped = async (env: Record<string, string>) => {
      const r = await runCli([...args, '--out', tempDir()], { ...PLAIN_ENV, ...env });
      expect(r.code).toBe(0);
      return r;
    };
    // A real terminal: the CLI under script(1), a pseudo-terminal 60 columns wide; stdout and
    // stderr both reach it (no newline translation, so lines read as written).
    const terminal = (env: Record<string, string>) => {
      const command = `stty cols 60 -onlcr; exec ${[
        process.execPath,
        cli,
        ...args,
        '--out',
        tempDir(),
      ]
        .map((a) => `'${a}'`)
        .join(' ')}`;
      const r = spawnSync('script', ['-qec', command, '/dev/null'], {
        env: { ...PLAIN_ENV, TERM: 'xterm', ...env },
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(r.status).toBe(0);
      return r.stdout;
    };
    // biome-ignore lint/suspicious/noControlCharactersInRegex: SGR sequences start with ESC.
    const sgr = /\u001b\[\d+m/g;
    const plain = await piped({});
    const forced = await piped({ FORCE_COLOR: '1' });
    expect(plain.stdout).not.toMatch(sgr);
    expect(plain.stderr).not.toMatch(/[\r]/);
    expect(plain.stderr).toMatch(/progress: \d+\/\d+ jobs \(100%\)/);
    // The learner is random: worse than the oracle, in red when coloured.
    expect(forced.stdout).toContain('\u001b[31m');
    const stable = (text: string) =>
      text
        .split('\n')
        .filter((l) => !l.startsWith('wrote '))
        .join('\n');
    expect(stable(forced.stdout.replace(sgr, ''))).toBe(stable(plain.stdout));
    expect(forced.stderr).not.toContain('\r');

    const tty = terminal({});
    expect(tty).toContain('\u001b[31m');
    for (const line of plain.stdout.split('\n').filter((l) => l.includes('oracle'))) {
      expect(tty.replace(sgr, '')).toContain(line);
    }
    const draws = tty.split('\n').filter((l) => l.includes('\r['));
    expect(draws).toHaveLength(1);
    const frames = draws[0]!.split('\r').slice(1);
    for (const f of frames) {
      expect(f.endsWith('\u001b[K')).toBe(true);
      expect(f.length - 3).toBeLessThanOrEqual(59);
    }
    expect(frames.at(-1)).toMatch(/100% {2}\d+\/\d+ jobs/);
    const noColor = terminal({ NO_COLOR: '1' });
    expect(noColor).not.toMatch(sgr);
    expect(noColor).toContain('\r[');
    const dumb = terminal({ TERM: 'dumb' });
    expect(dumb).not.toMatch(sgr);
    expect(dumb).not.toContain('\r');
    expect(dumb).toMatch(/progress: \d+\/\d+ jobs \(100%\)/);
  }, 180_000);

  it('replays a log with the same resultHash for 1 or 2 workers (full feedback, a compared learner), as REAL LOGGED DATA', async () => {
    const data = syntheticFile();
    const run = async (workers: string, seed: string) => {
      const out = tempDir();
      const { code, stdout, stderr } = await runCli([
        'v3',
        '--env',
        'replay',
        '--data',
        data,
        ...SYNTH_ARGS,
        '--mode',
        'quick',
        '--seed',
        seed,
        '--workers',
        workers,
        '--feedback',
        'full',
        '--compare',
        'thompson',
        '--cost-weights',
        '0,0.1',
        '--out',
        out,
      ]);
      expect(stderr).not.toContain('sona-bench:'); // progress lines only, no error
      expect(code).toBe(0);
      expect(stdout.split('\n')[0]).toBe(
        'Replay benchmark on real logged data (synthetic.jsonl): SONA v3, quick mode',
      );
      expect(stdout).toContain('REAL LOGGED DATA: pass rates on 40 held-out tasks');
      expect(stdout).toContain('compared in the same protocol');
      expect(stdout).toMatch(/AIQ sona:v3 \d\.\d{3} \[/);
      expect(stdout).not.toContain('SIMULATED');
      const name = readdirSync(out).find((f) =>
        f.startsWith('benchmark-replay-synthetic-v3-quick-cws'),
      )!;
      expect(name).toMatch(/-full\.json$/);
      const file = JSON.parse(readFileSync(join(out, name), 'utf8'));
      expect(file.run.workers).toBe(Number(workers));
      expect(file.environment.feedback).toBe('full');
      expect(existsSync(join(out, 'report.html'))).toBe(true);
      expect(existsSync(join(out, 'checkpoints', 'replay-synthetic_v3.json'))).toBe(true);
      return file.resultHash as string;
    };
    const reference = await run('2', '21');
    expect(await run('1', '21')).toBe(reference);
    expect(await run('2', '22')).not.toBe(reference);
  }, 300_000);

  it('prints the replay result JSON with --json (the same as the file) and the rest on stderr', async () => {
    const out = tempDir();
    const { code, stdout, stderr } = await runCli([
      'v1',
      '--env',
      'replay',
      '--data',
      syntheticFile(),
      ...SYNTH_ARGS,
      '--mode',
      'quick',
      '--learner',
      'random',
      '--cost-weight',
      '0.01',
      '--out',
      out,
      '--json',
    ]);
    expect(code).toBe(0);
    const printed = JSON.parse(stdout);
    const file = JSON.parse(
      readFileSync(join(out, 'benchmark-replay-synthetic-v1-quick-random-cw0.01.json'), 'utf8'),
    );
    expect(printed).toEqual(file);
    expect(file.config.costWeight).toBe(0.01);
    expect(stderr).toContain('Replay benchmark on real logged data (synthetic.jsonl)');
    expect(existsSync(join(out, 'checkpoints'))).toBe(false); // only SONA learners are saved
  });

  const hybrid = hybridLogPath('the built CLI on the hybrid-coding-eval log');
  it.skipIf(hybrid === null)(
    'replays the hybrid-coding-eval log (real logged data) with its cost',
    async () => {
      const out = tempDir();
      const { code, stdout } = await runCli([
        'v1',
        '--env',
        'replay',
        '--data',
        hybrid!,
        ...Object.entries(HYBRID_FIELDS).flatMap(([k, v]) => ['--field', `${k}=${v}`]),
        '--mode',
        'quick',
        '--learner',
        'random',
        '--out',
        out,
      ]);
      expect(code).toBe(0);
      expect(stdout).toContain('note: Only 30 tasks');
      expect(stdout).toMatch(/Pareto frontier \(pass rate vs mean cost\): /);
    },
  );

  it('exits 2 on an unknown flag', async () => {
    const { code, stderr } = await runCli(['v3', '--turbo']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown option --turbo');
  });
});

describe('exit codes: one per class of problem, found before anything runs', () => {
  const write = (name: string, content: string | Buffer) => {
    const file = join(tempDir(), name);
    writeFileSync(file, content);
    return file;
  };
  const row = (extra: Record<string, unknown> = {}) =>
    JSON.stringify({ t: 'a', a: 'x', ok: true, ...extra });
  const replay = (file: string, ...more: string[]) =>
    runMain([
      'v1',
      '--env',
      'replay',
      '--data',
      file,
      ...REQUIRED,
      '--learner',
      'random',
      '--out',
      tempDir(),
      ...more,
    ]);

  it('exits 2 at once, writing nothing, for hostile data: a FIFO, a 2M-character arm, a 65,537-dim embedding, bad UTF-8, a file over --max-bytes', async () => {
    const fifo = join(tempDir(), 'pipe.jsonl');
    spawnSync('mkfifo', [fifo]);
    const cases: [string, string[], RegExp][] = [
      [fifo, [], /DATA_NOT_FOUND: .*a FIFO \(named pipe\); only regular files are read/],
      [
        write('arm.jsonl', `${row({ a: 'y'.repeat(2_000_000) })}\n${row({ t: 'b' })}\n`),
        [],
        /DATA_MALFORMED: .*arm \(a\) is 2000000 characters long/,
      ],
      [
        write(
          'dim.jsonl',
          `${row({ e: new Array(65_537).fill(0) })}\n${row({ t: 'b', e: [1] })}\n`,
        ),
        ['--field', 'embedding=e'],
        /DATA_MALFORMED: .*longer than 65536/,
      ],
      [
        write(
          'utf8.jsonl',
          Buffer.concat([
            Buffer.from(`${row()}\n{"t":"\xff`, 'latin1'),
            Buffer.from('","a":"x","ok":true}\n'),
          ]),
        ),
        [],
        /DATA_MALFORMED: .*line 2: not valid UTF-8/,
      ],
      [
        write('big.jsonl', `${row()}\n${row({ t: 'b' })}\n`),
        ['--max-bytes', '10'],
        /DATA_TOO_LARGE: .*more than the limit of 10/,
      ],
      [
        write('arms.jsonl', `${row()}\n${row({ t: 'b' })}\n`),
        ['--arms', 'zzz'],
        /INVALID_ARGUMENT: --arms: "zzz" not in the data/,
      ],
    ];
    for (const [file, more, message] of cases) {
      const started = Date.now();
      const { code, stderr, stdout } = await replay(file, ...more);
      expect(stderr).toMatch(message);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(Date.now() - started).toBeLessThan(20_000);
    }
  });

  it('exits 2 before running when a learner cannot hold the embeddings (LinUCB beyond 1024 dimensions)', async () => {
    const wide = (t: string) => row({ t, e: new Array(1025).fill(0.5) });
    const file = write('wide.jsonl', `${wide('a')}\n${wide('b')}\n`);
    const { code, stderr } = await runMain([
      'v1',
      '--env',
      'replay',
      '--data',
      file,
      ...REQUIRED,
      '--field',
      'embedding=e',
      '--learner',
      'linucb',
      '--out',
      tempDir(),
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /INVALID_ARGUMENT: learner linucb supports embeddings of at most 1024 dimensions, these have 1025/,
    );
  });

  it('exits 2 at once for an output folder under /proc (no recursive mkdir that never returns)', async () => {
    const { code, stderr } = await runMain([
      'v1',
      '--learner',
      'random',
      '--out',
      '/proc/sona-bench/x',
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/OUTPUT_UNWRITABLE: cannot write to output folder/);
  });

  it('exits 2 for a checkpoint folder that cannot be written: before running when its name is a file, after when a checkpoint cannot be saved', async () => {
    const before = tempDir();
    writeFileSync(join(before, 'checkpoints'), 'not a folder');
    const a = await runMain(['v1', '--mode', 'quick', '--out', before]);
    expect(a.stderr).toBe(
      `sona-bench: OUTPUT_UNWRITABLE: cannot write to output folder '${join(before, 'checkpoints')}': ${join(before, 'checkpoints')} is not a directory\n`,
    );
    expect(a.code).toBe(2);
    expect(readdirSync(before)).toEqual(['checkpoints']);
    const after = tempDir();
    mkdirSync(join(after, 'checkpoints', 'Qwen2.5-Coder-7B_v1.json'), { recursive: true });
    const b = await runCli(['v1', '--mode', 'quick', '--out', after]);
    expect(b.stderr).toMatch(
      /the run failed: OUTPUT_UNWRITABLE: cannot write .*Qwen2\.5-Coder-7B_v1\.json: it is a directory/,
    );
    expect(b.code).toBe(2);
  }, 120_000);

  it('exits 2 in both environments when the result cannot be written (its name taken by a folder)', async () => {
    const sim = tempDir();
    mkdirSync(join(sim, 'benchmark-v1-quick-random.json'));
    const a = await runCli(['v1', '--mode', 'quick', '--learner', 'random', '--out', sim]);
    expect(a.stderr).toMatch(/the run failed: OUTPUT_UNWRITABLE/);
    expect(a.code).toBe(2);
    const out = tempDir();
    const file = write(
      'log.jsonl',
      `${row()}\n${row({ t: 'b', ok: false })}\n${row({ t: 'c' })}\n`,
    );
    mkdirSync(join(out, 'benchmark-replay-log-v1-quick-random.json'));
    const b = await runCli([
      'v1',
      '--env',
      'replay',
      '--data',
      file,
      ...REQUIRED,
      '--mode',
      'quick',
      '--learner',
      'random',
      '--out',
      out,
    ]);
    expect(b.stderr).toMatch(/the run failed: OUTPUT_UNWRITABLE/);
    expect(b.code).toBe(2);
  });
});

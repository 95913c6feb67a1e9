import { EventEmitter } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { version } from '../package.json';
import { EXIT_OK, EXIT_USAGE, runCli } from './cli-main';
import { call, tempDir } from './test-helpers';

let temp: ReturnType<typeof tempDir>;
beforeEach(() => {
  temp = tempDir();
});
afterEach(() => temp.remove());

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  return { code, stdout, stderr };
}

describe('sona-serve command line', () => {
  it('prints its version and its usage', async () => {
    expect(await run(['--version'])).toEqual({
      code: EXIT_OK,
      stdout: `sona-serve ${version}\n`,
      stderr: '',
    });
    const help = await run(['--help']);
    expect(help.code).toBe(EXIT_OK);
    expect(help.stdout).toMatch(/^Usage: sona-serve --arms/);
  });

  const usage: [string, string[], RegExp][] = [
    ['no arms', [], /--arms is required/],
    [
      'an unknown flag, with a suggestion',
      ['--arms', 'a', '--prot', '1'],
      /unknown option --prot\nhint: did you mean --port PORT\?/,
    ],
    ['a repeated flag', ['--arms', 'a', '--port', '1', '--port', '2'], /--port is given twice/],
    ['a flag without its value', ['--arms'], /--arms needs a value/],
    [
      'a bad port',
      ['--arms', 'a', '--port', '70000'],
      /--port needs a whole number from 0 to 65535/,
    ],
    ['a bad version', ['--arms', 'a', '--version', 'v9'], /--version must be v1, v2 or v3/],
    ['a bad sync mode', ['--arms', 'a', '--sync', 'sometimes'], /--sync must be full or normal/],
    ['a repeated arm', ['--arms', 'a,a'], /an arm is named twice/],
    ['a bad upstream', ['--upstream', 'fast'], /--upstream needs NAME=URL/],
    ['an upstream that is not http', ['--upstream', 'x=ftp://h/v1'], /must be http or https/],
    [
      'arms that are not the routes',
      ['--arms', 'a', '--upstream', 'x=http://127.0.0.1:1/v1'],
      /--arms must name the --upstream routes/,
    ],
    [
      'a missing token file',
      ['--arms', 'a', '--token-file', '/nonexistent/token'],
      /cannot read --token-file/,
    ],
    ['a stray argument', ['--arms', 'a', 'serve'], /unexpected argument "serve"/],
  ];
  it.each(usage)(
    'refuses %s with a one-line error and a hint (exit 2)',
    async (_name, argv, pattern) => {
      const result = await run(argv);
      expect(result.code).toBe(EXIT_USAGE);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(pattern);
      expect(result.stderr.split('\n')).toHaveLength(3);
      expect(result.stderr).toMatch(/^sona-serve: .*\nhint: .*\n$/);
    },
  );

  it('refuses an empty token file and an unknown --config setting', async () => {
    const token = join(temp.dir, 'token');
    writeFileSync(token, '\n');
    expect((await run(['--arms', 'a', '--token-file', token])).stderr).toMatch(/is empty/);
    const config = join(temp.dir, 'config.json');
    writeFileSync(config, JSON.stringify({ arms: ['a'], prot: 1 }));
    const bad = await run(['--config', config]);
    expect(bad.code).toBe(EXIT_USAGE);
    expect(bad.stderr).toMatch(/unknown setting "prot"\nhint: did you mean "port"\?/);
    writeFileSync(config, '{');
    expect((await run(['--config', config])).stderr).toMatch(/is not JSON/);
  });

  it('serves with the settings of --config (flags win) and stops on SIGTERM with a checkpoint', async () => {
    const config = join(temp.dir, 'config.json');
    const tokenFile = join(temp.dir, 'token');
    writeFileSync(tokenFile, 'tok\n');
    writeFileSync(
      config,
      JSON.stringify({
        arms: ['a', 'b'],
        db: join(temp.dir, 'c.db'),
        port: 1,
        dim: 16,
        'token-file': tokenFile,
      }),
    );
    const signals = new EventEmitter();
    let stdout = '';
    let stderr = '';
    const exit = runCli(
      ['--config', config, '--port', '0'],
      {
        stdout: (t) => {
          stdout += t;
        },
        stderr: (t) => {
          stderr += t;
        },
      },
      signals,
    );
    while (!stdout.includes('listening on'))
      await new Promise((resolve) => setTimeout(resolve, 10));
    const url = /listening on (\S+)/.exec(stdout)![1]!;
    const auth = { authorization: 'Bearer tok' };
    expect((await call(url, 'GET', '/v1/stats')).status).toBe(401);
    const d = await call(
      url,
      'POST',
      '/v1/choose',
      { task: { embedding: new Array(16).fill(0.25) } },
      auth,
    );
    expect(d.status, d.text).toBe(200);
    expect(['a', 'b']).toContain(d.body.arm);
    signals.emit('SIGTERM');
    expect(await exit).toBe(EXIT_OK);
    expect(stderr).toMatch(/stopped \(checkpoint 1\)/);
  });
});

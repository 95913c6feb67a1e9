import { execFileSync } from 'node:child_process';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckpoint, signCheckpoint } from './checkpoint';
import { saveCheckpoint } from './io';
import { generateSigningKeys } from './signature';
import { bundleCli, type CliRun, runCliProcess } from './test-cli';
import { seededState } from './test-fixtures';

let cli: string;
let root: string;
let counter = 0;
const unix = process.platform !== 'win32';
const keys = generateSigningKeys();
const size = { dim: 4, patterns: 1, replayItems: 1, epochs: 2 };

/** Control characters and bidi overrides a hostile file could try to reach a terminal with. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the tests look for control characters.
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

beforeAll(async () => {
  cli = await bundleCli();
  root = await mkdtemp(join(tmpdir(), 'sona-checkpoint-cli-hostile-'));
}, 60_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(dirname(cli), { recursive: true, force: true });
});

/** A fresh directory holding a valid checkpoint `a.json`, the key pair, and `a-signed.json`. */
async function workspace(): Promise<string> {
  const dir = join(root, `case-${counter++}`);
  await mkdir(dir);
  const checkpoint = createCheckpoint(seededState(counter, size));
  await saveCheckpoint(join(dir, 'a.json'), checkpoint);
  await saveCheckpoint(join(dir, 'a-signed.json'), signCheckpoint(checkpoint, keys.privateKeyPem));
  await writeFile(join(dir, 'k.key'), keys.privateKeyPem, { mode: 0o600 });
  await writeFile(join(dir, 'k.pub'), keys.publicKeyPem);
  return dir;
}

function run(dir: string, ...args: string[]): CliRun {
  return runCliProcess(cli, dir, args);
}

function expectNoRawControls(result: CliRun): void {
  expect(result.stdout).not.toMatch(RAW_CONTROL);
  expect(result.stderr).not.toMatch(RAW_CONTROL);
}

describe('terminal output escapes whatever a file or a name holds', () => {
  it('a model name cannot clear the screen or forge a "signed" row in list', async () => {
    const dir = await workspace();
    const forged = `x\u001b[2J\u001b[H\nforged.json  signed\u009b31m\u202e`;
    const state = seededState(77, size);
    await saveCheckpoint(
      join(dir, 'evil.json'),
      createCheckpoint({ ...state, model: { ...state.model, name: forged } }),
    );
    const table = run(dir, 'list');
    expect(table.code).toBe(0);
    expectNoRawControls(table);
    const rows = table.stdout.trimEnd().split('\n');
    expect(rows).toHaveLength(4); // header, a-signed.json, a.json, evil.json
    expect(rows.filter((row) => row.startsWith('forged'))).toEqual([]);
    expect(table.stdout).toContain('x\\x1b[2J\\x1b[H\\nforged.json  signed\\x9b31m\\u{202e}');
    const listed = run(dir, 'list', '--json');
    expect(listed.stdout).not.toMatch(RAW_CONTROL);
    const evil = JSON.parse(listed.stdout).checkpoints.find((c: { file: string }) =>
      c.file.endsWith('evil.json'),
    );
    expect(evil.summary.model).toBe(forged);
    const compared = run(dir, 'compare', 'a.json', 'evil.json');
    expect(compared.code).toBe(0);
    expectNoRawControls(compared);
    expect(compared.stdout).toContain('\\x1b[2J');
  });

  it('setting and metric names are escaped in compare', async () => {
    const dir = await workspace();
    const state = seededState(78, size);
    const history = state.improvementHistory.map((row) => ({ ...row, '\u001b[5mblink': 1 }));
    await saveCheckpoint(
      join(dir, 'odd.json'),
      createCheckpoint({
        ...state,
        config: { ...state.config, 'k\u001b[0m\u2028': 'v\u0085\u009b' },
        improvementHistory: history,
      }),
    );
    const compared = run(dir, 'compare', 'a.json', 'odd.json');
    expect(compared.code).toBe(0);
    expectNoRawControls(compared);
    expect(compared.stdout).not.toMatch(/[\u2028\u0085]/);
    expect(compared.stdout).toContain('\\x1b[5mblink');
    const json = run(dir, 'compare', 'a.json', 'odd.json', '--json');
    expect(json.stdout).not.toMatch(/[\u2028\u0085\u009b]/);
    expect(JSON.parse(json.stdout).configChanges).toContainEqual({
      path: `config[${JSON.stringify('k\u001b[0m\u2028')}]`,
      kind: 'added',
      before: null,
      after: 'v\u0085\u009b',
    });
  });

  it('unknown field names and file names are escaped in verify', async () => {
    const dir = await workspace();
    const doc = JSON.parse(await readFile(join(dir, 'a.json'), 'utf8'));
    doc['\u001b]0;pwned\u0007'] = 1;
    const name = 'bad\u001b[32m.json';
    await writeFile(join(dir, name), JSON.stringify(doc));
    const result = run(dir, 'verify', name, 'a.json');
    expect(result.code).toBe(1);
    expectNoRawControls(result);
    expect(result.stdout).toContain('unknown field(s): \\x1b]0;pwned\\x07');
    expect(result.stdout).toContain('bad\\x1b[32m.json');
    const json = run(dir, 'verify', name, '--json');
    expect(JSON.parse(json.stdout).checkpoints[0].file).toBe(name);
  });
});

describe('colour for verdicts honours NO_COLOR and FORCE_COLOR', () => {
  it('colours only when forced (a pipe is not a terminal), never with FORCE_COLOR=0 or NO_COLOR', async () => {
    const dir = await workspace();
    await writeFile(join(dir, 'broken.json'), '{"version": 1');
    const colourOf = (env: Record<string, string>) =>
      runCliProcess(cli, dir, ['verify', 'a.json', 'broken.json'], env).stdout;
    const forced = colourOf({ FORCE_COLOR: '1' });
    expect(forced).toContain('\u001b[32mintegrity only\u001b[39m');
    expect(forced).toContain('\u001b[31mINVALID');
    expect(forced).toContain('\u001b[31m1 of 2 checkpoint(s) pass\u001b[39m');
    for (const env of [{}, { NO_COLOR: '1' }, { FORCE_COLOR: '0' }] as Record<string, string>[]) {
      expect(colourOf(env)).not.toContain('\u001b[');
    }
    expect(colourOf({ FORCE_COLOR: '1', NO_COLOR: '1' })).toContain('\u001b[');
    // --json is never coloured.
    expect(
      runCliProcess(cli, dir, ['verify', 'a.json', '--json'], { FORCE_COLOR: '1' }).stdout,
    ).not.toContain('\u001b[');
  });
});

describe('keys', () => {
  it('verify --key with a private key says so and uses its public half', async () => {
    const dir = await workspace();
    const result = run(dir, 'verify', 'a-signed.json', '--key', 'k.key', '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).checkpoints[0]).toMatchObject({ level: 'signed' });
    expect(result.stderr).toBe(
      `sona-checkpoint: note: k.key holds a private key; verifying with its public half (key id ${keys.keyId}). Verifiers need only the public key (PREFIX.pub from keygen): keep the private key secret.\n`,
    );
    expect(run(dir, 'verify', 'a-signed.json', '--key', 'k.pub').stderr).toBe('');
  });

  it('sign --key with a public key is a usage error saying which file to give', async () => {
    const dir = await workspace();
    const result = run(dir, 'sign', 'a.json', '--key', 'k.pub');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'sona-checkpoint sign: k.pub holds a public key; signing needs the private key\nhint: give the PREFIX.key file that keygen wrote (PREFIX.pub is for verifying)\n',
    );
  });

  it('a key file that is no key, or too large, is a usage error', async () => {
    const dir = await workspace();
    await writeFile(join(dir, 'junk.pub'), 'hello');
    expect(run(dir, 'verify', 'a.json', '--key', 'junk.pub').stderr).toMatch(
      /^sona-checkpoint verify: junk\.pub: not a readable public key/,
    );
    await writeFile(join(dir, 'huge.pub'), Buffer.alloc(70_000, 0x41));
    const huge = run(dir, 'verify', 'a.json', '--key', 'huge.pub');
    expect(huge.code).toBe(2);
    expect(huge.stderr).toContain('larger than 65536 bytes');
  });
});

describe.runIf(unix)(
  'FIFOs, symlinks, devices and huge files never hang, abort or get replaced',
  () => {
    it('verify --key FIFO and sign --key FIFO fail at once (exit 2)', async () => {
      const dir = await workspace();
      execFileSync('mkfifo', [join(dir, 'fifo.pub')]);
      for (const args of [
        ['verify', 'a.json', '--key', 'fifo.pub'],
        ['sign', 'a.json', '--key', 'fifo.pub'],
      ]) {
        const result = run(dir, ...args);
        expect(result.code).toBe(2);
        expect(result.stderr).toContain('cannot read the key file fifo.pub: it is a FIFO');
      }
    });

    it('sign of a FIFO, and sign --out to a FIFO, a device or a symlink, refuse (exit 1) and change nothing', async () => {
      const dir = await workspace();
      execFileSync('mkfifo', [join(dir, 'fifo.json')]);
      await symlink('a.json', join(dir, 'link.json'));
      const before = await readFile(join(dir, 'a.json'), 'utf8');
      const reading = run(dir, 'sign', 'fifo.json', '--key', 'k.key');
      expect(reading.code).toBe(1);
      expect(reading.stderr).toContain('it is a FIFO');
      const writing = run(dir, 'sign', 'a.json', '--key', 'k.key', '--out', 'fifo.json');
      expect(writing.code).toBe(1);
      expect(writing.stderr).toContain('CHECKPOINT_IO: cannot write fifo.json: it is a FIFO');
      expect((await lstat(join(dir, 'fifo.json'))).isFIFO()).toBe(true);
      let device = '/dev/null';
      if (process.getuid?.() === 0) {
        device = join(dir, 'null.json');
        execFileSync('mknod', [device, 'c', '1', '3']);
      }
      const toDevice = run(dir, 'sign', 'a.json', '--key', 'k.key', '--out', device);
      expect(toDevice.code).toBe(1);
      expect(toDevice.stderr).toContain('it is a character device');
      expect((await lstat(device)).isCharacterDevice()).toBe(true);
      const inPlace = run(dir, 'sign', 'link.json', '--key', 'k.key');
      expect(inPlace.code).toBe(1);
      expect(inPlace.stderr).toContain('it is a symbolic link');
      expect(inPlace.stderr).toContain('realpath link.json');
      expect((await lstat(join(dir, 'link.json'))).isSymbolicLink()).toBe(true);
      expect(await readFile(join(dir, 'a.json'), 'utf8')).toBe(before);
    });

    it('sign in place keeps the file mode', async () => {
      const dir = await workspace();
      await chmod(join(dir, 'a.json'), 0o600);
      expect(run(dir, 'sign', 'a.json', '--key', 'k.key').code).toBe(0);
      expect((await stat(join(dir, 'a.json'))).mode & 0o777).toBe(0o600);
      expect(run(dir, 'verify', 'a.json', '--key', 'k.pub').code).toBe(0);
    });

    it('keygen never writes into a FIFO or through a symlink, with or without --force', async () => {
      const dir = await workspace();
      execFileSync('mkfifo', [join(dir, 'team.key')]);
      const plain = run(dir, 'keygen', '--out', 'team');
      expect(plain.code).toBe(1);
      expect(plain.stderr).toBe(
        'sona-checkpoint: team.key already exists (use --force to replace it)\n',
      );
      const forced = run(dir, 'keygen', '--out', 'team', '--force');
      expect(forced.code).toBe(1);
      expect(forced.stderr).toContain('cannot write team.key: it is a FIFO');
      await symlink('elsewhere.key', join(dir, 'other.key'));
      expect(run(dir, 'keygen', '--out', 'other', '--force').stderr).toContain('symbolic link');
      await expect(lstat(join(dir, 'elsewhere.key'))).rejects.toThrow();
      expect(run(dir, 'keygen', '--out', 'fine').code).toBe(0);
      expect(run(dir, 'keygen', '--out', 'fine', '--force').code).toBe(0);
      expect((await stat(join(dir, 'fine.key'))).mode & 0o777).toBe(0o600);
    });

    it('a sparse 2^31 − 1 byte file with --max-bytes raised: CHECKPOINT_TOO_LARGE, exit 1, no abort', async () => {
      const dir = await workspace();
      execFileSync('truncate', ['-s', String(2 ** 31 - 1), join(dir, 'huge.json')]);
      const verified = run(dir, 'verify', 'huge.json', '--max-bytes', String(2 ** 32), '--json');
      expect(verified.code).toBe(1);
      expect(JSON.parse(verified.stdout).checkpoints[0].errors[0].code).toBe(
        'CHECKPOINT_TOO_LARGE',
      );
      const listed = run(dir, 'list', '--max-bytes', String(2 ** 32));
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(/huge\.json\s+INVALID.*CHECKPOINT_TOO_LARGE/);
    });
  },
);

describe('list', () => {
  it('has a signature column, and says "not a checkpoint" for other JSON files', async () => {
    const dir = await workspace();
    await writeFile(join(dir, 'package.json'), '{"name": "x", "version": "1.0.0"}');
    await writeFile(join(dir, 'array.json'), '[1, 2]');
    await writeFile(join(dir, 'broken.json'), '{"version": 1, "stateHash": ');
    const { stdout } = run(dir, 'list');
    const row = (file: string) => stdout.split('\n').find((line) => line.startsWith(`${file} `))!;
    expect(stdout.split('\n')[0]).toMatch(/PATTERNS\s+SIGNATURE\s+BYTES/);
    expect(row('a-signed.json')).toMatch(
      new RegExp(`integrity only .* ${keys.keyId} \\(not checked\\)`),
    );
    expect(row('a.json')).toMatch(/integrity only .* unsigned /);
    expect(row('package.json')).toMatch(/^package\.json\s+not a checkpoint\s/);
    expect(row('array.json')).toMatch(/^array\.json\s+not a checkpoint\s/);
    expect(row('broken.json')).toMatch(/^broken\.json\s+INVALID\s.*CHECKPOINT_TRUNCATED/);
    const json = JSON.parse(run(dir, 'list', '--json').stdout);
    const kinds = Object.fromEntries(
      json.checkpoints.map((c: { file: string; kind: string }) => [c.file, c.kind]),
    );
    expect(kinds).toEqual({
      'a-signed.json': 'checkpoint',
      'a.json': 'checkpoint',
      'array.json': 'not-a-checkpoint',
      'broken.json': 'checkpoint',
      'package.json': 'not-a-checkpoint',
    });
  });
});

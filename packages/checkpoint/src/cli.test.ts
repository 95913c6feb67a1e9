import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import packageJson from '../package.json';
import { createCheckpoint } from './checkpoint';
import { saveCheckpoint, serializeCheckpoint } from './io';
import { bundleCli, runCliProcess } from './test-cli';
import { seededState } from './test-fixtures';

let cli: string;
let dir: string;

/** Runs `sona-checkpoint ...args` as a real process in the test directory. */
function run(...args: string[]) {
  return runCliProcess(cli, dir, args);
}

function runJson(...args: string[]) {
  const result = run(...args, '--json');
  return { ...result, json: JSON.parse(result.stdout) };
}

beforeAll(async () => {
  cli = await bundleCli();
  dir = await mkdtemp(join(tmpdir(), 'sona-checkpoint-cli-'));
  const size = { dim: 8, replayItems: 2, epochs: 3 };
  await saveCheckpoint(
    join(dir, 'a.json'),
    createCheckpoint(seededState(1, { ...size, patterns: 3 })),
  );
  await saveCheckpoint(
    join(dir, 'b.json'),
    createCheckpoint(seededState(2, { ...size, patterns: 5 })),
  );
  const tampered = serializeCheckpoint(createCheckpoint(seededState(3, { ...size, patterns: 1 })));
  await writeFile(join(dir, 'tampered.json'), tampered.replace('"seed": 3', '"seed": 4'));
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(dirname(cli), { recursive: true, force: true });
});

describe('sona-checkpoint verify', () => {
  it('exits 0 when every file passes, with a readable table', () => {
    const { code, stdout } = run('verify', 'a.json', 'b.json');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^FILE\s+STATUS\s+STATE HASH\s+SIGNATURE\n/);
    expect(stdout).toMatch(/a\.json\s+integrity only\s+[0-9a-f]{16}\s+unsigned\n/);
    expect(stdout).toContain('2 of 2 checkpoint(s) pass');
  });

  it('exits 1 when any file fails, naming the code and where', () => {
    const { code, stdout } = run('verify', 'a.json', 'tampered.json', 'missing.json');
    expect(code).toBe(1);
    expect(stdout).toMatch(/tampered\.json\s+INVALID/);
    expect(stdout).toContain('CHECKPOINT_HASH_MISMATCH  stateHash');
    expect(stdout).toContain('CHECKPOINT_IO  (file)');
    expect(stdout).toContain('1 of 3 checkpoint(s) pass');
  });

  it('--json has the documented shape', () => {
    const { code, json } = runJson('verify', 'a.json', 'tampered.json');
    expect(code).toBe(1);
    expect(Object.keys(json)).toEqual(['version', 'ok', 'checkpoints']);
    expect(json.version).toBe(1);
    expect(json.ok).toBe(false);
    const [good, bad] = json.checkpoints;
    expect(Object.keys(good)).toEqual([
      'file',
      'ok',
      'level',
      'signed',
      'signature',
      'keyId',
      'stateHash',
      'errors',
    ]);
    expect(good).toMatchObject({
      file: 'a.json',
      ok: true,
      level: 'integrity-only',
      signed: false,
      signature: 'absent',
      keyId: null,
      errors: [],
    });
    expect(good.stateHash).toMatch(/^[0-9a-f]{64}$/);
    expect(bad).toMatchObject({ ok: false, level: 'invalid', stateHash: null });
    expect(bad.errors[0]).toEqual({
      code: 'CHECKPOINT_HASH_MISMATCH',
      path: 'stateHash',
      message: expect.stringContaining('does not match'),
    });
  });

  it.each([
    [
      ['verify'],
      'sona-checkpoint verify: verify needs at least one FILE',
      '"sona-checkpoint verify --help" shows the usage',
    ],
    [
      ['verify', 'a.json', '--bogus'],
      'sona-checkpoint verify: unknown option --bogus',
      '"sona-checkpoint verify --help" shows the usage',
    ],
    [
      ['verify', 'a.json', '--jsno'],
      'sona-checkpoint verify: unknown option --jsno',
      'did you mean --json?',
    ],
    [
      ['verify', 'a.json', '--max-byte=9'],
      'sona-checkpoint verify: unknown option --max-byte',
      'did you mean --max-bytes N?',
    ],
    [
      ['verify', 'a.json', '--json', '--json'],
      'sona-checkpoint verify: --json is given twice',
      'give --json once',
    ],
    [
      ['verify', 'a.json', '--key', 'no-such-key.pub'],
      'sona-checkpoint verify: cannot read the key file no-such-key.pub: no such file',
      '"sona-checkpoint verify --help" shows the usage',
    ],
    [
      ['verify', 'a.json', '--max-bytes', '-3'],
      'sona-checkpoint verify: --max-bytes needs a value',
      'write --max-bytes=-3 if -3 is the value',
    ],
    [
      ['verify', 'a.json', '--max-bytes=1e3'],
      'sona-checkpoint verify: --max-bytes needs a whole number from 0 to 9007199254740991, got "1e3"',
      '"sona-checkpoint verify --help" shows the usage',
    ],
    [
      ['verify', 'a.json', '--out', 'x'],
      'sona-checkpoint verify: unknown option --out',
      '--out is an option of sign and keygen',
    ],
    [['verfy', 'a.json'], 'sona-checkpoint: unknown command "verfy"', 'did you mean verify?'],
    [
      ['frobnicate'],
      'sona-checkpoint: unknown command "frobnicate"',
      'the commands are verify, list, compare, sign, keygen',
    ],
    [
      ['keygen', '--force', '--force'],
      'sona-checkpoint keygen: --force is given twice',
      'give --force once',
    ],
  ])('a usage error is one line and one hint, exit 2: %j', (args, line, hint) => {
    const { code, stderr, stdout } = run(...args);
    expect(code).toBe(2);
    expect(stderr).toBe(`${line}\nhint: ${hint}\n`);
    expect(stdout).toBe('');
  });

  it('without a command it prints the whole usage and exits 2', () => {
    const { code, stderr } = run();
    expect(code).toBe(2);
    expect(stderr).toContain('Usage: sona-checkpoint <command>');
  });

  it('--max-bytes refuses larger files', () => {
    const { code, json } = runJson('verify', 'a.json', '--max-bytes', '100');
    expect(code).toBe(1);
    expect(json.checkpoints[0].errors[0].code).toBe('CHECKPOINT_TOO_LARGE');
  });
});

describe('sona-checkpoint keygen and sign', () => {
  it('keygen writes a PEM key pair (private key mode 600) and refuses to overwrite it', async () => {
    const { code, stdout } = run('keygen', '--out', 'team');
    expect(code).toBe(0);
    expect(stdout).toMatch(/key id:\s+[0-9a-f]{16}/);
    expect(await readFile(join(dir, 'team.key'), 'utf8')).toContain('-----BEGIN PRIVATE KEY-----');
    expect(await readFile(join(dir, 'team.pub'), 'utf8')).toContain('-----BEGIN PUBLIC KEY-----');
    if (process.platform !== 'win32')
      expect((await stat(join(dir, 'team.key'))).mode & 0o777).toBe(0o600);
    expect(run('keygen', '--out', 'team').code).toBe(1);
    expect(run('keygen', '--out', 'team', '--force').code).toBe(0);
  });

  it('sign, then verify with the right key: signed; with another key: foreign, exit 1', () => {
    expect(run('keygen', '--out', 'signer').code).toBe(0);
    expect(run('keygen', '--out', 'other').code).toBe(0);
    const signed = run('sign', 'a.json', '--key', 'signer.key', '--out', 'a-signed.json');
    expect(signed.code).toBe(0);
    expect(signed.stdout).toMatch(/^signed a-signed\.json with key [0-9a-f]{16}\n$/);

    const ok = runJson('verify', 'a-signed.json', '--key', 'signer.pub');
    expect(ok.code).toBe(0);
    expect(ok.json.checkpoints[0]).toMatchObject({
      level: 'signed',
      signed: true,
      signature: 'verified',
    });

    const unchecked = runJson('verify', 'a-signed.json');
    expect(unchecked.code).toBe(0);
    expect(unchecked.json.checkpoints[0]).toMatchObject({
      level: 'integrity-only',
      signature: 'not-checked',
    });

    const foreign = runJson('verify', 'a-signed.json', '--key', 'other.pub');
    expect(foreign.code).toBe(1);
    expect(foreign.json.checkpoints[0].errors[0].code).toBe('CHECKPOINT_FOREIGN_SIGNATURE');

    const unsigned = runJson('verify', 'b.json', '--key', 'signer.pub');
    expect(unsigned.code).toBe(1);
    expect(unsigned.json.checkpoints[0].errors[0].code).toBe('CHECKPOINT_UNSIGNED');
  });

  it('sign refuses an invalid checkpoint (exit 1) and a missing or wrong key (exit 2)', () => {
    expect(run('keygen', '--out', 'k').code).toBe(0);
    const invalid = run('sign', 'tampered.json', '--key', 'k.key');
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('CHECKPOINT_HASH_MISMATCH');
    expect(run('sign', 'a.json').code).toBe(2);
    expect(run('sign', 'a.json', '--key', 'k.pub').code).toBe(2);
  });
});

describe('sona-checkpoint list and compare', () => {
  it('list --json summarises every *.json file', () => {
    const { code, json } = runJson('list', '.');
    expect(code).toBe(0);
    expect(Object.keys(json)).toEqual(['version', 'dir', 'checkpoints']);
    const byName = new Map(json.checkpoints.map((c: { file: string }) => [c.file, c]));
    const a = byName.get('a.json') as Record<string, unknown>;
    expect(Object.keys(a)).toEqual([
      'file',
      'bytes',
      'kind',
      'ok',
      'level',
      'signature',
      'keyId',
      'stateHash',
      'summary',
      'errors',
    ]);
    expect(a.summary).toEqual({
      model: 'Qwen2.5-Coder-7B',
      sonaVersion: 'v3',
      seed: 1,
      epochs: 3,
      lastSuccessRate: expect.any(Number),
      patterns: 3,
      trajectories: 100,
    });
    expect(a.kind).toBe('checkpoint');
    expect(byName.get('tampered.json')).toMatchObject({
      kind: 'checkpoint',
      ok: false,
      summary: null,
    });
  });

  it('list prints a table and exits 1 for a directory that cannot be read', () => {
    const table = run('list');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^FILE\s+STATUS\s+MODEL\s+SONA\s+EPOCHS/);
    expect(run('list', 'no-such-dir').code).toBe(1);
  });

  it('compare --json reports settings, epochs, tensors and patterns', () => {
    const { code, json } = runJson('compare', 'a.json', 'b.json');
    expect(code).toBe(0);
    expect(Object.keys(json)).toEqual([
      'version',
      'a',
      'b',
      'stateHashA',
      'stateHashB',
      'identical',
      'configChanges',
      'epochs',
      'tensors',
      'patterns',
      'trajectories',
    ]);
    expect(json.configChanges).toEqual([
      { path: 'config.seed', kind: 'changed', before: 1, after: 2 },
    ]);
    expect(json.patterns).toEqual({ a: 3, b: 5, change: 2 });
    expect(json.epochs).toHaveLength(3);
    expect(
      json.tensors.find((t: { tensor: string }) => t.tensor === 'ewcState.fisher').l2,
    ).toBeGreaterThan(0);
  });

  it('compare prints sections, exits 1 for an invalid file and 2 without two files', () => {
    const text = run('compare', 'a.json', 'b.json');
    expect(text.code).toBe(0);
    for (const section of [
      'Settings',
      'Per-epoch metrics (B − A)',
      'Weights (L2 distance)',
      'Patterns: 3 → 5 (+2)',
    ]) {
      expect(text.stdout).toContain(section);
    }
    expect(run('compare', 'a.json', 'tampered.json').code).toBe(1);
    expect(run('compare', 'a.json').code).toBe(2);
  });

  it('help exits 0; each command has its own', () => {
    const all = run('--help');
    expect(all.code).toBe(0);
    for (const name of ['verify', 'list', 'compare', 'sign', 'keygen']) {
      expect(all.stdout).toContain(`  ${name} `);
      const one = run(name, '--help');
      expect(one.code).toBe(0);
      expect(one.stdout).toMatch(new RegExp(`^Usage: sona-checkpoint ${name}`));
      expect(run('help', name).stdout).toBe(one.stdout);
      expect(run(name, '-h').stdout).toBe(one.stdout);
    }
  });

  it('--version prints the package version', () => {
    for (const args of [['--version'], ['verify', '--version']]) {
      const { code, stdout } = run(...args);
      expect(code).toBe(0);
      expect(stdout).toBe(`sona-checkpoint ${packageJson.version}\n`);
    }
  });
});

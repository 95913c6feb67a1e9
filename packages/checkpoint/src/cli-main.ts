import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { isSonaError, SonaError } from '@sona/core';
import { signCheckpoint } from './checkpoint';
import { type CheckpointComparison, compareCheckpoints } from './compare';
import {
  DEFAULT_MAX_BYTES,
  listCheckpoints,
  loadCheckpoint,
  saveCheckpoint,
  verifyCheckpoint,
} from './io';
import type { CheckpointIssue } from './issues';
import { generateSigningKeys, type KeyInput, publicKeyOf } from './signature';

/** Version of the `--json` output documents (see the README); bumped only on breaking changes. */
export const CLI_JSON_VERSION = 1;

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const USAGE = `Usage: sona-checkpoint <command> [options]

Commands:
  verify FILE... [--key PUBLIC_KEY_FILE] [--max-bytes N] [--json]
      Check each checkpoint's schema, tensors and stateHash; with --key, also require a valid
      Ed25519 signature by that key. Exit 0 when all pass, 1 when any fails.
  list [DIR] [--max-bytes N] [--json]
      Verify and summarise every *.json file in DIR (default: the current directory).
  compare A B [--max-bytes N] [--json]
      Settings changed, per-epoch metric deltas (B − A), L2 distance per weight tensor,
      pattern count change.
  sign FILE --key PRIVATE_KEY_FILE [--out FILE]
      Sign a valid checkpoint (in place, atomically, unless --out is given).
  keygen [--out PREFIX] [--force]
      Write a new Ed25519 key pair: PREFIX.key (private, PKCS#8 PEM, mode 600) and
      PREFIX.pub (public, SPKI PEM). PREFIX defaults to ./sona-checkpoint.

Exit codes: 0 success, 1 a checkpoint failed or could not be written, 2 usage error.
`;

class UsageError extends Error {}

interface Parsed {
  readonly positionals: string[];
  readonly json: boolean;
  readonly key: string | undefined;
  readonly out: string | undefined;
  readonly force: boolean;
  readonly maxBytes: number;
}

function parse(args: string[]): Parsed {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean' },
        key: { type: 'string' },
        out: { type: 'string' },
        force: { type: 'boolean' },
        'max-bytes': { type: 'string' },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const maxBytesText = values['max-bytes'] as string | undefined;
  const maxBytes = maxBytesText === undefined ? DEFAULT_MAX_BYTES : Number(maxBytesText);
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0 || !/^\d+$/.test(maxBytesText ?? '0')) {
    throw new UsageError(`--max-bytes needs a non-negative integer, got ${maxBytesText}`);
  }
  return {
    positionals,
    json: values.json === true,
    key: values.key as string | undefined,
    out: values.out as string | undefined,
    force: values.force === true,
    maxBytes,
  };
}

function allow(parsed: Parsed, command: string, flags: readonly string[]): void {
  const given: [string, boolean][] = [
    ['json', parsed.json],
    ['key', parsed.key !== undefined],
    ['out', parsed.out !== undefined],
    ['force', parsed.force],
  ];
  for (const [flag, present] of given) {
    if (present && !flags.includes(flag))
      throw new UsageError(`${command} does not take --${flag}`);
  }
}

async function readKey(path: string, kind: 'public' | 'private'): Promise<KeyInput> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the ${kind} key file ${path}: ${(error as Error).message}`);
  }
  try {
    if (kind === 'public') publicKeyOf(pem);
  } catch (error) {
    throw new UsageError(`${path}: ${(error as Error).message}`);
  }
  return pem;
}

/** A plain-text table: columns padded to their widest cell. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((title, c) =>
    Math.max(title.length, ...rows.map((row) => (row[c] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function issueLines(errors: readonly CheckpointIssue[]): string {
  return errors
    .map((e) => `    ${e.code}  ${e.path === '' ? '(file)' : e.path}  ${e.message}`)
    .join('\n');
}

const LEVEL_TEXT = {
  signed: 'signed',
  'integrity-only': 'integrity only',
  invalid: 'INVALID',
} as const;

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

async function verifyCommand(parsed: Parsed, io: CliIo): Promise<number> {
  allow(parsed, 'verify', ['json', 'key']);
  if (parsed.positionals.length === 0) throw new UsageError('verify needs at least one FILE');
  const publicKey = parsed.key === undefined ? undefined : await readKey(parsed.key, 'public');
  const results = [];
  for (const file of parsed.positionals) {
    const result = await verifyCheckpoint(file, { publicKey, maxBytes: parsed.maxBytes });
    results.push({ file, ...result });
  }
  const ok = results.every((r) => r.ok);
  if (parsed.json) {
    io.stdout(
      json({
        version: CLI_JSON_VERSION,
        ok,
        checkpoints: results.map((r) => ({
          file: r.file,
          ok: r.ok,
          level: r.level,
          signed: r.signed,
          signature: r.signature,
          keyId: r.keyId,
          stateHash: r.stateHash,
          errors: r.errors,
        })),
      }),
    );
  } else {
    const rows = results.map((r) => [
      r.file,
      LEVEL_TEXT[r.level],
      r.stateHash?.slice(0, 16) ?? '-',
      r.keyId === null ? '-' : `${r.keyId}${r.signature === 'not-checked' ? ' (not checked)' : ''}`,
    ]);
    io.stdout(`${formatTable(['FILE', 'STATUS', 'STATE HASH', 'SIGNING KEY'], rows)}\n`);
    for (const r of results.filter((x) => !x.ok))
      io.stdout(`\n${r.file}:\n${issueLines(r.errors)}\n`);
    const passed = results.filter((r) => r.ok).length;
    io.stdout(`\n${passed} of ${results.length} checkpoint(s) pass\n`);
  }
  return ok ? EXIT_OK : EXIT_FAILED;
}

function formatRate(value: number | null): string {
  return value === null ? '-' : `${(value * 100).toFixed(1)}%`;
}

async function listCommand(parsed: Parsed, io: CliIo): Promise<number> {
  allow(parsed, 'list', ['json']);
  if (parsed.positionals.length > 1) throw new UsageError('list takes at most one DIR');
  const dir = parsed.positionals[0] ?? '.';
  const listings = await listCheckpoints(dir, { maxBytes: parsed.maxBytes });
  if (parsed.json) {
    io.stdout(
      json({
        version: CLI_JSON_VERSION,
        dir,
        checkpoints: listings.map((l) => ({
          file: l.file,
          bytes: l.bytes,
          ok: l.result.ok,
          level: l.result.level,
          signature: l.result.signature,
          keyId: l.result.keyId,
          stateHash: l.result.stateHash,
          summary: l.summary,
          errors: l.result.errors,
        })),
      }),
    );
    return EXIT_OK;
  }
  if (listings.length === 0) {
    io.stdout(`no *.json files in ${dir}\n`);
    return EXIT_OK;
  }
  const rows = listings.map((l) => {
    const s = l.summary;
    return [
      l.file,
      LEVEL_TEXT[l.result.level],
      s?.model ?? '-',
      s?.sonaVersion ?? '-',
      s === null ? '-' : String(s.epochs),
      formatRate(s?.lastSuccessRate ?? null),
      s === null ? '-' : String(s.patterns),
      String(l.bytes),
      l.result.stateHash?.slice(0, 12) ?? l.result.errors[0]?.code ?? '-',
    ];
  });
  const header = [
    'FILE',
    'STATUS',
    'MODEL',
    'SONA',
    'EPOCHS',
    'LAST SUCCESS',
    'PATTERNS',
    'BYTES',
    'HASH / ERROR',
  ];
  io.stdout(`${formatTable(header, rows)}\n`);
  return EXIT_OK;
}

function signed(value: number, digits: number): string {
  const text = value.toFixed(digits);
  return value > 0 ? `+${text}` : text;
}

function printComparison(a: string, b: string, c: CheckpointComparison, io: CliIo): void {
  const out: string[] = [
    `A: ${a}  (${c.stateHashA.slice(0, 16)})`,
    `B: ${b}  (${c.stateHashB.slice(0, 16)})`,
  ];
  if (c.identical) out.push('identical content (same stateHash)');
  out.push('', 'Settings');
  out.push(
    c.configChanges.length === 0
      ? '  no changes'
      : formatTable(
          ['  PATH', 'CHANGE', 'A', 'B'],
          c.configChanges.map((ch) => [
            `  ${ch.path}`,
            ch.kind,
            ch.before === null ? '-' : JSON.stringify(ch.before),
            ch.after === null ? '-' : JSON.stringify(ch.after),
          ]),
        ),
  );
  out.push('', 'Per-epoch metrics (B − A)');
  const metricNames = [...new Set(c.epochs.flatMap((e) => Object.keys(e.metrics)))];
  out.push(
    c.epochs.length === 0
      ? '  no history'
      : formatTable(
          ['  EPOCH', ...metricNames],
          c.epochs.map((e) => [
            `  ${e.epoch}`,
            ...metricNames.map((n) => {
              const d = e.metrics[n];
              return d === undefined || d.delta === null ? '-' : signed(d.delta, 4);
            }),
          ]),
        ),
  );
  out.push('', 'Weights (L2 distance)');
  out.push(
    formatTable(
      ['  TENSOR', 'SHAPE A', 'SHAPE B', 'L2'],
      c.tensors.map((t) => [
        `  ${t.tensor}`,
        t.shapeA?.join('×') ?? '-',
        t.shapeB?.join('×') ?? '-',
        t.l2 === null ? 'shapes differ' : t.l2.toPrecision(6),
      ]),
    ),
  );
  out.push('', `Patterns: ${c.patterns.a} → ${c.patterns.b} (${signed(c.patterns.change, 0)})`);
  out.push(
    `Trajectories: ${c.trajectories.a} → ${c.trajectories.b} (${signed(c.trajectories.change, 0)})`,
  );
  io.stdout(`${out.join('\n')}\n`);
}

async function loadOrReport(file: string, parsed: Parsed, io: CliIo) {
  try {
    return await loadCheckpoint(file, { maxBytes: parsed.maxBytes });
  } catch (error) {
    if (!isSonaError(error)) throw error;
    const errors = (error.details?.errors as CheckpointIssue[] | undefined) ?? [
      { code: error.code, path: error.path ?? '', message: error.message },
    ];
    io.stderr(`${file} is not a valid checkpoint:\n${issueLines(errors)}\n`);
    return null;
  }
}

async function compareCommand(parsed: Parsed, io: CliIo): Promise<number> {
  allow(parsed, 'compare', ['json']);
  if (parsed.positionals.length !== 2)
    throw new UsageError('compare needs exactly two files, A and B');
  const [fileA, fileB] = parsed.positionals as [string, string];
  const a = await loadOrReport(fileA, parsed, io);
  const b = await loadOrReport(fileB, parsed, io);
  if (a === null || b === null) return EXIT_FAILED;
  const comparison = compareCheckpoints(a, b);
  if (parsed.json)
    io.stdout(json({ version: CLI_JSON_VERSION, a: fileA, b: fileB, ...comparison }));
  else printComparison(fileA, fileB, comparison, io);
  return EXIT_OK;
}

async function signCommand(parsed: Parsed, io: CliIo): Promise<number> {
  allow(parsed, 'sign', ['key', 'out']);
  if (parsed.positionals.length !== 1) throw new UsageError('sign needs exactly one FILE');
  if (parsed.key === undefined) throw new UsageError('sign needs --key PRIVATE_KEY_FILE');
  const file = parsed.positionals[0]!;
  const pem = await readKey(parsed.key, 'private');
  const checkpoint = await loadOrReport(file, parsed, io);
  if (checkpoint === null) return EXIT_FAILED;
  let signedCheckpoint: ReturnType<typeof signCheckpoint>;
  try {
    signedCheckpoint = signCheckpoint(checkpoint, pem);
  } catch (error) {
    if (isSonaError(error, 'INVALID_ARGUMENT'))
      throw new UsageError(`${parsed.key}: ${error.message}`);
    throw error;
  }
  const target = parsed.out ?? file;
  await saveCheckpoint(target, signedCheckpoint);
  io.stdout(`signed ${target} with key ${signedCheckpoint.signature!.keyId}\n`);
  return EXIT_OK;
}

async function keygenCommand(parsed: Parsed, io: CliIo): Promise<number> {
  allow(parsed, 'keygen', ['out', 'force']);
  if (parsed.positionals.length > 0) throw new UsageError('keygen takes no positional arguments');
  const prefix = parsed.out ?? 'sona-checkpoint';
  const keys = generateSigningKeys();
  const flag = parsed.force ? 'w' : 'wx';
  try {
    await writeFile(`${prefix}.key`, keys.privateKeyPem, { mode: 0o600, flag });
    await writeFile(`${prefix}.pub`, keys.publicKeyPem, { mode: 0o644, flag });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'EEXIST' ? 'already exists (use --force to replace it)' : (error as Error).message;
    io.stderr(`cannot write the key pair ${prefix}.key / ${prefix}.pub: ${why}\n`);
    return EXIT_FAILED;
  }
  io.stdout(
    `private key: ${prefix}.key (keep it secret)\npublic key:  ${prefix}.pub\nkey id:      ${keys.keyId}\n`,
  );
  return EXIT_OK;
}

const COMMANDS: Record<string, (parsed: Parsed, io: CliIo) => Promise<number>> = {
  verify: verifyCommand,
  list: listCommand,
  compare: compareCommand,
  sign: signCommand,
  keygen: keygenCommand,
};

/** Runs one command line (without `node` and the script) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    (command === undefined ? io.stderr : io.stdout)(USAGE);
    return command === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const run = COMMANDS[command];
  try {
    if (run === undefined) throw new UsageError(`unknown command "${command}"`);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout(USAGE);
      return EXIT_OK;
    }
    return await run(parse(rest), io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`sona-checkpoint: ${error.message}\n\n${USAGE}`);
      return EXIT_USAGE;
    }
    if (error instanceof SonaError) {
      io.stderr(`sona-checkpoint: ${error.code}: ${error.message}\n`);
      return EXIT_FAILED;
    }
    throw error;
  }
}

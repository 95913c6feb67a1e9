import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import { isSonaError, SonaError } from '@sona/core';
import {
  createPaint,
  didYouMean,
  escapeTerminal,
  formatUsageError,
  type OptionSpecs,
  type OptionValues,
  type Paint,
  parseArgs,
  parseIntegerArg,
  type StyleName,
  terminalJson,
  usageError,
} from '@sona/core/cli';
import { version as PACKAGE_VERSION } from '../package.json';
import { signCheckpoint, type VerifyResult } from './checkpoint';
import { type CheckpointComparison, compareCheckpoints } from './compare';
import { readRegularFile, writeFileAtomic } from './files';
import {
  type CheckpointListing,
  DEFAULT_MAX_BYTES,
  listCheckpoints,
  loadCheckpoint,
  saveCheckpoint,
  verifyCheckpoint,
} from './io';
import type { CheckpointIssue } from './issues';
import { generateSigningKeys, keyIdOf, publicKeyOf } from './signature';

/** Version of the `--json` output documents (see the README); bumped only on breaking changes. */
export const CLI_JSON_VERSION = 1;

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

const PROGRAM = 'sona-checkpoint';

/** Largest key file read: a PEM Ed25519 key is about 120 bytes. */
const MAX_KEY_BYTES = 64 * 1024;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Colour the verdicts on stdout (the caller decides: `colorEnabled(process.stdout)`). */
  readonly color?: boolean;
}

const common = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const satisfies OptionSpecs;
const json = { type: 'boolean' } as const;
const maxBytes = { type: 'string', value: 'N' } as const;

interface Command<S extends OptionSpecs> {
  readonly synopsis: string;
  readonly about: string;
  readonly options: S;
  readonly run: (args: Args<S>, io: Out) => Promise<number>;
}

interface Args<S extends OptionSpecs> {
  readonly values: OptionValues<S>;
  readonly positionals: readonly string[];
}

/** Output helpers every command gets: colour decided once, text escaped for the terminal. */
interface Out extends CliIo {
  readonly paint: Paint;
}

/** Shorthand: any text from a file or the command line, made safe to print (see @sona/core/cli). */
const t = escapeTerminal;

function command<S extends OptionSpecs>(spec: Command<S>): Command<OptionSpecs> {
  return spec as unknown as Command<OptionSpecs>;
}

function maxBytesOf(values: { readonly 'max-bytes'?: string }): number {
  const text = values['max-bytes'];
  return text === undefined ? DEFAULT_MAX_BYTES : parseIntegerArg('--max-bytes', text);
}

function document(value: unknown): string {
  return `${terminalJson(value, 2)}\n`;
}

/** A plain-text table: columns padded to their widest cell; `style` colours a padded cell. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  paint?: (row: number, column: number, padded: string) => string,
): string {
  const widths = header.map((title, c) =>
    Math.max(title.length, ...rows.map((row) => (row[c] ?? '').length)),
  );
  const line = (cells: readonly string[], row: number) =>
    cells
      .map((cell, c) => {
        const padded = c === cells.length - 1 ? cell : cell.padEnd(widths[c]!);
        return row < 0 || paint === undefined ? padded : paint(row, c, padded);
      })
      .join('  ')
      .trimEnd();
  return [line(header, -1), ...rows.map((row, r) => line(row, r))].join('\n');
}

function issueLines(errors: readonly CheckpointIssue[]): string {
  return errors
    .map((e) => `    ${e.code}  ${e.path === '' ? '(file)' : t(e.path)}  ${t(e.message)}`)
    .join('\n');
}

const LEVEL_TEXT = {
  signed: 'signed',
  'integrity-only': 'integrity only',
  invalid: 'INVALID',
} as const;

const LEVEL_STYLE: Record<VerifyResult['level'], StyleName> = {
  signed: 'green',
  'integrity-only': 'green',
  invalid: 'red',
};

/** What a file's signature is, for a table: `-` unsigned, else its key id and status. */
function signatureText(result: VerifyResult): string {
  const key = result.keyId ?? 'unknown key';
  switch (result.signature) {
    case 'verified':
      return `${key} (verified)`;
    case 'invalid':
      return result.keyId === null ? 'malformed' : `${key} (invalid)`;
    case 'not-checked':
      return result.keyId === null ? '-' : `${key} (not checked)`;
    default:
      return 'unsigned';
  }
}

/**
 * Reads a key file (a regular file of at most 64 KiB, so a FIFO or device cannot hang or flood
 * it). For verifying, a private key is accepted and its public half used, with a note on
 * stderr; for signing, a public key is refused with what to give instead.
 */
async function readKey(path: string, role: 'verify' | 'sign', io: CliIo): Promise<KeyObject> {
  const read = await readRegularFile(path, MAX_KEY_BYTES);
  if (read.problem !== undefined) {
    throw usageError(
      read.problem === 'too-large'
        ? `${path} is larger than ${MAX_KEY_BYTES} bytes: not a key file`
        : `${read.message.replace(/^cannot read /, 'cannot read the key file ')}`,
    );
  }
  const pem = read.bytes.toString('utf8');
  let privateKey: KeyObject | undefined;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    // Not a private key: maybe a public one.
  }
  try {
    if (role === 'sign') {
      if (privateKey !== undefined) return privateKey;
      createPublicKey(pem);
      throw usageError(
        `${path} holds a public key; signing needs the private key`,
        'give the PREFIX.key file that keygen wrote (PREFIX.pub is for verifying)',
      );
    }
    if (privateKey === undefined) return publicKeyOf(pem);
    const publicKey = publicKeyOf(privateKey);
    io.stderr(
      `${PROGRAM}: note: ${t(path)} holds a private key; verifying with its public half (key id ${keyIdOf(publicKey)}). Verifiers need only the public key (PREFIX.pub from keygen): keep the private key secret.\n`,
    );
    return publicKey;
  } catch (error) {
    if (isSonaError(error, 'USAGE')) throw error;
    const why = isSonaError(error) ? error.message : 'not a PEM key';
    throw usageError(`${path}: ${why}`);
  }
}

async function verifyRun(
  { values, positionals }: Args<typeof verify.options>,
  io: Out,
): Promise<number> {
  if (positionals.length === 0) throw usageError('verify needs at least one FILE');
  const publicKey = values.key === undefined ? undefined : await readKey(values.key, 'verify', io);
  const limit = maxBytesOf(values);
  const results: (VerifyResult & { readonly file: string })[] = [];
  for (const file of positionals) {
    const result = await verifyCheckpoint(file, { publicKey, maxBytes: limit });
    results.push({ file, ...result });
  }
  const ok = results.every((r) => r.ok);
  if (values.json) {
    io.stdout(
      document({
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
    return ok ? EXIT_OK : EXIT_FAILED;
  }
  const rows = results.map((r) => [
    t(r.file),
    LEVEL_TEXT[r.level],
    r.stateHash?.slice(0, 16) ?? '-',
    signatureText(r),
  ]);
  const table = formatTable(['FILE', 'STATUS', 'STATE HASH', 'SIGNATURE'], rows, (row, c, cell) =>
    c === 1 ? io.paint(LEVEL_STYLE[results[row]!.level], cell) : cell,
  );
  io.stdout(`${table}\n`);
  for (const r of results.filter((x) => !x.ok)) {
    io.stdout(`\n${t(r.file)}:\n${issueLines(r.errors)}\n`);
  }
  const passed = results.filter((r) => r.ok).length;
  const summary = `${passed} of ${results.length} checkpoint(s) pass`;
  io.stdout(`\n${io.paint(ok ? 'green' : 'red', summary)}\n`);
  return ok ? EXIT_OK : EXIT_FAILED;
}

const verify = {
  synopsis: 'verify FILE... [--key KEY_FILE] [--max-bytes N] [--json]',
  about:
    "Check each checkpoint's schema, tensors and stateHash; with --key (a public key, or a private key whose public half is then used), also require a valid Ed25519 signature by that key. Exit 0 when all pass, 1 when any fails.",
  options: { ...common, json, key: { type: 'string', value: 'KEY_FILE' }, 'max-bytes': maxBytes },
} as const;

function formatRate(value: number | null): string {
  return value === null ? '-' : `${(value * 100).toFixed(1)}%`;
}

function listingStatus(listing: CheckpointListing): string {
  return listing.kind === 'not-a-checkpoint'
    ? 'not a checkpoint'
    : LEVEL_TEXT[listing.result.level];
}

function listingStyle(listing: CheckpointListing): StyleName {
  return listing.kind === 'not-a-checkpoint' ? 'dim' : LEVEL_STYLE[listing.result.level];
}

async function listRun(
  { values, positionals }: Args<typeof list.options>,
  io: Out,
): Promise<number> {
  if (positionals.length > 1) throw usageError('list takes at most one DIR');
  const dir = positionals[0] ?? '.';
  const listings = await listCheckpoints(dir, { maxBytes: maxBytesOf(values) });
  if (values.json) {
    io.stdout(
      document({
        version: CLI_JSON_VERSION,
        dir,
        checkpoints: listings.map((l) => ({
          file: l.file,
          bytes: l.bytes,
          kind: l.kind,
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
    io.stdout(`no *.json files in ${t(dir)}\n`);
    return EXIT_OK;
  }
  const rows = listings.map((l) => {
    const s = l.summary;
    const other = l.kind === 'not-a-checkpoint';
    return [
      t(l.file),
      listingStatus(l),
      s === null ? '-' : t(s.model),
      s?.sonaVersion ?? '-',
      s === null ? '-' : String(s.epochs),
      formatRate(s?.lastSuccessRate ?? null),
      s === null ? '-' : String(s.patterns),
      other ? '-' : signatureText(l.result),
      String(l.bytes),
      other ? '-' : (l.result.stateHash?.slice(0, 12) ?? l.result.errors[0]?.code ?? '-'),
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
    'SIGNATURE',
    'BYTES',
    'HASH / ERROR',
  ];
  const table = formatTable(header, rows, (row, c, cell) =>
    c === 1 ? io.paint(listingStyle(listings[row]!), cell) : cell,
  );
  io.stdout(`${table}\n`);
  return EXIT_OK;
}

const list = {
  synopsis: 'list [DIR] [--max-bytes N] [--json]',
  about:
    'Verify and summarise every *.json file in DIR (default: the current directory); other JSON files show as "not a checkpoint".',
  options: { ...common, json, 'max-bytes': maxBytes },
} as const;

function signed(value: number, digits: number): string {
  const text = value.toFixed(digits);
  return value > 0 ? `+${text}` : text;
}

/** A setting's value for the compare table: strings quoted and escaped like every other name. */
function shownValue(value: unknown): string {
  if (value === null) return '-';
  return typeof value === 'string' ? `"${t(value)}"` : t(JSON.stringify(value));
}

function printComparison(a: string, b: string, c: CheckpointComparison, io: Out): void {
  const out: string[] = [
    `A: ${t(a)}  (${c.stateHashA.slice(0, 16)})`,
    `B: ${t(b)}  (${c.stateHashB.slice(0, 16)})`,
  ];
  if (c.identical) out.push(io.paint('green', 'identical content (same stateHash)'));
  out.push('', 'Settings');
  out.push(
    c.configChanges.length === 0
      ? '  no changes'
      : formatTable(
          ['  PATH', 'CHANGE', 'A', 'B'],
          c.configChanges.map((ch) => [
            `  ${t(ch.path)}`,
            ch.kind,
            shownValue(ch.before),
            shownValue(ch.after),
          ]),
        ),
  );
  out.push('', 'Per-epoch metrics (B − A)');
  const metricNames = [...new Set(c.epochs.flatMap((e) => Object.keys(e.metrics)))];
  out.push(
    c.epochs.length === 0
      ? '  no history'
      : formatTable(
          ['  EPOCH', ...metricNames.map(t)],
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
      c.tensors.map((tensor) => [
        `  ${tensor.tensor}`,
        tensor.shapeA?.join('×') ?? '-',
        tensor.shapeB?.join('×') ?? '-',
        tensor.l2 === null ? 'shapes differ' : tensor.l2.toPrecision(6),
      ]),
    ),
  );
  out.push('', `Patterns: ${c.patterns.a} → ${c.patterns.b} (${signed(c.patterns.change, 0)})`);
  out.push(
    `Trajectories: ${c.trajectories.a} → ${c.trajectories.b} (${signed(c.trajectories.change, 0)})`,
  );
  io.stdout(`${out.join('\n')}\n`);
}

async function loadOrReport(file: string, limit: number, io: Out) {
  try {
    return await loadCheckpoint(file, { maxBytes: limit });
  } catch (error) {
    if (!isSonaError(error)) throw error;
    const errors = (error.details?.errors as CheckpointIssue[] | undefined) ?? [
      { code: error.code, path: error.path ?? '', message: error.message },
    ];
    io.stderr(`${t(file)} is not a valid checkpoint:\n${issueLines(errors)}\n`);
    return null;
  }
}

async function compareRun(
  { values, positionals }: Args<typeof compare.options>,
  io: Out,
): Promise<number> {
  if (positionals.length !== 2) throw usageError('compare needs exactly two files, A and B');
  const [fileA, fileB] = positionals as [string, string];
  const limit = maxBytesOf(values);
  const a = await loadOrReport(fileA, limit, io);
  const b = await loadOrReport(fileB, limit, io);
  if (a === null || b === null) return EXIT_FAILED;
  const comparison = compareCheckpoints(a, b);
  if (values.json) {
    io.stdout(document({ version: CLI_JSON_VERSION, a: fileA, b: fileB, ...comparison }));
  } else {
    printComparison(fileA, fileB, comparison, io);
  }
  return EXIT_OK;
}

const compare = {
  synopsis: 'compare A B [--max-bytes N] [--json]',
  about:
    'Settings changed, per-epoch metric deltas (B − A), L2 distance per weight tensor, pattern count change.',
  options: { ...common, json, 'max-bytes': maxBytes },
} as const;

async function signRun(
  { values, positionals }: Args<typeof sign.options>,
  io: Out,
): Promise<number> {
  if (positionals.length !== 1) throw usageError('sign needs exactly one FILE');
  if (values.key === undefined) {
    throw usageError('sign needs --key PRIVATE_KEY_FILE', 'keygen writes one: PREFIX.key');
  }
  const file = positionals[0]!;
  const privateKey = await readKey(values.key, 'sign', io);
  const checkpoint = await loadOrReport(file, maxBytesOf(values), io);
  if (checkpoint === null) return EXIT_FAILED;
  let signedCheckpoint: ReturnType<typeof signCheckpoint>;
  try {
    signedCheckpoint = signCheckpoint(checkpoint, privateKey);
  } catch (error) {
    if (isSonaError(error, 'INVALID_ARGUMENT')) throw usageError(`${values.key}: ${error.message}`);
    throw error;
  }
  const target = values.out ?? file;
  await saveCheckpoint(target, signedCheckpoint);
  io.stdout(`signed ${t(target)} with key ${signedCheckpoint.signature!.keyId}\n`);
  return EXIT_OK;
}

const sign = {
  synopsis: 'sign FILE --key PRIVATE_KEY_FILE [--out FILE] [--max-bytes N]',
  about:
    'Sign a valid checkpoint, in place (atomically) unless --out is given. The target must be a regular file or absent: a symbolic link, FIFO or device is refused.',
  options: {
    ...common,
    key: { type: 'string', value: 'PRIVATE_KEY_FILE' },
    out: { type: 'string', value: 'FILE' },
    'max-bytes': maxBytes,
  },
} as const;

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function keygenRun(
  { values, positionals }: Args<typeof keygen.options>,
  io: Out,
): Promise<number> {
  if (positionals.length > 0) throw usageError('keygen takes no positional arguments');
  const prefix = values.out ?? 'sona-checkpoint';
  const files = [`${prefix}.key`, `${prefix}.pub`] as const;
  const force = values.force === true;
  if (!force) {
    for (const file of files) {
      if (await exists(file)) {
        io.stderr(`${PROGRAM}: ${t(file)} already exists (use --force to replace it)\n`);
        return EXIT_FAILED;
      }
    }
  }
  const keys = generateSigningKeys();
  // Exclusive writes never replace a file that appeared meanwhile; with --force, only regular
  // files are replaced (never through a symbolic link, never a FIFO or a device).
  await writeFileAtomic(files[0], keys.privateKeyPem, { mode: 0o600, exclusive: !force });
  await writeFileAtomic(files[1], keys.publicKeyPem, { mode: 0o644, exclusive: !force });
  io.stdout(
    `private key: ${t(files[0])} (keep it secret)\npublic key:  ${t(files[1])}\nkey id:      ${keys.keyId}\n`,
  );
  return EXIT_OK;
}

const keygen = {
  synopsis: 'keygen [--out PREFIX] [--force]',
  about:
    'Write a new Ed25519 key pair: PREFIX.key (private, PKCS#8 PEM, mode 600) and PREFIX.pub (public, SPKI PEM). PREFIX defaults to ./sona-checkpoint.',
  options: { ...common, out: { type: 'string', value: 'PREFIX' }, force: { type: 'boolean' } },
} as const;

const COMMANDS: Readonly<Record<string, Command<OptionSpecs>>> = {
  verify: command({ ...verify, run: verifyRun }),
  list: command({ ...list, run: listRun }),
  compare: command({ ...compare, run: compareRun }),
  sign: command({ ...sign, run: signRun }),
  keygen: command({ ...keygen, run: keygenRun }),
};

const EXIT_CODES =
  'Exit codes: 0 success, 1 a checkpoint failed or could not be read or written, 2 usage error.';

function wrap(text: string, indent: string, width = 96): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(indent + line);
  return lines.join('\n');
}

function commandHelp(name: string): string {
  const spec = COMMANDS[name]!;
  return `  ${spec.synopsis}\n${wrap(spec.about, '      ')}\n`;
}

const USAGE = `Usage: ${PROGRAM} <command> [options]

Commands:
${Object.keys(COMMANDS).map(commandHelp).join('')}
Every command takes --help; ${PROGRAM} --version prints the version.
${EXIT_CODES}
`;

function helpFor(name: string): string {
  return `Usage: ${PROGRAM} ${COMMANDS[name]!.synopsis}\n\n${wrap(COMMANDS[name]!.about, '')}\n\n${EXIT_CODES}\n`;
}

/** Runs one command line (without `node` and the script) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const out: Out = { ...io, paint: createPaint(io.color === true) };
  const [name, ...rest] = argv;
  let program = PROGRAM;
  try {
    if (name === undefined) {
      io.stderr(USAGE);
      return EXIT_USAGE;
    }
    if (name === '--help' || name === '-h') {
      io.stdout(USAGE);
      return EXIT_OK;
    }
    if (name === '--version') {
      io.stdout(`${PROGRAM} ${PACKAGE_VERSION}\n`);
      return EXIT_OK;
    }
    if (name === 'help') {
      const topic = rest[0];
      if (topic === undefined) io.stdout(USAGE);
      else if (Object.hasOwn(COMMANDS, topic)) io.stdout(helpFor(topic));
      else throw unknownCommand(topic);
      return EXIT_OK;
    }
    if (!Object.hasOwn(COMMANDS, name)) throw unknownCommand(name);
    program = `${PROGRAM} ${name}`;
    const spec = COMMANDS[name]!;
    const args = parseArgs(rest, spec.options);
    if (args.values.help) {
      io.stdout(helpFor(name));
      return EXIT_OK;
    }
    if (args.values.version) {
      io.stdout(`${PROGRAM} ${PACKAGE_VERSION}\n`);
      return EXIT_OK;
    }
    return await spec.run(args, out);
  } catch (error) {
    if (isSonaError(error, 'USAGE')) {
      io.stderr(formatUsageError(withOwnerHint(error), program));
      return EXIT_USAGE;
    }
    if (error instanceof SonaError) {
      io.stderr(`${PROGRAM}: ${error.code}: ${t(error.message)}\n`);
      return EXIT_FAILED;
    }
    throw error;
  }
}

/** An unknown option without a near match may be another command's: say whose. */
function withOwnerHint(error: SonaError): SonaError {
  const option = error.details?.option;
  if (typeof option !== 'string' || error.details?.hint !== undefined) return error;
  const owners = Object.keys(COMMANDS).filter((name) =>
    Object.hasOwn(COMMANDS[name]!.options, option.replace(/^--/, '')),
  );
  if (owners.length === 0) return error;
  return usageError(error.message, `${option} is an option of ${owners.join(' and ')}`, {
    option,
  });
}

function unknownCommand(name: string): SonaError {
  const guess = didYouMean(name, Object.keys(COMMANDS));
  return usageError(
    name.startsWith('-') ? `unknown option ${name}` : `unknown command "${name}"`,
    guess === undefined
      ? `the commands are ${Object.keys(COMMANDS).join(', ')}`
      : `did you mean ${guess}?`,
  );
}

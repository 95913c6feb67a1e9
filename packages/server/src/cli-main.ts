import { isSonaError, SonaError } from '@sona/core';
import {
  createPaint,
  escapeTerminal,
  formatUsageError,
  type OptionSpecs,
  parseArgs,
  usageError,
} from '@sona/core/cli';
import { type RawSettings, readConfigFile, resolveSettings, SETTINGS } from './config';
import { type RunningServer, SERVER_VERSION, startServer } from './http';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

const PROGRAM = 'sona-serve';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly color?: boolean;
}

const VALUES: Record<string, string> = {
  arms: 'A,B,...',
  version: 'v1|v2|v3',
  db: 'PATH',
  'checkpoint-dir': 'DIR',
  host: 'HOST',
  port: 'PORT',
  'token-file': 'FILE',
  upstream: 'NAME=URL[#model]',
  sync: 'full|normal',
  'default-type': 'TYPE',
  'model-name': 'NAME',
};

const OPTIONS: OptionSpecs = {
  help: { type: 'boolean', short: 'h' },
  config: { type: 'string', value: 'FILE' },
  ...Object.fromEntries(
    SETTINGS.filter((s) => s !== 'upstream').map((s) => [
      s,
      { type: 'string', value: VALUES[s] ?? 'N' } as const,
    ]),
  ),
};

export const USAGE = `Usage: ${PROGRAM} --arms A,B,... [options]
       ${PROGRAM} --upstream NAME=URL[#model] [--upstream ...] [options]

SONA as a local HTTP service: POST /v1/choose, POST /v1/outcome, GET /v1/stats, GET /healthz,
POST /v1/epoch, POST /v1/checkpoint; with --upstream, an OpenAI-compatible
POST /v1/chat/completions that routes between the upstreams, and GET /v1/models.

Options:
  --arms A,B,...             the arms (choices) SONA picks between
  --upstream NAME=URL[#model]  an OpenAI-compatible route (repeat it); the routes are the arms
  --version v1|v2|v3         the SONA version (default v3)
  --db PATH                  the SQLite journal (default sona.db)
  --checkpoint-dir DIR       where checkpoints go (default <db>.checkpoints)
  --host HOST                address to bind (default 127.0.0.1)
  --port PORT                port (default 8787; 0 picks a free one)
  --token-file FILE          require Authorization: Bearer <the token in FILE>
  --seed N                   the engine's seed (default 0)
  --dim N                    embedding dimension (default 256)
  --epochs N                 epochs the schedules are planned over (default 100)
  --model-params-b N         model size in billions of parameters (default 7)
  --epoch-every N            end an epoch after N outcomes (default 1000; 0: only POST /v1/epoch)
  --checkpoint-every N       checkpoint after N journal entries (default 20000; 0: only at shutdown)
  --keep-checkpoints N       checkpoint files kept (default 2)
  --max-body-bytes N         largest request body (default 1048576)
  --sync full|normal         full: fsync every commit (default); normal: survives a process crash
  --upstream-timeout-ms N    wait this long for an upstream's answer (default 60000)
  --default-type TYPE        task type when a request names none (default "default")
  --model-name NAME          model name recorded in checkpoints (default sona-serve)
  --config FILE              the same settings as a JSON object (flags win)
  -h, --help                 this text
  --version                  (alone) print the version

Prints one line "listening on http://HOST:PORT" when ready. SIGTERM or SIGINT drains the
requests in flight, writes a checkpoint and exits 0.
`;

/** Splits out every `--upstream` (it may be repeated); the rest goes to parseArgs. */
function takeUpstreams(argv: readonly string[]): { upstreams: string[]; rest: string[] } {
  const upstreams: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg.startsWith('--upstream=')) {
      upstreams.push(arg.slice('--upstream='.length));
      continue;
    }
    if (arg === '--upstream') {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('-')) {
        throw usageError('--upstream needs a value', 'write --upstream NAME=URL[#model]');
      }
      upstreams.push(next);
      i++;
      continue;
    }
    rest.push(arg);
  }
  return { upstreams, rest };
}

/** Parses the command line into server options (USAGE errors for anything wrong). */
export function parseCommandLine(argv: readonly string[]): ReturnType<typeof resolveSettings> {
  const { upstreams, rest } = takeUpstreams(argv);
  const { values, positionals } = parseArgs(rest, OPTIONS);
  if (positionals.length > 0) {
    throw usageError(
      `unexpected argument "${positionals[0]}"`,
      `"${PROGRAM} --help" shows the usage`,
    );
  }
  const fromFile: RawSettings =
    values.config === undefined ? {} : readConfigFile(String(values.config));
  const raw: Record<string, unknown> = { ...fromFile };
  for (const [key, value] of Object.entries(values)) {
    if (key !== 'config' && key !== 'help') raw[key] = value;
  }
  if (upstreams.length > 0) raw.upstream = upstreams;
  return resolveSettings(raw as RawSettings);
}

/** What the CLI runs: parse, start, and stop on a signal. Resolves to the exit code. */
export async function runCli(
  argv: readonly string[],
  io: CliIo,
  signals: NodeJS.EventEmitter = process,
): Promise<number> {
  const paint = createPaint(io.color === true);
  let running: RunningServer;
  try {
    if (argv.length === 1 && argv[0] === '--version') {
      io.stdout(`${PROGRAM} ${SERVER_VERSION}\n`);
      return EXIT_OK;
    }
    if (argv.includes('--help') || argv.includes('-h')) {
      io.stdout(USAGE);
      return EXIT_OK;
    }
    const options = parseCommandLine(argv);
    running = await startServer(options);
    const loopback = ['127.0.0.1', '::1', 'localhost'].includes(options.host);
    if (!loopback && options.token === undefined) {
      io.stderr(
        `${PROGRAM}: warning: listening on ${escapeTerminal(options.host)} without --token-file: anyone who can reach it can use it\n`,
      );
    }
    io.stdout(
      `listening on ${running.url} (${paint('bold', options.arms.join(', '))}; journal ${escapeTerminal(options.db)}, restored ${running.service.restored.checkpointSeq === null ? 'from the journal' : `checkpoint ${running.service.restored.checkpointSeq}`} + ${running.service.restored.replayed} entries)\n`,
    );
  } catch (error) {
    if (isSonaError(error, 'USAGE')) {
      io.stderr(formatUsageError(error, PROGRAM));
      return EXIT_USAGE;
    }
    if (error instanceof SonaError) {
      io.stderr(`${PROGRAM}: ${error.code}: ${escapeTerminal(error.message)}\n`);
      return EXIT_FAILED;
    }
    if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
      io.stderr(`${PROGRAM}: ${escapeTerminal(error.message)}\n`);
      return EXIT_FAILED;
    }
    throw error;
  }
  return await new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      io.stderr(`${PROGRAM}: ${signal}: draining, then checkpointing\n`);
      running.close().then(
        () => {
          const last = running.service.stats().lastCheckpoint;
          io.stderr(`${PROGRAM}: stopped (checkpoint ${last?.seq ?? 'none'})\n`);
          resolve(running.service.failure === null ? EXIT_OK : EXIT_FAILED);
        },
        (error: unknown) => {
          io.stderr(`${PROGRAM}: stopping failed: ${escapeTerminal(String(error))}\n`);
          resolve(EXIT_FAILED);
        },
      );
    };
    signals.once('SIGTERM', () => stop('SIGTERM'));
    signals.once('SIGINT', () => stop('SIGINT'));
  });
}

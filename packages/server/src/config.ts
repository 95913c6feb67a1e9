import { readFileSync } from 'node:fs';
import { isVersion, type Version } from '@sona/core';
import { didYouMean, parseIntegerArg, usageError } from '@sona/core/cli';
import type { ServerOptions } from './http';
import type { Upstream } from './proxy';
import type { SyncMode } from './store';

/** The settings `sona-serve` takes, by flag name (as in `--config FILE`'s JSON object). */
export const SETTINGS = [
  'arms',
  'version',
  'db',
  'checkpoint-dir',
  'host',
  'port',
  'token-file',
  'upstream',
  'upstream-timeout-ms',
  'seed',
  'dim',
  'epochs',
  'model-params-b',
  'epoch-every',
  'checkpoint-every',
  'keep-checkpoints',
  'max-body-bytes',
  'sync',
  'default-type',
  'model-name',
] as const;
export type Setting = (typeof SETTINGS)[number];

/** Raw settings: text from the command line, any JSON value from a config file. */
export type RawSettings = Partial<Record<Setting, unknown>>;

export const DEFAULTS = {
  version: 'v3' as Version,
  db: 'sona.db',
  host: '127.0.0.1',
  port: 8787,
  seed: 0,
  dim: 256,
  epochs: 100,
  modelParamsB: 7,
  epochEvery: 1000,
  checkpointEvery: 20_000,
  keepCheckpoints: 2,
  maxBodyBytes: 1024 * 1024,
  sync: 'full' as SyncMode,
  upstreamTimeoutMs: 60_000,
  defaultType: 'default',
  modelName: 'sona-serve',
};

/** What `startServer` needs: the arms (or upstreams); everything else has a default (`DEFAULTS`). */
export type ServerSettings = Partial<ServerOptions> & { readonly arms: readonly string[] };

/** Fills in the defaults of every setting not given (the checkpoint folder follows the db). */
export function withDefaults(settings: ServerSettings): ServerOptions {
  const db = settings.db ?? DEFAULTS.db;
  return {
    version: DEFAULTS.version,
    host: DEFAULTS.host,
    port: DEFAULTS.port,
    seed: DEFAULTS.seed,
    dim: DEFAULTS.dim,
    epochs: DEFAULTS.epochs,
    modelParamsB: DEFAULTS.modelParamsB,
    epochEvery: DEFAULTS.epochEvery,
    checkpointEvery: DEFAULTS.checkpointEvery,
    keepCheckpoints: DEFAULTS.keepCheckpoints,
    maxBodyBytes: DEFAULTS.maxBodyBytes,
    sync: DEFAULTS.sync,
    upstreams: [],
    upstreamTimeoutMs: DEFAULTS.upstreamTimeoutMs,
    defaultType: DEFAULTS.defaultType,
    modelName: DEFAULTS.modelName,
    checkpointDir: `${db}.checkpoints`,
    ...settings,
    db,
  };
}

/** Reads `--config FILE`: a JSON object whose keys are the flag names (without `--`). */
export function readConfigFile(path: string): RawSettings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw usageError(`cannot read --config ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw usageError(`--config ${path} is not JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw usageError(`--config ${path} must hold a JSON object of settings`);
  }
  for (const key of Object.keys(value)) {
    if (!(SETTINGS as readonly string[]).includes(key)) {
      const guess = didYouMean(key, SETTINGS);
      throw usageError(
        `--config ${path}: unknown setting "${key}"`,
        guess === undefined
          ? `the settings are ${SETTINGS.join(', ')}`
          : `did you mean "${guess}"?`,
      );
    }
  }
  return value as RawSettings;
}

function text(name: Setting, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw usageError(`--${name} must be a string or number, got ${JSON.stringify(value)}`);
}

function integer(
  name: Setting,
  value: unknown,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  return parseIntegerArg(`--${name}`, text(name, value), { min, max });
}

function positive(name: Setting, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(text(name, value));
  if (!Number.isFinite(n) || n <= 0)
    throw usageError(`--${name} must be a positive number, got "${String(value)}"`);
  return n;
}

function list(name: Setting, value: unknown): string[] {
  if (Array.isArray(value)) return value.map((v) => text(name, v));
  return text(name, value)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** `NAME=URL[#model]`: an http(s) URL, a name usable as an arm. */
export function parseUpstream(spec: string): Upstream {
  const m = /^([^=\s]+)=(.+)$/.exec(spec);
  if (m === null) {
    throw usageError(
      `--upstream needs NAME=URL[#model], got "${spec}"`,
      'for example --upstream fast=http://127.0.0.1:8000/v1#llama-3-8b',
    );
  }
  const name = m[1]!;
  const rest = m[2]!;
  const hash = rest.indexOf('#');
  const url = hash < 0 ? rest : rest.slice(0, hash);
  const model = hash < 0 ? undefined : rest.slice(hash + 1);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw usageError(`--upstream ${name}: "${url}" is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw usageError(`--upstream ${name}: the URL must be http or https, got ${parsed.protocol}`);
  }
  if (model === '') throw usageError(`--upstream ${name}: the model after # is empty`);
  if (name === 'sona')
    throw usageError(
      '--upstream: "sona" is the routing model\'s own name; pick another route name',
    );
  return model === undefined ? { name, url } : { name, url, model };
}

/**
 * Turns settings (flags over the config file) into server options; every problem is a USAGE
 * error naming the flag.
 */
export function resolveSettings(raw: RawSettings): ServerOptions {
  const upstreams =
    raw.upstream === undefined ? [] : list('upstream', raw.upstream).map(parseUpstream);
  const names = upstreams.map((u) => u.name);
  if (new Set(names).size !== names.length)
    throw usageError('--upstream: two routes have the same name');
  let arms = raw.arms === undefined ? undefined : list('arms', raw.arms);
  if (upstreams.length > 0) {
    if (
      arms !== undefined &&
      JSON.stringify([...arms].sort()) !== JSON.stringify([...names].sort())
    ) {
      throw usageError(
        '--arms must name the --upstream routes when both are given',
        'give only --upstream: the routes are the arms',
      );
    }
    arms = names;
  }
  if (arms === undefined || arms.length === 0) {
    throw usageError(
      '--arms is required (or --upstream routes)',
      'for example --arms fast,careful,tool-heavy',
    );
  }
  if (new Set(arms).size !== arms.length) throw usageError('--arms: an arm is named twice');
  const version = raw.version === undefined ? DEFAULTS.version : text('version', raw.version);
  if (!isVersion(version)) throw usageError(`--version must be v1, v2 or v3, got "${version}"`);
  const sync = raw.sync === undefined ? DEFAULTS.sync : text('sync', raw.sync);
  if (sync !== 'full' && sync !== 'normal')
    throw usageError(`--sync must be full or normal, got "${sync}"`);
  const db = raw.db === undefined ? DEFAULTS.db : text('db', raw.db);
  let token: string | undefined;
  if (raw['token-file'] !== undefined) {
    const file = text('token-file', raw['token-file']);
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw usageError(`cannot read --token-file ${file}: ${(error as Error).message}`);
    }
    if (token === '' || /\s/.test(token)) {
      throw usageError(
        `--token-file ${file} must hold one token (no spaces), and it is ${token === '' ? 'empty' : 'not one word'}`,
      );
    }
  }
  const defaultType =
    raw['default-type'] === undefined
      ? DEFAULTS.defaultType
      : text('default-type', raw['default-type']);
  const options: ServerOptions = {
    arms,
    version,
    db,
    checkpointDir:
      raw['checkpoint-dir'] === undefined
        ? `${db}.checkpoints`
        : text('checkpoint-dir', raw['checkpoint-dir']),
    host: raw.host === undefined ? DEFAULTS.host : text('host', raw.host),
    port: integer('port', raw.port, DEFAULTS.port, 0, 65_535),
    ...(token === undefined ? {} : { token }),
    upstreams,
    upstreamTimeoutMs: integer(
      'upstream-timeout-ms',
      raw['upstream-timeout-ms'],
      DEFAULTS.upstreamTimeoutMs,
      1,
      3_600_000,
    ),
    seed: integer('seed', raw.seed, DEFAULTS.seed, 0, 2 ** 32 - 1),
    dim: integer('dim', raw.dim, DEFAULTS.dim, 1, 65_536),
    epochs: integer('epochs', raw.epochs, DEFAULTS.epochs, 1, 1_000_000),
    modelParamsB: positive('model-params-b', raw['model-params-b'], DEFAULTS.modelParamsB),
    epochEvery: integer('epoch-every', raw['epoch-every'], DEFAULTS.epochEvery, 0, 1_000_000_000),
    checkpointEvery: integer(
      'checkpoint-every',
      raw['checkpoint-every'],
      DEFAULTS.checkpointEvery,
      0,
      1_000_000_000,
    ),
    keepCheckpoints: integer(
      'keep-checkpoints',
      raw['keep-checkpoints'],
      DEFAULTS.keepCheckpoints,
      1,
      1000,
    ),
    maxBodyBytes: integer(
      'max-body-bytes',
      raw['max-body-bytes'],
      DEFAULTS.maxBodyBytes,
      64,
      1 << 30,
    ),
    sync,
    defaultType,
    modelName:
      raw['model-name'] === undefined ? DEFAULTS.modelName : text('model-name', raw['model-name']),
  };
  return options;
}

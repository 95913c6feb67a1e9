/** For the tests: servers on loopback ports, requests, and the CLI as a real child process. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { bundleForChildProcess } from '../../../tools/testing/bundle';
import { DEFAULTS } from './config';
import { type RunningServer, type ServerOptions, startServer } from './http';

export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'sona-server-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Server options for a test: a fresh journal in `dir`, a free loopback port. */
export function testOptions(dir: string, overrides: Partial<ServerOptions> = {}): ServerOptions {
  return {
    arms: ['fast', 'careful', 'tools'],
    version: 'v3',
    dim: 64,
    seed: 7,
    epochs: 10,
    modelParamsB: 7,
    db: join(dir, 'sona.db'),
    checkpointDir: join(dir, 'checkpoints'),
    sync: 'normal',
    epochEvery: 0,
    checkpointEvery: 0,
    keepCheckpoints: 2,
    modelName: 'test',
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: DEFAULTS.maxBodyBytes,
    upstreams: [],
    upstreamTimeoutMs: 5_000,
    defaultType: 'default',
    ...overrides,
  };
}

export function start(dir: string, overrides: Partial<ServerOptions> = {}): Promise<RunningServer> {
  return startServer(testOptions(dir, overrides));
}

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read reply fields directly and check them
  readonly body: any;
  readonly text: string;
}

/** One request; the body is sent as JSON unless it is a string. */
export async function call(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/**
 * The CLI as one ES module: this package's sources bundled, every package it imports left to
 * Node (the built workspace packages, as a user runs them: @sona/simd finds its native addon
 * beside its own build). The bundle goes under this package's node_modules so that those
 * imports resolve.
 */
export async function bundleCli(): Promise<string> {
  const root = fileURLToPath(new URL('../node_modules/.sona-test/', import.meta.url));
  mkdirSync(root, { recursive: true });
  const dir = mkdtempSync(root);
  const outfile = join(dir, 'sona-serve.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('./cli.ts', import.meta.url))],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
  });
  return outfile;
}

/** The checkpoint worker (from the sources) as one ES module, for `checkpointWorker`. */
export async function bundleWorker(): Promise<URL> {
  const entry = fileURLToPath(new URL('./checkpoint-worker.ts', import.meta.url));
  return pathToFileURL(await bundleForChildProcess(entry, 'checkpoint-worker'));
}

export interface Child {
  readonly process: ChildProcess;
  readonly url: string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
}

/** Starts `sona-serve ...args` and waits for its "listening on" line. */
export function spawnCli(cli: string, args: readonly string[]): Promise<Child> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (chunk) => {
    err += chunk;
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sona-serve did not start: ${err}`)), 60_000);
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ process: child, url: m[1]!, stderr: () => err, exited });
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`sona-serve exited (${code}) before listening: ${err}`));
    });
  });
}

/** An embedding of length `dim` that differs per `i` (deterministic, never zero). */
export function embeddingFor(i: number, dim: number): number[] {
  return Array.from(
    { length: dim },
    (_, j) => Math.sin((i + 1) * (j + 1) * 0.37) + (j === i % dim ? 1 : 0),
  );
}

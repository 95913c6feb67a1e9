/**
 * For tests that need a real child process running this package's TypeScript sources: bundles
 * an entry file (and every @sona package it imports, from source) into one ES module.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

export async function bundleForChildProcess(entry: string, name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sona-checkpoint-bundle-'));
  const outfile = join(dir, `${name}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@sona/source'],
    logLevel: 'silent',
    // canonicalize is CommonJS: give the bundle a require for Node built-ins it might need.
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
  return outfile;
}

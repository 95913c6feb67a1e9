/**
 * For tests that need a real child process or worker running a package's TypeScript sources:
 * bundles an entry file (and every @sona package it imports, from source) into one ES module.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

export async function bundleForChildProcess(entry: string, name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sona-test-bundle-'));
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
    // Some dependencies are CommonJS: give the bundle a require for Node built-ins they need.
    banner: {
      // Under an alias, so that a bundled module importing createRequire itself does not clash.
      js: "import { createRequire as sonaCreateRequire } from 'node:module'; const require = sonaCreateRequire(import.meta.url);",
    },
  });
  return outfile;
}

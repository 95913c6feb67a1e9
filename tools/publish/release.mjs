#!/usr/bin/env node
/**
 * `npm run release [-- --dry-run]`: builds every package, puts every published manifest in
 * place (see manifest.mjs), runs `changeset publish` (or `npm publish --dry-run` in each package),
 * and restores the development manifests whatever happened.
 *
 * `npm publish` reads the manifest it sends to the registry after `postpack`, so a package
 * published through its own prepack/postpack would ship a clean tarball but register the
 * development manifest: here the published manifests are written before npm reads anything.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apply, restore } from './manifest.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dryRun = process.argv.includes('--dry-run');
const log = (line) => process.stderr.write(`${line}\n`);
const require = createRequire(join(root, 'package.json'));

function run(command, args, cwd = root) {
  const result = spawnSync(command, args, {
    cwd,
    stdio: 'inherit',
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  if (result.status !== 0) throw new Error(`${[command, ...args].join(' ')} failed`);
}

const packages = readdirSync(join(root, 'packages'))
  .map((name) => join(root, 'packages', name))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .filter((dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private !== true);

const problems = [];
if (!dryRun) {
  const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  for (const field of ['repository', 'homepage', 'bugs']) {
    if (rootManifest[field] === undefined) problems.push(`the root package.json has no ${field}`);
  }
  for (const dir of packages) {
    if (!existsSync(join(dir, 'CHANGELOG.md'))) {
      problems.push(`${dir} has no CHANGELOG.md: run \`npm run version-packages\` first`);
    }
  }
}
if (problems.length > 0) {
  log(`release refused:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}

run(process.execPath, [
  require.resolve('nx/bin/nx.js'),
  'run-many',
  '-t',
  'build',
  '--outputStyle=static',
]);
const applied = [];
try {
  for (const dir of packages) {
    apply(dir, root, { log });
    applied.push(dir);
  }
  if (dryRun) {
    for (const dir of packages) run('npm', ['publish', '--dry-run'], dir);
  } else {
    run(process.execPath, [require.resolve('@changesets/cli/bin.js'), 'publish']);
  }
} catch (error) {
  log(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
} finally {
  for (const dir of applied) restore(dir);
}

#!/usr/bin/env node
/**
 * The package.json a @sona package is published with, and the steps that put it in place.
 *
 * In the repository a package.json also serves the monorepo: an `nx` block, scripts that build,
 * test and benchmark with files the tarball does not ship, devDependencies for those scripts, and
 * the `@sona/source` export condition that points tests and type checks at `src/`. None of it
 * means anything to a user. `prepack` builds the package, keeps the development manifest in
 * `.package.dev.json`, writes the published one and checks that every file it names exists and
 * ships; `postpack` puts the development manifest back. A package whose tarball ships more than
 * its Nx build makes (simd's prebuilt binary) names that step in the script `build:pack`, which
 * prepack runs after the build.
 *
 *   node tools/publish/manifest.mjs prepack|postpack|restore [--no-build] [--root DIR]
 *
 * Run in a package folder (npm runs lifecycle scripts there). `--root` is the repository root
 * (default: the one holding this file). `restore` is postpack by hand, after a pack that died.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BACKUP = '.package.dev.json';

/** The scripts npm runs when a user installs the package: the only ones a tarball needs. */
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall'];

/** Export conditions that only the monorepo resolves (tsconfig customConditions, vitest). */
const MONOREPO_CONDITIONS = new Set(['@sona/source']);

/** Fields that only the monorepo reads. */
const MONOREPO_FIELDS = new Set(['nx', 'devDependencies']);

/** Where the repository fields of every package come from: the root package.json. */
export const LINK_FIELDS = ['repository', 'homepage', 'bugs'];

function withoutConditions(exports) {
  if (exports === null || typeof exports !== 'object') return exports;
  if (Array.isArray(exports)) return exports.map(withoutConditions);
  const out = {};
  for (const [key, value] of Object.entries(exports)) {
    if (!MONOREPO_CONDITIONS.has(key)) out[key] = withoutConditions(value);
  }
  return out;
}

function repositoryOf(root, directory) {
  const repo = root.repository;
  if (repo === undefined) return undefined;
  const base = typeof repo === 'string' ? { type: 'git', url: repo } : { ...repo };
  if (typeof base.url !== 'string' || base.url === '') return undefined;
  return { type: base.type ?? 'git', url: base.url, directory };
}

/**
 * The published manifest of `dev`, a package in `directory` (relative to the repository root,
 * with `/` separators) of the repository whose root manifest is `root`. `missing` lists the
 * link fields the root does not provide, which the published manifest then leaves out.
 * @param {Record<string, any>} dev
 * @param {Record<string, any>} root
 * @param {string} directory
 * @returns {{ manifest: Record<string, any>, missing: string[] }}
 */
export function publishedManifest(dev, root, directory) {
  const links = {
    repository: repositoryOf(root, directory),
    homepage: typeof root.homepage === 'string' ? root.homepage : undefined,
    bugs: root.bugs,
  };
  /** @type {Record<string, any>} */
  const manifest = {};
  const place = () => {
    for (const field of LINK_FIELDS) if (links[field] !== undefined) manifest[field] = links[field];
  };
  let placed = false;
  for (const [key, value] of Object.entries(dev)) {
    if (MONOREPO_FIELDS.has(key) || LINK_FIELDS.includes(key)) continue;
    if (key === 'exports') {
      manifest.exports = withoutConditions(value);
    } else if (key === 'bin') {
      // npm publish rewrites `./bin/x.js` to `bin/x.js` and warns that it did.
      const strip = (path) => (typeof path === 'string' ? path.replace(/^\.\//, '') : path);
      manifest.bin =
        typeof value === 'object' && value !== null
          ? Object.fromEntries(Object.entries(value).map(([name, path]) => [name, strip(path)]))
          : strip(value);
    } else if (key === 'scripts') {
      const kept = Object.entries(value).filter(([name]) => INSTALL_SCRIPTS.includes(name));
      if (kept.length > 0) manifest.scripts = Object.fromEntries(kept);
    } else {
      manifest[key] = value;
    }
    if (key === 'license') {
      place();
      placed = true;
    }
  }
  if (!placed) place();
  const missing = LINK_FIELDS.filter((field) => links[field] === undefined);
  return { manifest, missing };
}

/** Every file the manifest points at: entry points, declarations, bins, export targets. */
export function referencedFiles(manifest) {
  const found = new Set();
  const add = (value) => {
    if (typeof value === 'string') found.add(value);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(add);
  };
  for (const field of ['main', 'module', 'types', 'typings', 'bin', 'exports'])
    add(manifest[field]);
  return [...found]
    .filter((path) => !path.includes('*'))
    .map((path) => path.replace(/^\.\//, ''))
    .sort();
}

/** Whether `files` (the package.json whitelist; absent means everything) ships `path`. */
export function ships(files, path) {
  if (path === 'package.json') return true;
  if (files === undefined) return true;
  return files.some((entry) => {
    const e = entry.replace(/^\.\//, '').replace(/\/$/, '');
    return path === e || path.startsWith(`${e}/`);
  });
}

/** What is wrong with publishing `manifest` from `dir`: files it names that are absent or not shipped. */
export function shippingProblems(dir, manifest) {
  const problems = [];
  for (const path of referencedFiles(manifest)) {
    if (!existsSync(join(dir, path)))
      problems.push(`${path} does not exist (is the package built?)`);
    else if (!ships(manifest.files, path)) problems.push(`${path} is not in "files"`);
  }
  if (!existsSync(join(dir, 'LICENSE'))) problems.push('LICENSE does not exist');
  return problems;
}

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const writeJson = (path, value) => writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);

/** The directory of `dir` relative to `root`, as a repository path (`packages/core`). */
export function repositoryDirectory(root, dir) {
  return relative(root, dir).split(sep).join('/');
}

function build(root, dev) {
  const project = dev.nx?.name;
  if (typeof project !== 'string') throw new Error(`${dev.name} has no nx.name to build`);
  const nx = createRequire(join(root, 'package.json')).resolve('nx/bin/nx.js');
  const run = spawnSync(process.execPath, [nx, 'run', `${project}:build`, '--outputStyle=static'], {
    cwd: root,
    stdio: ['ignore', 2, 2],
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  if (run.status !== 0) throw new Error(`nx run ${project}:build failed`);
  if (dev.scripts?.['build:pack'] !== undefined) {
    const pack = spawnSync('npm', ['run', 'build:pack'], { stdio: ['ignore', 2, 2] });
    if (pack.status !== 0) throw new Error(`npm run build:pack failed in ${dev.name}`);
  }
}

/** Puts the published manifest of the package in `dir` in place; the development one goes to BACKUP. */
export function apply(dir, root, { log = () => {} } = {}) {
  const path = join(dir, 'package.json');
  const backup = join(dir, BACKUP);
  if (existsSync(backup)) {
    throw new Error(
      `${backup} exists: an earlier pack did not finish. Run \`node tools/publish/manifest.mjs restore\` in ${dir} (or delete it if package.json is the development one).`,
    );
  }
  const text = readFileSync(path, 'utf8');
  const dev = JSON.parse(text);
  const { manifest, missing } = publishedManifest(
    dev,
    readJson(join(root, 'package.json')),
    repositoryDirectory(root, dir),
  );
  const problems = shippingProblems(dir, manifest);
  if (problems.length > 0)
    throw new Error(`${dev.name} cannot be packed:\n  ${problems.join('\n  ')}`);
  if (missing.length > 0) {
    log(
      `${dev.name}: the root package.json has no ${missing.join(', ')}; the published manifest leaves them out`,
    );
  }
  writeFileSync(backup, text);
  writeJson(path, manifest);
  return { manifest, missing };
}

/** Puts the development manifest back, if a backup is there. Returns whether it did. */
export function restore(dir) {
  const backup = join(dir, BACKUP);
  if (!existsSync(backup)) return false;
  renameSync(backup, join(dir, 'package.json'));
  return true;
}

function main(argv) {
  const [command, ...rest] = argv;
  const noBuild = rest.includes('--no-build');
  const rootAt = rest.indexOf('--root');
  const root =
    rootAt >= 0
      ? resolve(rest[rootAt + 1])
      : resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const dir = process.cwd();
  const log = (line) => process.stderr.write(`${line}\n`);
  if (command === 'prepack') {
    // npm publish reads the manifest it sends to the registry after postpack has restored the
    // development one: publishing goes through `npm run release`, which writes every published
    // manifest before npm reads any.
    if (process.env.npm_command === 'publish') {
      throw new Error('publish with `npm run release` from the repository root, not `npm publish`');
    }
    if (!noBuild) build(root, readJson(join(dir, 'package.json')));
    apply(dir, root, { log });
  } else if (command === 'postpack' || command === 'restore') {
    restore(dir);
  } else {
    throw new Error('usage: manifest.mjs prepack|postpack|restore [--no-build] [--root DIR]');
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

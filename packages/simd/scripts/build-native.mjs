// Builds the native addon with cmake-js against this Node's own headers (Node-API mode, see
// CMakeLists.txt); nothing is downloaded.
//
//   node scripts/build-native.mjs             build build/Release/sona_simd.node; any failure
//                                             is an error
//   node scripts/build-native.mjs --install   the package's install script: a prebuilt binary
//                                             that fits this Node and loads is used as it is
//                                             (nothing is compiled); otherwise build from
//                                             source; without cmake-js, CMake or a compiler,
//                                             print one line and succeed (the package then runs
//                                             on its TypeScript backend), unless
//                                             SONA_REQUIRE_NATIVE=1. `npm install
//                                             --build-from-source` skips the prebuilt binaries.
//   node scripts/build-native.mjs --update    before tests and benchmarks: bring
//                                             build/Release up to date with the sources
//                                             (incremental); without the tools, say so and go
//                                             on, unless SONA_REQUIRE_NATIVE=1 or CI=true
//   node scripts/build-native.mjs --prebuild  before `npm pack` (prepack): build the binary the
//                                             tarball ships, in a clean directory, into
//                                             prebuilds/<platform>-<arch>/node.napi[.<libc>].node,
//                                             and check that it needs no newer C or C++ runtime
//                                             (glibc, libstdc++ symbol versions) than this Node
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ADDON_ABI_VERSION,
  builtAddonPath,
  currentRuntime,
  prebuildCandidates,
} from './addon-files.mjs';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const modes = ['--install', '--update', '--prebuild'];
const mode = modes.find((m) => process.argv.includes(m))?.slice(2) ?? 'build';
const requireNative = process.env.SONA_REQUIRE_NATIVE === '1';
const strict =
  mode === 'build' ||
  mode === 'prebuild' ||
  requireNative ||
  (mode === 'update' && process.env.CI === 'true');

const succeeds = (command, args) => spawnSync(command, args, { stdio: 'ignore' }).status === 0;

function giveUp(reason) {
  if (strict) {
    const why = requireNative ? ' (SONA_REQUIRE_NATIVE=1)' : mode === 'update' ? ' (CI)' : '';
    console.error(`@sona/simd: ERROR: the native addon could not be built${why}: ${reason}`);
    process.exit(1);
  }
  if (mode === 'install') {
    console.warn(
      `@sona/simd: no native addon (no prebuilt binary fits, and ${reason}); the package runs ` +
        'on its TypeScript backend "js" (same results, slower). To build it, with CMake >= 3.15 ' +
        'and a C++17 compiler: npm install -D cmake-js node-addon-api && npm rebuild @sona/simd.',
    );
  } else {
    console.warn(`@sona/simd: native addon not rebuilt (${reason}); using what is there, if any.`);
  }
  process.exit(0);
}

/**
 * Loads an addon in a separate process (a broken one must not take this script down) and
 * returns the backends it offers, or undefined.
 */
function probe(path) {
  const check =
    `const a = require(${JSON.stringify(path)});` +
    `if (a.abiVersion !== ${ADDON_ABI_VERSION}) throw new Error('interface version ' + a.abiVersion);` +
    `process.stdout.write(a.backends.join(', '));`;
  const result = spawnSync(process.execPath, ['-e', check], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout : undefined;
}

/** The newest version of each versioned runtime library (GLIBC, GLIBCXX, CXXABI) a file needs. */
function runtimeVersions(file) {
  const dump = spawnSync('objdump', ['-T', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (dump.status !== 0) giveUp(`objdump -T ${file} failed (objdump is part of binutils)`);
  const newest = new Map();
  for (const [, family, version] of dump.stdout.matchAll(/\b(GLIBC|GLIBCXX|CXXABI)_([\d.]+)/g)) {
    const parts = version.split('.').map(Number);
    const known = newest.get(family);
    if (!known || compareVersions(parts, known) > 0) newest.set(family, parts);
  }
  return newest;
}

function compareVersions(a, b) {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  }
  return 0;
}

/** What `file` needs of glibc or libstdc++ beyond what this Node's own binary needs, if anything. */
function newerRuntimeThanNode(file) {
  if (process.platform !== 'linux') return undefined;
  const node = runtimeVersions(process.execPath);
  const newer = [...runtimeVersions(file)]
    .filter(
      ([family, version]) => !node.has(family) || compareVersions(version, node.get(family)) > 0,
    )
    .map(([family, version]) => `${family}_${version.join('.')}`);
  return newer.length > 0 ? newer.join(', ') : undefined;
}

function resolvePackage(name) {
  try {
    return dirname(
      createRequire(join(packageRoot, 'package.json')).resolve(`${name}/package.json`),
    );
  } catch {
    return undefined;
  }
}

if (mode === 'install' && !['true', '1'].includes(process.env.npm_config_build_from_source)) {
  for (const path of prebuildCandidates(packageRoot)) {
    const backends = probe(path);
    if (backends) {
      console.log(
        `@sona/simd: using the prebuilt addon ${relative(packageRoot, path)}; usable here: ${backends}`,
      );
      process.exit(0);
    }
  }
}

if (!succeeds('cmake', ['--version'])) giveUp('CMake was not found on PATH');
const compiler = [process.env.CXX, 'c++', 'g++', 'clang++']
  .filter(Boolean)
  .find((candidate) => succeeds(candidate, ['--version']));
if (!compiler) giveUp('no C++ compiler was found (tried $CXX, c++, g++, clang++)');
const cmakeJsDir = resolvePackage('cmake-js');
if (!cmakeJsDir) giveUp('cmake-js is not installed');
if (!resolvePackage('node-addon-api')) giveUp('node-addon-api is not installed');

const outDir = join(packageRoot, 'build', mode === 'prebuild' ? 'prebuild' : '.');
const args = [
  join(cmakeJsDir, 'bin', 'cmake-js'),
  'build',
  '--directory',
  packageRoot,
  '--out',
  outDir,
  '--config',
  'Release',
  '--parallel',
  String(Math.max(1, Math.min(availableParallelism(), 4))),
  '--log-level',
  'warn',
];
const nodeInclude = resolve(dirname(process.execPath), '..', 'include', 'node');
if (existsSync(join(nodeInclude, 'node_api.h')))
  args.push(`--CDSONA_NODE_INCLUDE_DIR=${nodeInclude}`);

const build = spawnSync(process.execPath, args, {
  cwd: packageRoot,
  stdio: ['ignore', mode === 'install' ? 'pipe' : 'inherit', 'pipe'],
  encoding: 'utf8',
  env: { ...process.env, CXX: process.env.CXX ?? compiler },
});
if (build.status !== 0) {
  if (build.stdout) process.stderr.write(build.stdout);
  if (build.stderr) process.stderr.write(build.stderr);
  giveUp(`cmake-js exited with status ${build.status ?? build.signal}`);
}
if (build.stderr && mode !== 'install') process.stderr.write(build.stderr);

const built =
  mode === 'prebuild' ? join(outDir, 'Release', 'sona_simd.node') : builtAddonPath(packageRoot);
const backends = probe(built);
if (!backends) giveUp(`the built addon ${built} does not load`);

if (mode === 'prebuild') {
  const { platform, arch, libc } = currentRuntime();
  const dir = join(packageRoot, 'prebuilds', `${platform}-${arch}`);
  rmSync(join(packageRoot, 'prebuilds'), { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const target = join(dir, `node.napi${libc ? `.${libc}` : ''}.node`);
  copyFileSync(built, target);
  const needs = newerRuntimeThanNode(target);
  if (needs) giveUp(`${target} needs ${needs}, newer than this Node itself needs`);
  if (!probe(target) || prebuildCandidates(packageRoot)[0] !== target) {
    giveUp(`${target} is not the prebuilt binary this Node would pick`);
  }
  console.log(`@sona/simd: prebuilt ${relative(packageRoot, target)}; usable here: ${backends}`);
} else if (mode !== 'update') {
  console.log(`@sona/simd: native kernels built from source; usable here: ${backends}`);
}
